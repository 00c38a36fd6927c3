#!/usr/bin/env bash
# kakuin on a large store (issue #7 item 4, docs/performance.md):
#  1. kakuin-bench-populate: COUNT issued certificates, all revoked (timed), and
#     `kakuin check` on the result (timed);
#  2. kakuin-bench-crl: the CRL path on COUNT revoked entries (target <= 5 s);
#  3. `kakuin serve` on that store: does it start (it must issue a CRL first);
#  4. the store cut down to FIT revoked (the rest issued): kakuin-bench-crl again, then
#     `kakuin serve`: time to listen, VmHWM/VmRSS after start and SETTLE seconds later
#     (the publisher's first rounds), and OCSP GET for a certificate whose response is
#     not pre-signed yet (pre-signed by the first request) while the publisher walks
#     the store for missing responses. wrk waits up to 30 s for an answer: with its
#     default of 2 s a stalled request is dropped from the latencies.
#  5. issuance (kakuin-loadgen, ICLIENTS clients, IDURATION s) on that store, in steady
#     state (every certificate with a pre-signed OCSP response), and on an empty one, one
#     after the other (target: >= 90 % of the empty store's rate), and
#     the server's VmHWM under that load (target <= 64 MiB).
# Usage: bench/scale.sh [BUILD_DIR]
# Env: COUNT (1000000), FIT (10000, a CRL kakuin can still sign), SETTLE (30),
# ICLIENTS (4), IDURATION (10),
# BENCH_KEEP=1 (keep the work directory, about 4 GB for a million).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
COUNT=${COUNT:-1000000}
FIT=${FIT:-10000}
SETTLE=${SETTLE:-30}
W=$BENCH_WORK
D=$W/data
need_tools wrk openssl curl sqlite3
for t in kakuin-bench-populate kakuin-bench-crl; do
	[ -x "$BENCH_BUILD/$t" ] || die "build $t first"
