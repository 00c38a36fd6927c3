#!/usr/bin/env bash
# Full ACME issuance, kakuin against Pebble in the same run (issue #7 items 1-2,
# docs/performance.md). One kakuin-loadgen drives both with the same clients: real
# http-01 for kakuin (dev mode, SQLite, SoftHSM signer, CT off as in dev mode), Pebble 2.4
# with PEBBLE_VA_NOSLEEP=1 PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_WFE_NONCEREJECT=0. Names
# resolve through a dnsmasq on 127.0.0.1 answering 127.0.0.1.
# For each concurrency it prints both RESULT lines, the servers' CPU per issuance and the
# ratio; it writes BENCH_OUT/issuance.tsv and, with gnuplot, issuance.png (throughput vs
# concurrency). Targets (reported, never asserted): kakuin >= 3x Pebble's rate, p99 <=
# Pebble's; kakuin's peak RSS (VmHWM) <= 64 MiB.
#   bench/issuance.sh [BUILD_DIR]   env: CLIENTS="1 4 8 16" DURATION=10 WARMUP=2
#   PROFILE=1: perf record on kakuin during one more run at the last concurrency
#                                        BENCH_OUT=bench/results
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
CLIENTS=${CLIENTS:-"1 4 8 16"}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
OUT=${BENCH_OUT:-$HERE/results}
LOADGEN=$BENCH_BUILD/kakuin-loadgen
[ -x "$LOADGEN" ] && [ -x "$KAKUIN" ] || die "build kakuin and kakuin-loadgen first"
command -v pebble >/dev/null || die "pebble (Debian package) is not installed"
mkdir -p "$OUT"

start_dnsmasq
dns=$BENCH_DNS
h01=$(free_port)

# kakuin
kport=$(free_port)
"$KAKUIN" init --data-dir "$BENCH_WORK/kakuin" >"$BENCH_WORK/init.log" 2>&1 || die "init"
"$KAKUIN" serve --data-dir "$BENCH_WORK/kakuin" --dev --listen "127.0.0.1:$kport" \
    --http01-port "$h01" --dns-resolver "127.0.0.1:$dns" --dnssec-probe none \
    --review-listen none --http-listen "127.0.0.1:$(free_port)" \
    >"$BENCH_WORK/kakuin.log" 2>&1 &
KPID=$!
BENCH_PIDS+=("$KPID")
KDIR=https://127.0.0.1:$kport/directory
KCA=$BENCH_WORK/kakuin/tls/ca.pem
for _ in $(seq 100); do curl -fs --cacert "$KCA" -o /dev/null "$KDIR" && break; sleep 0.1; done

# Pebble, with a throwaway TLS certificate. Started afresh for every concurrency:
# Pebble 2.4 sometimes wedges after a few thousand issuances (its rate then drops to
# a few per second or it stops answering), which would be charged to the next point.
P=$BENCH_WORK/pebble
mkdir -p "$P"
(cd "$P" && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
    -subj "/CN=bench TLS CA" && openssl req -newkey rsa:2048 -nodes -keyout key.pem \
    -out tls.csr -subj "/CN=localhost" &&
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >ext.cnf &&
    openssl x509 -req -in tls.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile ext.cnf -out cert.pem) >/dev/null 2>&1 || die "Pebble TLS certificate"
PPID_=
start_pebble_bench() {
	local pport
	if [ -n "$PPID_" ]; then
		kill "$PPID_" 2>/dev/null
		wait "$PPID_" 2>/dev/null
	fi
	pport=$(free_port)
	cat >"$P/pebble.json" <<JSON
{ "pebble": { "listenAddress": "127.0.0.1:$pport", "managementListenAddress": "127.0.0.1:$(free_port)",
  "certificate": "$P/cert.pem", "privateKey": "$P/key.pem", "httpPort": $h01,
  "tlsPort": $(free_port), "ocspResponderURL": "", "externalAccountBindingRequired": false } }
JSON
	PEBBLE_VA_NOSLEEP=1 PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_WFE_NONCEREJECT=0 \
	    pebble -config "$P/pebble.json" -dnsserver "127.0.0.1:$dns" >>"$BENCH_WORK/pebble.log" 2>&1 &
	PPID_=$!
	BENCH_PIDS+=("$PPID_")
	PDIR=https://127.0.0.1:$pport/dir
	for _ in $(seq 100); do curl -fs --cacert "$P/ca.pem" -o /dev/null "$PDIR" && break; sleep 0.1; done
}

