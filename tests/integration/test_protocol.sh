#!/usr/bin/env bash
# RFC 8555 section 7 over raw ACME (acme_protocol.py): directory and nonces,
# accounts (create, find, update, keyChange, deactivate), the orders list,
# newOrder identifier rules, authorizations (shape, deactivation, reuse),
# methods and media types, finalize before ready, and `kakuin org set` on
# the live store reaching the next certificate's subject; the store stays
# consistent. kakuin only. Usage: test_protocol.sh BUILD_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ "${KAKUIN_IT_SERVER:-kakuin}" != kakuin ]; then
	echo "SKIP: test_protocol.sh checks kakuin's own behaviour (org set, kakuin check)"
	exit 0
fi
it_init "${1:-}"
start_dns
start_server

out=$IT_WORK/protocol.log
timeout 600 /usr/bin/python3 "$IT_LIBDIR/acme_protocol.py" --directory "$IT_DIRURL" \
    --cacert "$IT_CACERT" --http01-port "$IT_HTTP01" \
    --kakuin "$IT_KAKUIN" --data-dir "$IT_DATA" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
# Fold the script's counts into this test's closing line.
if line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1); then
	read -r np _ nf _ <<<"$line"
	IT_PASSED=$((IT_PASSED + np))
	IT_FAILED=$((IT_FAILED + nf))
	[ "$rc" -eq 0 ] || [ "$nf" -gt 0 ] || fail "acme_protocol.py exited $rc"
else
	fail "acme_protocol.py did not finish (exit $rc)"
fi
kakuin_check
[ "$IT_FAILED" -eq 0 ]
