# Shared by the bench/*.sh scripts (issue #7, docs/performance.md). Sourced.
# BENCH_BUILD: the build directory; BENCH_WORK: a temporary directory removed on exit
# (kept with BENCH_KEEP=1); BENCH_PIDS: processes this script started, ended on exit.

BENCH_BUILD=$(realpath "${1:-build}")
BENCH_WORK=$(mktemp -d /tmp/kakuin-bench.XXXXXX)
BENCH_PIDS=()
KAKUIN=$BENCH_BUILD/kakuin

bench_cleanup() {
	local p
	for p in "${BENCH_PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	if [ -n "${BENCH_KEEP:-}" ]; then
		echo "bench: kept $BENCH_WORK" >&2
	else
		rm -rf "$BENCH_WORK"
	fi
}
trap bench_cleanup EXIT

die() {
	echo "bench: $*" >&2
	exit 1
}

# A TCP port nothing listens on at 127.0.0.1 (the kernel's pick).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http URL [SECONDS]: until URL answers at all.
wait_http() {
	local i
	for i in $(seq $((${2:-30} * 10))); do
		curl -s -o /dev/null "$1" && return 0
		sleep 0.1
	done
	return 1
}

# start_dnsmasq: a DNS server on a free port answering 127.0.0.1 for every name, so a CA
# dials the load generator's http-01 responder; sets BENCH_DNS (its port).
start_dnsmasq() {
	BENCH_DNS=$(free_port)
	/usr/sbin/dnsmasq --no-resolv --no-hosts --address=/#/127.0.0.1 --local=/#/ \
	    --port="$BENCH_DNS" --listen-address=127.0.0.1 --bind-interfaces --keep-in-foreground \
	    --pid-file="$BENCH_WORK/dnsmasq.pid" --user="$(id -un)" >/dev/null 2>&1 &
	BENCH_PIDS+=($!)
}

# start_kakuin DATA: `kakuin serve` on free ports in dev mode, no reviewer UI, no
# DNSSEC probe, resolving through BENCH_DNS (start_dnsmasq) if set, http-01 on
# BENCH_H01 if set; sets KAKUIN_PID, HTTP_BASE (the status listener) and ACME_DIR.
start_kakuin() {
	local port hport
	port=$(free_port)
	hport=$(free_port)
	"$KAKUIN" serve --data-dir "$1" --dev --listen "127.0.0.1:$port" \
	    --http-listen "127.0.0.1:$hport" --review-listen none \
	    --http01-port "${BENCH_H01:-80}" --dns-resolver "127.0.0.1:${BENCH_DNS:-53}" \
	    --dnssec-probe none >>"$BENCH_WORK/kakuin.log" 2>&1 &
	KAKUIN_PID=$!
	BENCH_PIDS+=("$KAKUIN_PID")
	HTTP_BASE=http://127.0.0.1:$hport
	ACME_DIR=https://127.0.0.1:$port/directory
	wait_http "$HTTP_BASE/crl/issuing.crl" 600 ||
	    { tail -5 "$BENCH_WORK/kakuin.log" >&2; die "kakuin serve did not start"; }
}

# Requests/sec of a wrk run: wrk ARGS...
wrk_rps() {
	wrk "$@" | tee -a "$BENCH_WORK/wrk.log" | awk '/^Requests\/sec:/ { print $2 }'
}

# need_tools CMD...: each command is on PATH, or the bench stops naming it.
need_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || die "$t missing (scripts/deps.sh --bench)"
	done
}

machine() {
	echo "$(date -u +%Y-%m-%d), $(nproc) x $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(free -g | awk '/^Mem:/ { print $2 }') GB"
}
