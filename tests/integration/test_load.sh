#!/usr/bin/env bash
# Load (issue #8 item 6): 256 concurrent ACME clients (kakuin-loadgen, each its own
# account, full http-01 issuances back to back) against one kakuin serve for
# KAKUIN_LOAD_SECONDS (default 30 in the test command; bench/run runs 60 on the release
# build). Checks: the run ends with issuances and 0 errors of any kind (kakuin has no
# rate limits that could refuse them), the server's RSS is sampled every 5 s and the
# last sample is within KAKUIN_LOAD_RSS_GROWTH (default 1.5, the sanitizer build's
# allocator keeps freed memory in quarantine) of the sample half-way through, the
# server stops cleanly on SIGTERM (under the ASan build LeakSanitizer then reports any
# leak into the log, which fails the test), and the store is consistent.
# Usage: test_load.sh BUILD_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}"
need_loadgen
SECS=${KAKUIN_LOAD_SECONDS:-30}
CLIENTS=${KAKUIN_LOAD_CLIENTS:-256}
GROWTH=${KAKUIN_LOAD_RSS_GROWTH:-1.5}
start_dns
# every client connects from 127.0.0.1: the per-IP limit (64) would refuse most of them
IT_SERVE_ARGS=(--max-connections-per-ip $((CLIENTS * 2)) ${KAKUIN_LOAD_SERVE_ARGS:-})
start_server

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$IT_SERVER_PID/status" 2>/dev/null; }
out=$IT_WORK/loadgen.out
timeout $((SECS + 600)) "$LOADGEN" --directory "$IT_DIRURL" --cacert "$IT_CACERT" \
    --clients "$CLIENTS" --duration "$SECS" --warmup 5 --http01-port "$IT_HTTP01" \
    >"$out" 2>&1 &
lg=$!
: >"$IT_WORK/rss.log"
while kill -0 "$lg" 2>/dev/null; do
	echo "$(date +%s) $(rss)" >>"$IT_WORK/rss.log"
	sleep 5
done
wait "$lg"
rc=$?
cat "$out"
result=$(grep '^RESULT ' "$out")
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$result"; }
check "kakuin-loadgen exits 0 (exit $rc)" [ "$rc" -eq 0 ]
check "$CLIENTS clients issued certificates (issuances=$(field issuances), $(field rate)/s, p99 $(field p99_ms) ms)" \
    [ "$(field issuances)" -gt 0 ]
check "no errors under load (errors=$(field errors))" [ "$(field errors)" = 0 ]
n=$(wc -l <"$IT_WORK/rss.log")
mid=$(sed -n "$(((n + 1) / 2))p" "$IT_WORK/rss.log" | cut -d' ' -f2)
last=$(tail -n 1 "$IT_WORK/rss.log" | cut -d' ' -f2)
info "server VmRSS kB every 5 s: $(cut -d' ' -f2 "$IT_WORK/rss.log" | tr '\n' ' ')"
check "RSS stable: last ${last} kB within ${GROWTH}x of mid-run ${mid} kB" \
    awk -v a="$mid" -v b="$last" -v g="$GROWTH" 'BEGIN { exit !(a > 0 && b <= a * g) }'
kill -TERM "$IT_SERVER_PID"
wait "$IT_SERVER_PID"
src=$?
check "server stops cleanly after the load (exit $src)" [ "$src" -eq 0 ]
kakuin_check
[ "$IT_FAILED" -eq 0 ]
