# Helpers for the integration tests; sourced by tests/integration/test_*.sh.
#
#   source "$(dirname "$0")/lib.sh"; it_init "${1:-}"
#
# it_init takes the build directory (ctest passes it) and makes a private
# work dir. start_dns / start_server then bring up, on 127.0.0.1 only:
#   dnsmasq   answering 127.0.0.1 for every name (so the VA dials us back),
#   the ACME server (kakuin, or Pebble with KAKUIN_IT_SERVER=pebble, which
#             exists only to develop this harness without kakuin).
# Everything started is recorded and killed by the EXIT trap, which also
# prints the server log tail when anything failed.
#
# Variables set for the tests:
#   IT_WORK IT_DATA IT_PORT IT_HTTP01 IT_DNSPORT IT_DIRURL IT_CACERT
#   IT_ROOT IT_ISSUING IT_KAKUIN IT_SERVER IT_ROOTDIR IT_BUILD
# Variables a test may set before start_server:
#   IT_RESOLVER_PORT  the resolver the server uses (default IT_DNSPORT;
#                     dns_lib.sh's start_resolver sets it to unbound's port)
#   IT_SERVE_ARGS     more arguments for `kakuin serve` (an array)

IT_PASSED=0
IT_FAILED=0
IT_PIDS=()
IT_MOUNTS=()   # file systems a test mounted (test_faults.sh), unmounted at exit
IT_SERVE_ARGS=()
IT_SERVER=${KAKUIN_IT_SERVER:-kakuin}
IT_LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IT_ROOTDIR=$(cd "$IT_LIBDIR/../.." && pwd)

pass() { IT_PASSED=$((IT_PASSED + 1)); echo "PASS: $*"; }
fail() { IT_FAILED=$((IT_FAILED + 1)); echo "FAIL: $*"; }
info() { echo "---- $*"; }
# certbot_http CBDIR ARGS...: certbot certonly against the test server, standalone
# http-01 on IT_HTTP01, its state under CBDIR; ARGS give the names, key and output.
certbot_http() {
	local cb=$1
	shift
	REQUESTS_CA_BUNDLE=$IT_CACERT timeout 300 certbot certonly --standalone \
	    --non-interactive --agree-tos --register-unsafely-without-email \
	    --server "$IT_DIRURL" --preferred-challenges http \
	    --http-01-port "$IT_HTTP01" --http-01-address 127.0.0.1 \
	    --config-dir "$cb/config" --work-dir "$cb/work" --logs-dir "$cb/logs" "$@"
}

# check NAME CMD...: pass NAME if CMD succeeds, else fail it.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}
# die: a failure after which the test cannot go on.
die() { fail "$*"; exit 1; }

# it_init BUILD_DIR: work dir, trap, a loopback-only environment.
it_init() {
	IT_BUILD=${1:-$IT_ROOTDIR/build}
	if [ -d "$IT_BUILD" ]; then
		IT_BUILD=$(cd "$IT_BUILD" && pwd)
	elif [ "$IT_SERVER" != pebble ]; then
		echo "FAIL: build dir $IT_BUILD not found"
		exit 1
	fi
	IT_KAKUIN=$IT_BUILD/kakuin
	IT_WORK=$(mktemp -d "${TMPDIR:-/tmp}/kakuin-it.XXXXXX")
	IT_DATA=$IT_WORK/data
	trap it_cleanup EXIT
	trap 'exit 130' INT TERM
	# Loopback only: no proxy may see this traffic.
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
	export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost
	# The sanitizer build's server shuts down cleanly on SIGTERM, so leak
	# checking stays on; only SoftHSM's and libp11's module state (kept
	# until exit) is suppressed. Reports land in the log and fail the test.
	if [ -z "${LSAN_OPTIONS:-}" ]; then
		printf 'leak:libsofthsm2.so\nleak:libp11.so\nleak:pkcs11.so\n' >"$IT_WORK/lsan.supp"
		export LSAN_OPTIONS="suppressions=$IT_WORK/lsan.supp:print_suppressions=0"
	fi
	export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
	info "work dir $IT_WORK, server $IT_SERVER"
}

