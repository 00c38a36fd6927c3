#!/usr/bin/env bash
# OCSP GET throughput (issue #7 item 3, docs/performance.md), three servers in one run:
#  - kakuin: GET /ocsp/<base64 DER> (RFC 5019) on its plain-HTTP listener, answered from
#    the response the status publisher pre-signed;
#  - nginx-light serving those very response bytes as a static file: the ceiling;
#  - `openssl ocsp` as a responder, which signs each response live with a throwaway
#    responder key in a file (kakuin's responder key is in the token and cannot be
#    handed to openssl); it serves one connection at a time, so one client.
# kakuin is measured with the same single client too, for the side-by-side (a Python
# loop, new connection per request: openssl answers HTTP/1.0 and closes).
# Usage: bench/ocsp.sh [BUILD_DIR]
# openssl ocsp -port binds every interface (it takes no address) for the run.
# Env: DURATION (wrk seconds, 10), CONNS (64), STORE_CERTS (certificates in kakuin's
# store, 1000), PROFILE=1 (perf record on kakuin during one more wrk run; also done
# when kakuin is under half of nginx), BENCH_KEEP=1 (keep the work directory).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
STORE_CERTS=${STORE_CERTS:-1000}
W=$BENCH_WORK
D=$W/data
need_tools wrk nginx openssl curl sqlite3
[ -x "$BENCH_BUILD/kakuin-bench-populate" ] || die "build kakuin-bench-populate first"

# ---- kakuin with STORE_CERTS issued certificates, one of them real
"$KAKUIN" init --data-dir "$D" >"$W/init.log" 2>&1 || die "kakuin init"
"$BENCH_BUILD/kakuin-bench-populate" --data-dir "$D" --count "$STORE_CERTS" \
    --cert-out "$W/leaf.pem" >"$W/populate.log" 2>&1 || die "populate: $(cat "$W/populate.log")"