cpu_of() { awk '{ print ($14 + $15) / 100 }' "/proc/$1/stat"; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# run NAME PID DIR CACERT CLIENTS: one loadgen run; prints the RESULT line and CPU/issuance
run() {
	local name=$1 pid=$2 dir=$3 ca=$4 c=$5 a b r
	a=$(cpu_of "$pid")
	r=$("$LOADGEN" --directory "$dir" --cacert "$ca" --clients "$c" --duration "$DURATION" \
	    --warmup "$WARMUP" --http01-port "$h01" --suffix "$name.bench.example.jp" 2>&1 |
	    tee -a "$BENCH_WORK/loadgen-$name.log" | grep '^RESULT ')
	b=$(cpu_of "$pid")
	echo "$r server_cpu_ms_per_issuance=$(awk -v a="$a" -v b="$b" -v n="$(field issuances "$r")" \
	    'BEGIN { printf "%.2f", (n > 0) ? (b - a) * 1000 / n : 0 }')"
}

echo "# $(machine)"
printf 'clients\tkakuin_rate\tpebble_rate\tratio\tkakuin_p99_ms\tpebble_p99_ms\tkakuin_errors\tpebble_errors\n' \
    >"$OUT/issuance.tsv"
for c in $CLIENTS; do
	start_pebble_bench
	pr=$(run pebble "$PPID_" "$PDIR" "$P/ca.pem" "$c")
	kr=$(run kakuin "$KPID" "$KDIR" "$KCA" "$c")
	echo "pebble $pr"
	echo "kakuin $kr"
	grep -h "^ERROR" "$BENCH_WORK"/loadgen-*.log 2>/dev/null | sort | uniq -c | sed "s/^/  errors so far: /"
	ratio=$(awk -v k="$(field rate "$kr")" -v p="$(field rate "$pr")" \
	    'BEGIN { printf "%.2f", (p > 0) ? k / p : 0 }')
	echo "clients=$c kakuin/pebble=$ratio (target >= 3), p99 kakuin $(field p99_ms "$kr") ms vs" \
	    "pebble $(field p99_ms "$pr") ms (target <=)"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$(field rate "$kr")" "$(field rate "$pr")" \
	    "$ratio" "$(field p99_ms "$kr")" "$(field p99_ms "$pr")" "$(field errors "$kr")" \
	    "$(field errors "$pr")" >>"$OUT/issuance.tsv"
done
# ---- where kakuin's time goes (PROFILE=1): perf during one more run at the last concurrency
if [ -n "${PROFILE:-}" ]; then
	command -v perf >/dev/null || die "perf missing (scripts/deps.sh --bench)"
	perf record --call-graph dwarf,16384 -F 499 -o "$OUT/perf.data" -p "$KPID" \
	    -- sleep "$((DURATION + WARMUP))" >/dev/null 2>&1 &
	perfpid=$!
	run kakuin "$KPID" "$KDIR" "$KCA" "$c" | sed 's/^/profiled kakuin /'
	wait "$perfpid" || true
	echo "perf (kakuin under load: % of its samples in the function and its callees):"
	perf report -i "$OUT/perf.data" --stdio --children --sort sym 2>/dev/null |
	    grep -E '^ +[0-9.]+%' | grep -vE '\[k\]|\] 0x|clone3|start_thread' | head -60
	echo "perf (by library, self time):"
	perf report -i "$OUT/perf.data" --stdio --no-children --sort dso 2>/dev/null |
	    grep -E '^ +[0-9.]+%' | head -15
fi
echo "kakuin peak RSS under load: $(awk '/VmHWM/ { print $2, $3 }' "/proc/$KPID/status") (target <= 64 MiB)"
echo "table: $OUT/issuance.tsv"
if command -v gnuplot >/dev/null; then
	gnuplot <<GP && echo "plot: $OUT/issuance.png"
set terminal pngcairo size 800,500
set output "$OUT/issuance.png"
set title "ACME issuances/s vs concurrent clients ($(date -u +%Y-%m-%d), $(nproc) cores)"
set xlabel "clients"; set ylabel "issuances/s"; set key left top; set grid
plot "$OUT/issuance.tsv" using 1:2 with linespoints title "kakuin", \
     "$OUT/issuance.tsv" using 1:3 with linespoints title "Pebble 2.4"
GP
fi