# it_cleanup: EXIT trap. Stops everything started, reports, sets status.
it_cleanup() {
	local rc=$? pid i
	trap - EXIT
	for pid in "${IT_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${IT_PIDS[@]}"; do
		for i in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	for m in "${IT_MOUNTS[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	if [ -f "$IT_WORK/server.log" ] &&
	    grep -E -q 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' \
	    "$IT_WORK/server.log"; then
		fail "sanitizer report in the server log"
	fi
	if [ "$IT_FAILED" -gt 0 ] || [ "$rc" -ne 0 ]; then
		for f in server.log:80 dnsmasq.log:20 knot.log:30 unbound.log:30; do
			[ -s "$IT_WORK/${f%:*}" ] || continue
			echo "==== last ${f#*:} lines of ${f%:*} ===="
			tail -n "${f#*:}" "$IT_WORK/${f%:*}"
		done
		echo "work dir kept: $IT_WORK"
		[ "$rc" -ne 0 ] || rc=1
	else
		rm -rf "$IT_WORK"
	fi
	echo "$IT_PASSED passed, $IT_FAILED failed"
	exit "$rc"
}

# free_port [PREFERRED]: print PREFERRED if nothing listens there on
# 127.0.0.1 (TCP and UDP), else a port the kernel picks.
free_port() {
	/usr/bin/python3 - "${1:-0}" <<'PY'
import socket, sys
def free(p):
    try:
        for t in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(socket.AF_INET, t)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", p))
            s.close()
        return True
    except OSError:
        return False
p = int(sys.argv[1])
if p and free(p):
    print(p); sys.exit(0)
while True:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close()
    if free(p):
        print(p); sys.exit(0)
PY
}

# dns_query PORT NAME: print the first A record 127.0.0.1:PORT gives NAME.
dns_query() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import socket, struct, sys
port, name = int(sys.argv[1]), sys.argv[2]
q = struct.pack(">HHHHHH", 0x4b4b, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
q += struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
s.sendto(q, ("127.0.0.1", port))
r = s.recv(512)
if struct.unpack(">H", r[6:8])[0] < 1:
    sys.exit(1)
print(".".join(str(b) for b in r[-4:]))
PY
}

# start_dns: dnsmasq on 127.0.0.1 (8053 if free) answering 127.0.0.1 for
# every name. --local=/#/ makes every other type (AAAA, CAA, TXT) an empty
# NOERROR answer instead of REFUSED (no upstream), so a CAA check sees "no
# CAA records" rather than a lookup failure. Sets IT_DNSPORT.
start_dns() {
	local i
	IT_DNSPORT=$(free_port 8053)
	/usr/sbin/dnsmasq --no-resolv --no-hosts --address=/#/127.0.0.1 --local=/#/ \
	    --port="$IT_DNSPORT" --listen-address=127.0.0.1 --bind-interfaces \
	    --keep-in-foreground --pid-file="$IT_WORK/dnsmasq.pid" \
	    --user="$(id -un)" --log-queries --log-facility=- \
	    >"$IT_WORK/dnsmasq.log" 2>&1 &
	IT_PIDS+=($!)
	for i in $(seq 50); do
		if [ "$(dns_query "$IT_DNSPORT" probe.example.jp 2>/dev/null)" = 127.0.0.1 ]; then
			info "dnsmasq on 127.0.0.1:$IT_DNSPORT"
			return 0
		fi
		sleep 0.1
	done
	die "dnsmasq did not answer on 127.0.0.1:$IT_DNSPORT"
}

# wait_directory PID: wait until the directory answers over TLS checked
# against IT_CACERT, giving up if PID exits or after 60 s.
wait_directory() {
	local pid=$1 i
	for i in $(seq 300); do
		if curl -fsS --noproxy '*' --cacert "$IT_CACERT" -o /dev/null \
		    "$IT_DIRURL" 2>/dev/null; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || die "server exited before answering"
		sleep 0.2
	done
	die "no answer from $IT_DIRURL within 60 s"
}