done
# seconds since START (a float)
START=0
elapsed() { awk -v a="$START" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
# status_kb FIELD: VmHWM or VmRSS of the server, in MB
status_mb() { awk -v f="$1:" '$1 == f { printf "%.0f", $2 / 1024 }' "/proc/$KAKUIN_PID/status"; }

echo "bench/scale.sh: $(machine)"
"$KAKUIN" init --data-dir "$D" >"$W/init.log" 2>&1 || die "kakuin init"
START=$(date +%s.%N)
"$BENCH_BUILD/kakuin-bench-populate" --data-dir "$D" --count "$COUNT" --revoked "$COUNT" \
    --cert-out "$W/leaf.pem" 2>"$W/populate.log" || die "populate: $(tail -3 "$W/populate.log")"
echo "store: $(du -sh "$D/kakuin.db" | cut -f1)"
START=$(date +%s.%N)
"$KAKUIN" check --data-dir "$D" >"$W/check.log" 2>&1 || die "kakuin check: $(cat "$W/check.log")"
echo "kakuin check: $(cat "$W/check.log") ($(elapsed) s)"

echo "-- CRL with $COUNT revoked entries"
rc=0
"$BENCH_BUILD/kakuin-bench-crl" --data-dir "$D" --runs 1 2>"$W/crl1.log" || rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || die "kakuin-bench-crl: $(tail -3 "$W/crl1.log")"

echo "-- kakuin serve with $COUNT revoked certificates and no current CRL"
rc=0
timeout "${SERVE1_SECONDS:-120}" "$KAKUIN" serve --data-dir "$D" --dev --listen "127.0.0.1:$(free_port)" \
    --http-listen "127.0.0.1:$(free_port)" --review-listen none \
    --dns-resolver 127.0.0.1:53 --dnssec-probe none >"$W/serve1.log" 2>&1 || rc=$?
if [ "$rc" -eq 124 ]; then
	echo "kakuin serve started"
else
	echo "kakuin serve exited ($rc): $(grep -v ' info ' "$W/serve1.log" | tail -2)"
fi

echo "-- $FIT of the $COUNT certificates revoked, the rest issued"
START=$(date +%s.%N)
sqlite3 "$D/kakuin.db" "UPDATE certificates SET status = 'issued', revoked_at = NULL,
    revoked_reason = NULL, revoked_by = NULL WHERE status = 'revoked' AND rowid >
    (SELECT min(rowid) FROM certificates) + $FIT - 1" || die "un-revoke"
echo "un-revoked the rest in $(elapsed) s"
"$BENCH_BUILD/kakuin-bench-crl" --data-dir "$D" --runs 2 2>"$W/crl2.log" ||
    die "kakuin-bench-crl: $(tail -3 "$W/crl2.log")"

START=$(date +%s.%N)
start_kakuin "$D"
echo "kakuin serve listening after $(elapsed) s: VmHWM $(status_mb VmHWM) MB," \
    "VmRSS $(status_mb VmRSS) MB"
# the real certificate is the first row, revoked: its response is not pre-signed yet
openssl ocsp -issuer "$D/ca/issuing.pem" -cert "$W/leaf.pem" -no_nonce \
    -reqout "$W/req.der" >/dev/null 2>&1 || die "openssl ocsp -reqout"
url=$HTTP_BASE/ocsp/$(base64 -w0 "$W/req.der" | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g')
wrk -t2 -c16 -d10s --timeout 30s --latency "$url" >"$W/wrk-1m.log"
echo "OCSP GET during the publisher's first rounds (wrk -t2 -c16 -d10s):" \
    "$(awk '/^Requests\/sec:/ { print $2 }' "$W/wrk-1m.log") req/s," \
    "latency p50 $(awk '$1 == "50%" { print $2 }' "$W/wrk-1m.log")," \
    "p99 $(awk '$1 == "99%" { print $2 }' "$W/wrk-1m.log")," \
    "max $(awk '$1 == "Latency" { print $4 }' "$W/wrk-1m.log")"
sleep "$SETTLE"
echo "after $(elapsed) s: VmHWM $(status_mb VmHWM) MB, VmRSS $(status_mb VmRSS) MB," \
    "$(sqlite3 "$D/kakuin.db" 'SELECT count(*) FROM ocsp_responses') OCSP responses" \
    "pre-signed, CRLs: $(sqlite3 "$D/kakuin.db" 'SELECT count(*) FROM crls')"

echo "-- issuance on this store and on an empty one"
ICLIENTS=${ICLIENTS:-4}
IDURATION=${IDURATION:-10}
[ -x "$BENCH_BUILD/kakuin-loadgen" ] || die "build kakuin-loadgen first"
start_dnsmasq
BENCH_H01=$(free_port)
# issue_rate DATA: one loadgen run against a fresh kakuin serve on DATA; sets RATE and
# HWM (the server's VmHWM in MB after the run)
issue_rate() {
	local r
	kill "$KAKUIN_PID" 2>/dev/null && wait "$KAKUIN_PID" 2>/dev/null
	start_kakuin "$1"
	r=$("$BENCH_BUILD/kakuin-loadgen" --directory "$ACME_DIR" --cacert "$1/tls/ca.pem" \
	    --clients "$ICLIENTS" --duration "$IDURATION" --warmup 2 --http01-port "$BENCH_H01" \
	    2>&1 | tee -a "$W/loadgen.log" | grep '^RESULT ')
	HWM=$(status_mb VmHWM)
	echo "  $(basename "$1"): $r VmHWM=${HWM}MB"
	RATE=$(sed -n 's/.* rate=\([^ ]*\).*/\1/p' <<<"$r")
}
"$KAKUIN" init --data-dir "$W/empty" >>"$W/init.log" 2>&1 || die "kakuin init (empty)"
# A CA that issued a million certificates has a pre-signed OCSP response for each; this
# store has a few thousand, and the publisher would spend the runs signing the rest
# (~300/s, a core's worth of work that is a one-off catch-up, not the store's size).
# Steady state: every certificate gets a copy of one real response, due in 2 days.
kill "$KAKUIN_PID" 2>/dev/null && wait "$KAKUIN_PID" 2>/dev/null
START=$(date +%s.%N)
sqlite3 "$D/kakuin.db" "INSERT INTO ocsp_responses (serial, this_update, next_update, der)
    SELECT c.serial, strftime('%s', 'now'), strftime('%s', 'now') + 4 * 86400,
    (SELECT der FROM ocsp_responses LIMIT 1) FROM certificates c
    LEFT JOIN ocsp_responses o ON o.serial = c.serial WHERE o.serial IS NULL" ||
    die "steady-state OCSP rows"
echo "every certificate given a pre-signed OCSP response in $(elapsed) s"
issue_rate "$D"
big=$RATE big_hwm=$HWM
issue_rate "$W/empty"
empty=$RATE
issue_rate "$D"
big2=$RATE
echo "issuance/s: big store $big then $big2, empty store $empty;" \
    "ratio $(awk -v a="$big" -v b="$big2" -v e="$empty" 'BEGIN { printf "%.0f", (a + b) / 2 / e * 100 }') %" \
    "(target >= 90 %); VmHWM on the big store under load $big_hwm MB (target <= 64 MiB)"
