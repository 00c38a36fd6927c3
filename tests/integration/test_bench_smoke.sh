#!/usr/bin/env bash
# kakuin-loadgen (bench/, issue #7) against a dev-mode kakuin: 4 clients run
# full http-01 issuances for about 5 s; the run must finish with issuances and
# no errors, and its RESULT line is printed. No timing is asserted: the rate on
# a shared 2-core machine says nothing about correctness.
# Usage: test_bench_smoke.sh BUILD_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}"
need_loadgen
start_dns
start_server

out=$IT_WORK/loadgen.out
timeout 300 "$LOADGEN" --directory "$IT_DIRURL" --cacert "$IT_CACERT" --clients 4 --duration 5 \
    --http01-port "$IT_HTTP01" >"$out" 2>&1
rc=$?
cat "$out"
check "kakuin-loadgen exits 0 (exit $rc)" [ "$rc" -eq 0 ]
result=$(grep '^RESULT ' "$out")
check "one RESULT line" [ "$(grep -c '^RESULT ' "$out")" -eq 1 ]
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$result"; }
check "RESULT names 4 clients" [ "$(field clients)" = 4 ]
check "certificates were issued (issuances=$(field issuances))" \
    [ "$(field issuances)" -gt 0 ]
check "no errors (errors=$(field errors))" [ "$(field errors)" = 0 ]
check "no ERROR lines" [ "$(grep -c '^ERROR ' "$out")" -eq 0 ]
for f in seconds rate p50_ms p90_ms p99_ms max_ms cpu_seconds cpu_share; do
	check "RESULT has numeric $f" grep -Eq "^[0-9]+(\.[0-9]+)?$" <<<"$(field "$f")"
done
kakuin_check
echo "$result"
[ "$IT_FAILED" -eq 0 ]