# start_server: init a data dir and serve ACME on 127.0.0.1. Needs
# start_dns (or dns_lib.sh's start_resolver) first. dnsmasq does not
# validate DNSSEC, so with it the start-up probe for a validating resolver
# is switched off; with unbound (IT_RESOLVER_PORT set) the test passes
# --dnssec-probe itself through IT_SERVE_ARGS. The server runs in dev mode
# (--dev: accounts without EAB get the dev organization) unless IT_PRODUCTION
# is set (the OV tests); its reviewer UI and its CRL/OCSP listener (IT_HTTPPORT)
# listen on free ports unless IT_SERVE_ARGS names others. The VA's test mode
# (--va-allow-loopback) lets http-01 dial the tests' 127.0.0.1 servers, which a
# production server refuses (docs/security.md "Validation safety").
start_server() {
	local probe=() dev=(--dev) ui
	ui=$(free_port 14001)
	IT_UIPORT=$ui
	IT_HTTPPORT=$(free_port 8080)
	[ -n "${IT_RESOLVER_PORT:-}" ] || probe=(--dnssec-probe none)
	[ -z "${IT_PRODUCTION:-}" ] || dev=()
	IT_RESOLVER_PORT=${IT_RESOLVER_PORT:-$IT_DNSPORT}
	IT_PORT=$(free_port 14000)
	IT_HTTP01=$(free_port 5002)
	IT_CACERT=$IT_DATA/tls/ca.pem
	IT_ROOT=$IT_DATA/ca/root.pem
	IT_ISSUING=$IT_DATA/ca/issuing.pem
	if [ "$IT_SERVER" = pebble ]; then
		start_pebble
		return
	fi
	[ -x "$IT_KAKUIN" ] || die "$IT_KAKUIN not built"
	IT_DIRURL=https://127.0.0.1:$IT_PORT/directory
	"$IT_KAKUIN" init --data-dir "$IT_DATA" >"$IT_WORK/init.log" 2>&1 ||
	    { cat "$IT_WORK/init.log"; die "kakuin init failed"; }
	"$IT_KAKUIN" init --data-dir "$IT_DATA" >>"$IT_WORK/init.log" 2>&1 ||
	    { cat "$IT_WORK/init.log"; die "second kakuin init (idempotent) failed"; }
	local f
	for f in ca/root.pem ca/issuing.pem ca/chain.pem tls/ca.pem; do
		[ -s "$IT_DATA/$f" ] || die "kakuin init did not create $f"
	done
	IT_SERVE_CMD=("$IT_KAKUIN" serve --data-dir "$IT_DATA" --listen "127.0.0.1:$IT_PORT"
	    --http01-port "$IT_HTTP01" --dns-resolver "127.0.0.1:$IT_RESOLVER_PORT"
	    --review-listen "127.0.0.1:$ui" --http-listen "127.0.0.1:$IT_HTTPPORT"
	    "${probe[@]}" "${dev[@]}" --va-allow-loopback "${IT_SERVE_ARGS[@]}")
	: >"$IT_WORK/server.log"
	launch_server
	info "kakuin at $IT_DIRURL (http-01 port $IT_HTTP01)"
}

# launch_server: start_server's kakuin serve again on the same data dir and
# ports (after it was stopped or killed), log appended; IT_SERVER_PID is it.
launch_server() {
	"${IT_SERVE_CMD[@]}" >>"$IT_WORK/server.log" 2>&1 &
	IT_SERVER_PID=$!
	IT_PIDS+=($!)
	wait_directory $!
}