start_kakuin "$D"
# the publisher pre-signs the missing responses at start (a walk over the store, 200 at
# a time): wait until every one is done, so nothing signs in the background while wrk runs
for i in $(seq 600); do
	left=$(sqlite3 "$D/kakuin.db" "SELECT count(*) FROM certificates c LEFT JOIN
	    ocsp_responses o ON o.serial = c.serial WHERE o.serial IS NULL")
	[ "$left" = 0 ] && break
	sleep 0.5
done
[ "$left" = 0 ] || die "kakuin has not pre-signed its OCSP responses ($left left)"

# ---- the RFC 5019 GET URL: URL-encoded base64 of the DER OCSPRequest (SHA-1 CertID)
openssl ocsp -issuer "$D/ca/issuing.pem" -cert "$W/leaf.pem" -no_nonce \
    -reqout "$W/req.der" >/dev/null 2>&1 || die "openssl ocsp -reqout"
b64=$(base64 -w0 "$W/req.der" | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g')
path=/ocsp/$b64
curl -sf -o "$W/resp.der" "$HTTP_BASE$path" || die "GET $path"
openssl ocsp -respin "$W/resp.der" -issuer "$D/ca/issuing.pem" -cert "$W/leaf.pem" \
    -CAfile "$D/ca/chain.pem" 2>&1 | grep -q ': good' || die "kakuin's response is not good"

# ---- nginx-light: the same bytes as a static file, as the invoking user
NPORT=$(free_port)
mkdir -p "$W/www" "$W/nginx"
cp "$W/resp.der" "$W/www/resp.der"
user=
[ "$(id -u)" -ne 0 ] || user="user root;"
cat >"$W/nginx.conf" <<EOF
$user
worker_processes auto;
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $W/nginx/body;
	proxy_temp_path $W/nginx/proxy;
	fastcgi_temp_path $W/nginx/fastcgi;
	uwsgi_temp_path $W/nginx/uwsgi;
	scgi_temp_path $W/nginx/scgi;
	types { }
	default_type application/ocsp-response;
	server {
		listen 127.0.0.1:$NPORT;
		root $W/www;
		location /ocsp/ { try_files /resp.der =404; }
	}
}
EOF
nginx -p "$W/nginx" -c "$W/nginx.conf" -g 'daemon off;' 2>"$W/nginx/stderr" &
BENCH_PIDS+=($!)
wait_http "http://127.0.0.1:$NPORT$path" 10 || die "nginx did not start: $(cat "$W/nginx/stderr")"
cmp -s "$W/resp.der" <(curl -s "http://127.0.0.1:$NPORT$path") || die "nginx serves other bytes"

# ---- openssl ocsp: a throwaway responder key and certificate, index.txt for the leaf
OPORT=$(free_port)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/rkey.pem" -out "$W/rsigner.pem" \
    -days 2 -subj "/CN=throwaway OCSP responder (benchmark only)" 2>/dev/null
serial=$(openssl x509 -in "$W/leaf.pem" -noout -serial | cut -d= -f2)
expiry=$(date -u -d "$(openssl x509 -in "$W/leaf.pem" -noout -enddate | cut -d= -f2)" \
    +%y%m%d%H%M%SZ)
printf 'V\t%s\t\t%s\tunknown\t%s\n' "$expiry" "$serial" \
    "$(openssl x509 -in "$W/leaf.pem" -noout -subject -nameopt compat | sed 's/^subject=//')" \
    >"$W/index.txt"
openssl ocsp -index "$W/index.txt" -port "$OPORT" -rsigner "$W/rsigner.pem" \
    -rkey "$W/rkey.pem" -CA "$D/ca/issuing.pem" -ndays 1 >"$W/openssl-ocsp.log" 2>&1 &
BENCH_PIDS+=($!)
# it takes everything after the first "/" as the base64 request
opath=/$b64
wait_http "http://127.0.0.1:$OPORT$opath" 10 || die "openssl ocsp did not start"
curl -s -o "$W/oresp.der" "http://127.0.0.1:$OPORT$opath"
openssl ocsp -respin "$W/oresp.der" -issuer "$D/ca/issuing.pem" -cert "$W/leaf.pem" \
    -noverify 2>&1 | grep -q ': good' || die "openssl ocsp does not answer good"

# seq_rps URL SECONDS: requests/s of one client that asks again as soon as it has an
# answer, a new connection each time (openssl ocsp answers HTTP/1.0 and closes, which
# wrk does not count)
seq_rps() {
	python3 - "$1" "$2" <<'PY'
import http.client, sys, time, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
end, n = time.monotonic() + float(sys.argv[2]), 0
t0 = time.monotonic()
while time.monotonic() < end:
    c = http.client.HTTPConnection(u.hostname, u.port)
    c.request("GET", u.path)
    r = c.getresponse()
    if r.status != 200 or not r.read():
        sys.exit("HTTP %d" % r.status)
    c.close()
    n += 1
print("%.2f" % (n / (time.monotonic() - t0)))
PY
}

# ---- measure, all in this run
echo "bench/ocsp.sh: $(machine)"
echo "response: $(stat -c %s "$W/resp.der") bytes; kakuin store: $STORE_CERTS certificates"
k=$(wrk_rps -t2 -c"$CONNS" -d"${DURATION}s" "$HTTP_BASE$path")
n=$(wrk_rps -t2 -c"$CONNS" -d"${DURATION}s" "http://127.0.0.1:$NPORT$path")
k1=$(wrk_rps -t1 -c1 -d"${DURATION}s" "$HTTP_BASE$path")
ks=$(seq_rps "$HTTP_BASE$path" "$DURATION")
os=$(seq_rps "http://127.0.0.1:$OPORT$opath" "$DURATION")
printf '%-52s %10s req/s\n' "kakuin GET /ocsp (wrk -t2 -c$CONNS)" "$k" \
    "nginx-light static file (wrk -t2 -c$CONNS)" "$n" \
    "kakuin GET /ocsp (wrk -t1 -c1)" "$k1" \
    "kakuin GET /ocsp (1 client, connection per request)" "$ks" \
    "openssl ocsp, signs each (1 client, conn. per req.)" "$os"
ratio=$(awk -v k="$k" -v n="$n" 'BEGIN { printf "%.0f", 100 * k / n }')
echo "kakuin/nginx: $ratio% (target >= 50%)"

# ---- where kakuin's time goes
if [ -n "${PROFILE:-}" ] || [ "$ratio" -lt 50 ]; then
	command -v perf >/dev/null || die "perf missing (scripts/deps.sh --bench)"
	perf record --call-graph dwarf,16384 -F 499 -o "$W/perf.data" -p "$KAKUIN_PID" -- sleep "$DURATION" \
	    >/dev/null 2>&1 &
	perfpid=$!
	wrk -t2 -c"$CONNS" -d"${DURATION}s" "$HTTP_BASE$path" >/dev/null
	wait "$perfpid" || true
	# inclusive time of user-space functions, the kernel's and unnamed frames left out
	echo "perf (kakuin during wrk: % of its samples in the function and its callees):"
	perf report -i "$W/perf.data" --stdio --children --sort sym 2>/dev/null |
	    grep -E '^ +[0-9.]+%' | grep -vE '\[k\]|\] 0x|clone3|start_thread' | head -40
fi
