#!/usr/bin/env bash
# Faults through the real binaries (issue #8 item 3, docs/security.md "Faults"):
#  - disk full: the data directory is a small tmpfs. After a first issuance a filler
#    file takes every free byte; clients (kakuin-loadgen --retry) keep trying. The
#    server must stay up, every error a client sees must be serverInternal (503, a
#    retryable fault), never another kind, and the operator sees the fault in the
#    log and at /metrics. Once the filler is gone, the same server issues again
#    without a restart and the store is consistent.
#  - token missing or its login failing (a wrong PIN): kakuin serve refuses to start
#    with a clear message, and starts again once the token is back.
# Store busy/I/O errors and token failures at each step: test_ra_faults (unit, seams).
# Needs root (mount). Usage: test_faults.sh BUILD_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}"
need_loadgen
mkdir -p "$IT_DATA"
mount -t tmpfs -o size=48m kakuin-faults "$IT_DATA" || die "cannot mount a tmpfs (root needed)"
IT_MOUNTS+=("$IT_DATA")
start_dns
start_server

metric() {
	curl -fsS --noproxy '*' --cacert "$IT_CACERT" "https://127.0.0.1:$IT_UIPORT/metrics" |
	    awk -v m="$1" '$1 == m { print $2 }'
}
loadgen() {
	"$LOADGEN" --directory "$IT_DIRURL" --cacert "$IT_CACERT" --http01-port "$IT_HTTP01" "$@"
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

out=$(loadgen --clients 2 --issuances 4 2>&1 | grep '^RESULT ')
check "issuance before the disk fills ($(field issuances "$out") issued)" \
    [ "$(field errors "$out")" = 0 ]
check "/metrics counts them (kakuin_certificates_issued_total $(metric kakuin_certificates_issued_total))" \
    [ "$(metric kakuin_certificates_issued_total)" -ge 4 ]

info "filling the data file system"
dd if=/dev/zero of="$IT_DATA/filler" bs=64k >/dev/null 2>&1
dd if=/dev/zero of="$IT_DATA/filler2" bs=512 >/dev/null 2>&1
df -k "$IT_DATA" | tail -n 1
loadgen --clients 4 --issuances 40 --retry 6 >"$IT_WORK/full.out" 2>&1
full=$(grep '^RESULT ' "$IT_WORK/full.out")
grep -E '^(RESULT|ERROR)' "$IT_WORK/full.out"
kill -0 "$IT_SERVER_PID" 2>/dev/null
check "server still running with the disk full" [ $? -eq 0 ]
others=$(grep '^ERROR' "$IT_WORK/full.out" | grep -v 'type=serverInternal ' || true)
check "clients saw only serverInternal (retryable) errors: ${others:-none other}" [ -z "$others" ]
check "the store's full disk was hit (errors=$(field errors "$full"), retries=$(field retries "$full"))" \
    [ "$(field errors "$full")" -gt 0 ] || [ "$(field retries "$full")" -gt 0 ]
check "log line for the operator" grep -q "storage is full" "$IT_WORK/server.log"
check "/metrics: kakuin_store_full_total $(metric kakuin_store_full_total)" \
    [ "$(metric kakuin_store_full_total)" -gt 0 ]

info "freeing the space"
rm -f "$IT_DATA/filler" "$IT_DATA/filler2"
out=$(loadgen --clients 2 --issuances 6 --retry 30 2>&1 | grep '^RESULT ')
check "issuance again without a restart ($(field issuances "$out") issued, errors=$(field errors "$out"))" \
    [ "$(field errors "$out")" = 0 ] && [ "$(field issuances "$out")" = 6 ]
kill -TERM "$IT_SERVER_PID"
wait "$IT_SERVER_PID"
kakuin_check

info "token missing"
mv "$IT_DATA/hsm/tokens" "$IT_DATA/hsm/tokens.away"
timeout 60 "${IT_SERVE_CMD[@]}" >"$IT_WORK/notoken.log" 2>&1
rc=$?
tail -n 3 "$IT_WORK/notoken.log"
check "kakuin serve refuses to start without its token (exit $rc)" [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]
check "and says why" grep -qiE "token|slot" "$IT_WORK/notoken.log"
mv "$IT_DATA/hsm/tokens.away" "$IT_DATA/hsm/tokens"

info "token login fails (wrong PIN)"
KAKUIN_HSM_PIN=000000 timeout 60 "${IT_SERVE_CMD[@]}" >"$IT_WORK/badpin.log" 2>&1
rc=$?
tail -n 1 "$IT_WORK/badpin.log"
check "kakuin serve refuses to start when the token login fails (exit $rc)" \
    [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]
check "and says so" grep -qiE "login|PIN" "$IT_WORK/badpin.log"
launch_server
out=$(loadgen --clients 1 --issuances 1 2>&1 | grep '^RESULT ')
check "with the token back it starts and issues (errors=$(field errors "$out"))" \
    [ "$(field errors "$out")" = 0 ]
[ "$IT_FAILED" -eq 0 ]