# start_pebble: the same layout as kakuin's data dir, served by Pebble:
# its TLS cert from a throwaway CA in tls/, its (random, in-memory) root
# and intermediate fetched from the management port into ca/.
start_pebble() {
	local mport tlsport
	mport=$(free_port 15000)
	tlsport=$(free_port 5001)
	IT_DIRURL=https://127.0.0.1:$IT_PORT/dir
	mkdir -p "$IT_DATA/tls" "$IT_DATA/ca"
	(
		cd "$IT_DATA/tls" &&
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key \
		    -out ca.pem -days 2 -subj "/CN=harness TLS CA" &&
		openssl req -newkey rsa:2048 -nodes -keyout key.pem \
		    -out tls.csr -subj "/CN=localhost" &&
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >ext.cnf &&
		openssl x509 -req -in tls.csr -CA ca.pem -CAkey ca.key \
		    -CAcreateserial -days 2 -extfile ext.cnf -out cert.pem
	) >"$IT_WORK/tlsgen.log" 2>&1 || { cat "$IT_WORK/tlsgen.log"; die "TLS cert"; }
	cat >"$IT_WORK/pebble.json" <<-EOF
	{ "pebble": {
	    "listenAddress": "127.0.0.1:$IT_PORT",
	    "managementListenAddress": "127.0.0.1:$mport",
	    "certificate": "$IT_DATA/tls/cert.pem",
	    "privateKey": "$IT_DATA/tls/key.pem",
	    "httpPort": $IT_HTTP01,
	    "tlsPort": $tlsport,
	    "ocspResponderURL": "",
	    "externalAccountBindingRequired": false } }
	EOF
	# NONCEREJECT=0: Pebble otherwise rejects 5% of good nonces on purpose.
	PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 \
	    pebble -config "$IT_WORK/pebble.json" \
	    -dnsserver "127.0.0.1:$IT_RESOLVER_PORT" >"$IT_WORK/server.log" 2>&1 &
	IT_PIDS+=($!)
	wait_directory $!
	curl -fsS --cacert "$IT_CACERT" -o "$IT_ROOT" \
	    "https://127.0.0.1:$mport/roots/0" || die "pebble root"
	curl -fsS --cacert "$IT_CACERT" -o "$IT_ISSUING" \
	    "https://127.0.0.1:$mport/intermediates/0" || die "pebble intermediate"
	cat "$IT_ISSUING" "$IT_ROOT" >"$IT_DATA/ca/chain.pem"
	info "pebble at $IT_DIRURL (http-01 port $IT_HTTP01)"
}

# x509lint_bin: print the path of a built x509lint, building a private
# copy from shared/tools if scripts/test did not.
x509lint_bin() {
	local c
	for c in "${KAKUIN_X509LINT:-}" "$IT_ROOTDIR/build/x509lint/x509lint" \
	    "$IT_BUILD/x509lint/x509lint"; do
		[ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return 0; }
	done
	c=$IT_ROOTDIR/../shared/tools/x509lint
	[ -d "$c" ] || return 1
	cp -r "$c" "$IT_WORK/x509lint" && chmod -R u+w "$IT_WORK/x509lint" &&
	    make -s -C "$IT_WORK/x509lint" >&2 && echo "$IT_WORK/x509lint/x509lint"
}

# kakuin_check: `kakuin check` on the running server's store (kakuin only).
kakuin_check() {
	[ "$IT_SERVER" = kakuin ] || { info "kakuin check skipped ($IT_SERVER)"; return 0; }
	if "$IT_KAKUIN" check --data-dir "$IT_DATA" >"$IT_WORK/check.log" 2>&1; then
		pass "kakuin check: store consistent"
	else
		cat "$IT_WORK/check.log"
		fail "kakuin check: store inconsistent"
	fi
}

