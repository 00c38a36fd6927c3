#!/usr/bin/env bash
# Listener limits (docs/security.md "Listener limits") of the ACME listener, with the
# limits lowered so the test takes seconds: per-IP 8 connections, idle timeout 3 s,
# request timeout 4 s.
#  - slowloris: clients that trickle a header byte every second (never idle) are cut
#    after the request timeout, not left open;
#  - while they hold every connection 127.0.0.1 may open, a ninth from 127.0.0.1 is
#    refused and a client from 127.0.0.2 is served;
#  - a 200 KiB header gets 431 (or 400), a 100 KiB body (announced, or chunked without a
#    length) gets 413 with an RFC 8555 malformed problem;
#  - the server still answers the directory afterwards and stays up.
# kakuin only. Usage: test_limits.sh BUILD_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ "${KAKUIN_IT_SERVER:-kakuin}" != kakuin ]; then
	echo "SKIP: test_limits.sh checks kakuin's own listener"
	exit 0
fi
it_init "${1:-}"
start_dns
IT_SERVE_ARGS=(--max-connections-per-ip 8 --idle-timeout 3 --request-timeout 4)
start_server

cat >"$IT_WORK/limits.py" <<'PY'
import json, socket, ssl, sys, threading, time

port, cacert = int(sys.argv[1]), sys.argv[2]
PER_IP, IDLE, REQ = 8, 3, 4
passed = failed = 0

def check(name, ok, extra=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS: {name}")
    else:
        failed += 1
        print(f"FAIL: {name} {extra}")

ctx = ssl.create_default_context(cafile=cacert)
ctx.check_hostname = False

def tls(src="127.0.0.1", timeout=5):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                 source_address=(src, 0))
    return ctx.wrap_socket(s, server_hostname="127.0.0.1")

def read_response(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    if not head:
        return 0, {}, b""
    status = int(head.split(b" ")[1])
    hdrs = {}
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        hdrs[k.strip().lower().decode()] = v.strip().decode()
    n = int(hdrs.get("content-length", "0"))
    while len(body) < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, hdrs, body

def get(path="/directory", src="127.0.0.1"):
    s = tls(src)
    try:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                  "Connection: close\r\n\r\n".encode())
        return read_response(s)
    finally:
        s.close()

status, _, body = get()
check("directory before the attack", status == 200 and b"newAccount" in body)
new_account = json.loads(body)["newAccount"].split(str(port), 1)[1]

# ---- slowloris: PER_IP connections from 127.0.0.1 trickling one byte a second ----
lifetimes = [None] * PER_IP
ready = threading.Barrier(PER_IP + 1)

def slowloris(i):
    # the server may not have released the connection of the first GET yet: retry
    for attempt in range(20):
        try:
            s = tls()
            break
        except OSError as e:
            err = e
            time.sleep(0.25)
    else:
        ready.wait()
        lifetimes[i] = ("connect failed", repr(err))
        return
    t0 = time.monotonic()
    s.settimeout(1)
    ready.wait()
    msg = b"GET /directory HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 60
    try:
        for b in msg:
            s.sendall(bytes([b]))
            try:
                if s.recv(1) == b"":
                    break
            except socket.timeout:
                pass
            if time.monotonic() - t0 > 20:
                break
    except (OSError, ssl.SSLError):
        pass
    lifetimes[i] = time.monotonic() - t0
    s.close()

threads = [threading.Thread(target=slowloris, args=(i,)) for i in range(PER_IP)]
for t in threads:
    t.start()
ready.wait()
time.sleep(0.5)

# one more from 127.0.0.1 is over the per-IP limit: closed without an answer
t0 = time.monotonic()
refused = False
try:
    s = tls(timeout=3)
    s.sendall(b"GET /directory HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    refused = s.recv(100) == b""
    s.close()
except (OSError, ssl.SSLError):
    refused = True
check("connection over the per-IP limit (8) refused", refused)

# a client from another address is served during the attack, promptly
t0 = time.monotonic()
try:
    status, _, body = get(src="127.0.0.2")
except OSError as e:
    status, body = 0, repr(e).encode()
dt = time.monotonic() - t0
check("client from 127.0.0.2 served during the attack", status == 200 and dt < 2,
      f"status {status} after {dt:.1f}s")

for t in threads:
    t.join(30)
bad = [x for x in lifetimes if not isinstance(x, float) or not (IDLE < x < REQ + 3)]
check(f"slowloris connections cut after the {REQ}s request timeout, not the {IDLE}s "
      "idle timeout", not bad, f"lifetimes {lifetimes}")

# ---- oversized header: MHD's per-connection memory limit ----
s = tls()
status = 0
try:
    s.sendall(b"GET /directory HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (200 * 1024) +
              b"\r\n\r\n")
except (OSError, ssl.SSLError):
    pass
try:
    status, _, _ = read_response(s)
except (OSError, ssl.SSLError):
    pass
s.close()
check("200 KiB header refused with 431 or 400", status in (431, 400), f"status {status}")

# ---- oversized body: announced length, and chunked without a length ----
def post_big(chunked):
    s = tls()
    head = (f"POST {new_account} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: application/jose+json\r\nConnection: close\r\n")
    try:
        if chunked:
            s.sendall((head + "Transfer-Encoding: chunked\r\n\r\n").encode())
            for _ in range(25):
                s.sendall(b"1000\r\n" + b"{" * 4096 + b"\r\n")
            s.sendall(b"0\r\n\r\n")
        else:
            s.sendall((head + "Content-Length: 102400\r\n\r\n").encode())
            s.sendall(b"{" * 102400)
    except (OSError, ssl.SSLError):
        pass
    try:
        r = read_response(s)
    except (OSError, ssl.SSLError):
        r = (0, {}, b"")
    s.close()
    return r

for chunked in (False, True):
    what = "chunked" if chunked else "announced"
    status, hdrs, body = post_big(chunked)
    try:
        ptype = json.loads(body).get("type", "")
    except ValueError:
        ptype = ""
    check(f"100 KiB {what} body: 413 malformed problem",
          status == 413 and ptype == "urn:ietf:params:acme:error:malformed"
          and hdrs.get("content-type") == "application/problem+json",
          f"status {status} type {ptype!r}")

status, _, body = get()
check("directory after the attack (127.0.0.1 again)", status == 200 and b"newAccount" in body)
print(f"{passed} passed, {failed} failed")
PY

out=$IT_WORK/limits.log
timeout 120 /usr/bin/python3 "$IT_WORK/limits.py" "$IT_PORT" "$IT_CACERT" 2>&1 | tee "$out"
add_tally "$out" limits.py
if grep -q 'request took longer than 4 s' "$IT_WORK/server.log"; then
	pass "server logged the slow clients it cut"
else
	fail "no log line for the slow clients"
fi
kill -0 "${IT_PIDS[-1]}" 2>/dev/null && pass "server still running" || fail "server exited"
[ "$IT_FAILED" -eq 0 ]
