#!/usr/bin/env bash
# Error paths over raw ACME (acme_negative.py): bad nonces, a failed
# http-01 validation, bad CSRs, an oversized body, bad JWS; the server
# keeps answering and its store stays consistent after each.
# Usage: test_negative.sh BUILD_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}"
start_dns
start_server

out=$IT_WORK/negative.log
timeout 600 /usr/bin/python3 "$IT_LIBDIR/acme_negative.py" --directory "$IT_DIRURL" \
    --cacert "$IT_CACERT" --http01-port "$IT_HTTP01" --server "$IT_SERVER" \
    --kakuin "$IT_KAKUIN" --data-dir "$IT_DATA" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
# Fold the script's counts into this test's closing line.
if line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1); then
	read -r np _ nf _ <<<"$line"
	IT_PASSED=$((IT_PASSED + np))
	IT_FAILED=$((IT_FAILED + nf))
	[ "$rc" -eq 0 ] || [ "$nf" -gt 0 ] || fail "acme_negative.py exited $rc"
else
	fail "acme_negative.py did not finish (exit $rc)"
fi
kakuin_check
[ "$IT_FAILED" -eq 0 ]