# check_issued_cert FILE NAMES...: the leaf (first certificate of FILE)
# chains to the root, follows CP table 7.1-1 and passes x509lint.
# Under Pebble the profile and lint results are shown but not counted:
# Pebble's certificates do not follow the SECOM profile.
check_issued_cert() {
	local file=$1 leaf=$IT_WORK/leaf.pem lint out
	shift
	[ -s "$file" ] || { fail "no certificate at $file"; return; }
	openssl x509 -in "$file" -out "$leaf" 2>/dev/null ||
	    { fail "unparseable certificate $file"; return; }
	if out=$(openssl verify -CAfile "$IT_ROOT" -untrusted "$IT_ISSUING" "$leaf" 2>&1); then
		pass "chain verifies to root ($out)"
	else
		fail "openssl verify: $out"
	fi
	if out=$(bash "$IT_LIBDIR/check_profile.sh" "$leaf" "$IT_ROOT" "$IT_ISSUING" "$@" 2>&1); then
		pass "CP table 7.1-1 profile"
	elif [ "$IT_SERVER" = pebble ]; then
		echo "$out" | sed 's/^/  (pebble, not counted) /'
		info "profile check ran; Pebble's certificate is not SECOM-profiled"
	else
		echo "$out"
		fail "CP table 7.1-1 profile"
	fi
	if ! lint=$(x509lint_bin); then
		fail "x509lint not available"
		return
	fi
	# the leaf, and the CA certificates kakuin init made, all through the BR linter
	for c in "$leaf" "$IT_ISSUING" "$IT_ROOT"; do
		out=$("$lint" "$c" 2>&1)
		echo "$out" | sed "s|^|  x509lint $(basename "$c"): |"
		if ! grep -q '^E:' <<<"$out"; then
			pass "x509lint $(basename "$c"): no errors"
		elif [ "$IT_SERVER" = pebble ]; then
			info "x509lint errors not counted under pebble"
		else
			fail "x509lint $(basename "$c") reported errors"
		fi
	done
}

# check_served_chain LEAF CHAIN: the chain the server sent (after the leaf)
# completes the path from LEAF to the root.
check_served_chain() {
	if openssl verify -CAfile "$IT_ROOT" -untrusted "$2" "$1" >/dev/null 2>&1; then
		pass "served chain completes the path to the root"
	else
		fail "served chain does not lead to the root"
	fi
}

# ui_prepare: node and puppeteer-core (npm ci of tests/integration/ui's
# committed lock file, once) for the headless-Chromium scripts.
ui_prepare() {
	local dir=$IT_LIBDIR/ui
	command -v node >/dev/null || die "node not found (scripts/deps.sh installs nodejs)"
	[ -d "$dir/node_modules/puppeteer-core" ] && return 0
	(cd "$dir" && npm ci --no-audit --no-fund) >"$IT_WORK/npm.log" 2>&1 ||
	    { cat "$IT_WORK/npm.log"; die "npm ci in $dir"; }
}

# ui_node SCRIPT.mjs [VAR=VALUE...]: runs a headless-Chromium script from
# tests/integration/ui (puppeteer-core from `npm ci` of the committed lock file,
# Debian's /usr/bin/chromium) with the given environment, logs to SCRIPT.log
# and folds its closing "N passed, N failed" line into this test's counts.
ui_node() {
	local script=$1 out dir=$IT_LIBDIR/ui
	shift
	out=$IT_WORK/${script%.mjs}.log
	ui_prepare
	env "$@" CHROMIUM="${CHROMIUM:-/usr/bin/chromium}" timeout 300 \
	    node "$dir/$script" 2>&1 | tee "$out"
	add_tally "$out" "$script"
}

# add_tally FILE WHAT: adds a helper script's closing "N passed, M failed" line in FILE
# to this test's counts; a missing line is a failure (WHAT did not finish).
add_tally() {
	local line np nf
	if line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1); then
		read -r np _ nf _ <<<"$line"
		IT_PASSED=$((IT_PASSED + np))
		IT_FAILED=$((IT_FAILED + nf))
	else
		fail "$2 did not finish"
	fi
}

# need_loadgen: LOADGEN is the build's kakuin-loadgen (bench/), or the test fails.
need_loadgen() {
	LOADGEN=$IT_BUILD/kakuin-loadgen
	[ -x "$LOADGEN" ] || die "$LOADGEN not built"
}

