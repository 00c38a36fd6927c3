#!/usr/bin/env bash
# Crash safety (issue #8, DESIGN.md "issuance cycle"): kakuin serve is killed with
# SIGKILL at random moments while clients run 200 full issuances, and
# restarted each time on the same store. kakuin-loadgen --retry plays clients that
# retry: a request that got no answer is sent again, a failed issuance starts over
# with a new order. Afterwards:
#   - every issuance the clients asked for succeeded (errors=0);
#   - kakuin check finds the store consistent, SQLite's integrity_check is clean;
#   - no order is left processing, every issued certificate is complete, is its
#     planned TBS and verifies, and every certificate a client downloaded is the one
#     the store holds for that serial (crash_check.py).
# KAKUIN_CRASH_ISSUANCES (default 200) and KAKUIN_CRASH_MAX_GAP_MS (the longest
# pause between kills, default 500) tune it.
# Usage: test_crash.sh BUILD_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}"
LOADGEN=$IT_BUILD/kakuin-loadgen
[ -x "$LOADGEN" ] || die "$LOADGEN not built"
N=${KAKUIN_CRASH_ISSUANCES:-200}
GAP=${KAKUIN_CRASH_MAX_GAP_MS:-500}
start_dns
start_server

# kill_server: SIGKILL, no chance to finish anything
kill_server() {
	kill -KILL "$IT_SERVER_PID" 2>/dev/null
	wait "$IT_SERVER_PID" 2>/dev/null
}

mkdir -p "$IT_WORK/certs"
out=$IT_WORK/loadgen.out
timeout 600 "$LOADGEN" --directory "$IT_DIRURL" --cacert "$IT_CACERT" --clients 4 \
    --issuances "$N" --retry 120 --save-dir "$IT_WORK/certs" \
    --http01-port "$IT_HTTP01" >"$out" 2>&1 &
lg=$!
kills=0
while kill -0 "$lg" 2>/dev/null; do
	# a random moment: 50 ms .. GAP ms into the server's life
	ms=$((50 + RANDOM % (GAP - 50)))
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	kill -0 "$lg" 2>/dev/null || break
	kill_server
	kills=$((kills + 1))
	launch_server
done
wait "$lg"
rc=$?
cat "$out"
info "server killed $kills times"
result=$(grep '^RESULT ' "$out")
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$result"; }
check "kakuin-loadgen exits 0 (exit $rc)" [ "$rc" -eq 0 ]
check "all $N issuances succeeded (issuances=$(field issuances))" [ "$(field issuances)" = "$N" ]
check "no client gave up (errors=$(field errors))" [ "$(field errors)" = 0 ]
check "the server was killed at least 10 times during issuance ($kills)" [ "$kills" -ge 10 ]
check "clients retried ($(field retries) retries)" [ "$(field retries)" -gt 0 ]

# one more kill, then a restart that recovers, and a clean stop
kill_server
launch_server
sleep 2
kill -TERM "$IT_SERVER_PID"
wait "$IT_SERVER_PID"
check "restarted server stops cleanly" [ $? -eq 0 ]
grep -c 'resuming finalization' "$IT_WORK/server.log" |
    sed 's/^/---- finalizations resumed after a kill: /'
kakuin_check
/usr/bin/python3 "$IT_LIBDIR/crash_check.py" "$IT_DATA/kakuin.db" "$IT_ISSUING" \
    "$IT_WORK/certs" "$N" >"$IT_WORK/crash_check.out" 2>&1
crc=$?
cat "$IT_WORK/crash_check.out"
IT_PASSED=$((IT_PASSED + $(grep -c '^PASS' "$IT_WORK/crash_check.out")))
IT_FAILED=$((IT_FAILED + $(grep -c '^FAIL' "$IT_WORK/crash_check.out")))
check "crash_check.py ran (exit $crc)" [ "$crc" -eq 0 ]
[ "$IT_FAILED" -eq 0 ]
