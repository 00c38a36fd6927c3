#!/usr/bin/env bash
# Crash safety (issue #8, DESIGN.md "issuance cycle"): kakuin serve is killed with
# SIGKILL at random moments (at least 10 times) while clients run 200 or more full
# issuances in batches of 50, and
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
need_loadgen
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
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
# Batches of 50 issuances until N are done and the server was killed at least
# MIN_KILLS times (a fast build issues 200 in a few seconds).
MIN_KILLS=10
kills=0 done_n=0 errors=0 retries=0 batch=0 rc=0
while [ "$done_n" -lt "$N" ] || [ "$kills" -lt "$MIN_KILLS" ]; do
	batch=$((batch + 1))
	out=$IT_WORK/loadgen-$batch.out
	timeout 600 "$LOADGEN" --directory "$IT_DIRURL" --cacert "$IT_CACERT" --clients 4 \
	    --issuances 50 --retry 120 --save-dir "$IT_WORK/certs" \
	    --http01-port "$IT_HTTP01" >"$out" 2>&1 &
	lg=$!
	while kill -0 "$lg" 2>/dev/null; do
		# a random moment: 50 ms .. GAP ms into the server's life
		ms=$((50 + RANDOM % (GAP - 50)))
		sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
		kill -0 "$lg" 2>/dev/null || break
		kill_server
		kills=$((kills + 1))
		launch_server
	done
	wait "$lg" || rc=$?
	result=$(grep '^RESULT ' "$out")
	grep -E '^(RESULT|ERROR)' "$out"
	done_n=$((done_n + $(field issuances "$result")))
	errors=$((errors + $(field errors "$result")))
	retries=$((retries + $(field retries "$result")))
	[ "$batch" -lt 40 ] || break
done
info "server killed $kills times during $done_n issuances in $batch batches"
check "kakuin-loadgen exits 0 every time (last non-zero exit: $rc)" [ "$rc" -eq 0 ]
check "all $done_n issuances asked for succeeded (at least $N)" [ "$done_n" -ge "$N" ] &&
    [ "$done_n" -eq $((batch * 50)) ]
check "no client gave up (errors=$errors)" [ "$errors" = 0 ]
check "the server was killed at least $MIN_KILLS times during issuance ($kills)" \
    [ "$kills" -ge "$MIN_KILLS" ]
check "clients retried ($retries retries)" [ "$retries" -gt 0 ]

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
    "$IT_WORK/certs" "$done_n" >"$IT_WORK/crash_check.out" 2>&1
crc=$?
cat "$IT_WORK/crash_check.out"
IT_PASSED=$((IT_PASSED + $(grep -c '^PASS' "$IT_WORK/crash_check.out")))
IT_FAILED=$((IT_FAILED + $(grep -c '^FAIL' "$IT_WORK/crash_check.out")))
check "crash_check.py ran (exit $crc)" [ "$crc" -eq 0 ]
[ "$IT_FAILED" -eq 0 ]