# run_client NAME.py ARGS...: runs a Python ACME client from this folder
# with Debian's python3 against the running server, logs to NAME.log and
# folds its closing "N passed, N failed" line into this test's counts.
run_client() {
	local script=$1 out line np nf rc
	shift
	out=$IT_WORK/${script%.py}.log
	timeout 600 /usr/bin/python3 "$IT_LIBDIR/$script" --directory "$IT_DIRURL" \
	    --cacert "$IT_CACERT" --http01-port "$IT_HTTP01" "$@" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	if line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1); then
		read -r np _ nf _ <<<"$line"
		IT_PASSED=$((IT_PASSED + np))
		IT_FAILED=$((IT_FAILED + nf))
		[ "$rc" -eq 0 ] || [ "$nf" -gt 0 ] || fail "$script exited $rc"
	else
		fail "$script did not finish (exit $rc)"
	fi
}

# start_ct_logs N: N RFC 6962 test logs (tests/ct/ct_test_log.py) on 127.0.0.1,
# log i run by operator "Test Operator i", accepting chains to IT_DATA's root
# (so kakuin init runs first; start_server's own init keeps it). Sets IT_CT_URL[i],
# IT_CT_KEY[i] (base64 SPKI), IT_CT_RECORD[i] (one JSON line per submission) and
# writes IT_CT_POLICY: policy/default.json with these logs as ct.logs, CT on in both
# modes, and the ct settings of IT_CT_SETTINGS (JSON, e.g. '{"max_wait_seconds": 20}').
# ct_log_mode I MODE switches log i's fault mode (ok, down, badsig, ...).
IT_CT_URL=()
IT_CT_KEY=()
IT_CT_RECORD=()
IT_CT_SETTINGS=${IT_CT_SETTINGS:-'{}'}
start_ct_logs() {
	local n=$1 i j out
	"$IT_KAKUIN" init --data-dir "$IT_DATA" >"$IT_WORK/init-ct.log" 2>&1 ||
	    { cat "$IT_WORK/init-ct.log"; die "kakuin init (for the CT logs' roots)"; }
	for ((i = 0; i < n; i++)); do
		out=$IT_WORK/ctlog$i.out
		IT_CT_RECORD[i]=$IT_WORK/ctlog$i.record
		/usr/bin/python3 "$IT_ROOTDIR/tests/ct/ct_test_log.py" \
		    --roots "$IT_DATA/ca/root.pem" --record "${IT_CT_RECORD[i]}" \
		    >"$out" 2>"$IT_WORK/ctlog$i.log" &
		IT_PIDS+=($!)
		for j in $(seq 100); do
			[ -s "$out" ] && break
			sleep 0.1
		done
		[ -s "$out" ] || die "CT test log $i did not start"
		IT_CT_URL[i]=http://127.0.0.1:$(/usr/bin/python3 -c \
		    'import json,sys; print(json.load(sys.stdin)["port"])' <"$out")/
		IT_CT_KEY[i]=$(/usr/bin/python3 -c \
		    'import json,sys; print(json.load(sys.stdin)["key"])' <"$out")
		info "CT test log $i at ${IT_CT_URL[i]}"
	done
	IT_CT_POLICY=$IT_WORK/policy-ct.json
	/usr/bin/python3 - "$IT_ROOTDIR/policy/default.json" "$IT_CT_POLICY" \
	    "$IT_CT_SETTINGS" "${IT_CT_URL[@]}" "${IT_CT_KEY[@]}" <<'PY' || die "CT policy copy"
import json, sys
src, dst, settings = sys.argv[1:4]
rest = sys.argv[4:]
urls, keys = rest[:len(rest) // 2], rest[len(rest) // 2:]
p = json.load(open(src))
ct = p["ct"]
ct.update({"enabled": True, "dev_enabled": True, "timeout_seconds": 3})
ct.update(json.loads(settings))
ct["logs"] = [{"description": f"Test Log {i}", "operator": f"Test Operator {i}",
               "url": u, "key": k} for i, (u, k) in enumerate(zip(urls, keys))]
json.dump(p, open(dst, "w"), indent=2)
PY
}

ct_log_mode() {
	curl -fsS --noproxy '*' -X POST -H 'Content-Type: application/json' \
	    -d "{\"mode\": \"$2\"}" "${IT_CT_URL[$1]}control" >/dev/null ||
	    die "cannot switch CT test log $1 to $2"
}
