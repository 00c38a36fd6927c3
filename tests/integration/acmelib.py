"""Shared pieces of the raw RFC 8555 clients (acme_negative.py, acme_protocol.py).

JWS (RS256, RFC 7515 flattened JSON) is built by hand so a test can send what
a real client never would. Also here: PASS/FAIL/SKIP reporting with the
closing "N passed, N failed" line, an http-01 responder, CSR building and the
"server still alive and store consistent" probe.
"""

import argparse
import base64
import hashlib
import hmac
import http.server
import json
import subprocess
import sys
import threading
import time

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

ERR = "urn:ietf:params:acme:error:"
PEM_CHAIN = "application/pem-certificate-chain"
JOSE_JSON = "application/jose+json"

passed = failed = 0
SERVER = "kakuin"  # the caller sets this; "pebble" turns pebble_differs mismatches into SKIPs


def check(name, ok, detail="", pebble_differs=False):
    """pebble_differs: Pebble is known to answer otherwise; under Pebble a
    mismatch is shown as SKIP, not counted (kakuin must pass it)."""
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS: {name}")
    elif pebble_differs and SERVER == "pebble":
        print(f"SKIP: {name} (pebble differs: {' '.join(str(detail).split())[:200]})")
    else:
        failed += 1
        print(f"FAIL: {name}: {' '.join(str(detail).split())[:400]}")
    sys.stdout.flush()
    return bool(ok)


def skip(name, why):
    print(f"SKIP: {name} ({why})")


def summary():
    """Prints the closing line; returns the exit status."""
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n):
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


def problem(resp):
    """The response's problem document (or JSON body), or {} if it has none."""
    try:
        return resp.json()
    except ValueError:
        return {}


def rsa_key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def rsa_jwk(key):
    pub = key.public_key().public_numbers()
    return {"e": b64u(uint(pub.e)), "kty": "RSA", "n": b64u(uint(pub.n))}


def jwk_thumbprint(jwk):
    """RFC 7638 thumbprint of an RSA JWK."""
    canon = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, sort_keys=True,
                       separators=(",", ":"))
    return b64u(hashlib.sha256(canon.encode()).digest())


def sign_jws(key, prot, payload, alg="RS256"):
    """Flattened JWS as a dict; payload None is the empty payload (POST-as-GET).
    HS256 is signed with a made-up secret: servers must refuse it."""
    p64 = b64u(json.dumps(prot))
    body64 = "" if payload is None else b64u(json.dumps(payload))
    signing_input = f"{p64}.{body64}".encode()
    if alg == "HS256":
        sig = hmac.new(b"not-a-key", signing_input, hashlib.sha256).digest()
    else:
        sig = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return {"protected": p64, "payload": body64, "signature": b64u(sig)}


class Client:
    """One ACME account (one RSA key) over one requests session."""

    def __init__(self, dirurl, cacert, key=None):
        self.s = requests.Session()
        self.s.verify = cacert
        self.s.trust_env = False  # no proxies, no global CA bundle
        self.dirurl = dirurl
        self.dir = self.s.get(dirurl, timeout=30).json()
        self.set_key(key or rsa_key())
        self.kid = None
        self.nonce = None

    def set_key(self, key):
        self.key = key
        self.jwk = rsa_jwk(key)
        self.thumb = jwk_thumbprint(self.jwk)

    def new_nonce(self):
        r = self.s.head(self.dir["newNonce"], timeout=30)
        return r.headers["Replay-Nonce"]

    def jws(self, url, payload, nonce=None, alg="RS256", purl=None, use_jwk=False, kid=None):
        """The JWS body text; kid overrides the account's kid."""
        prot = {"alg": alg, "nonce": nonce or self.new_nonce(), "url": purl or url}
        if kid is None and (use_jwk or self.kid is None):
            prot["jwk"] = self.jwk
        else:
            prot["kid"] = kid or self.kid
        return json.dumps(sign_jws(self.key, prot, payload, alg))

    def post(self, url, payload, nonce=None, retry=True, accept=None,
             content_type=JOSE_JSON, **kw):
        """POST a JWS; retries once on badNonce with the nonce given back."""
        headers = {"Content-Type": content_type}
        if accept:
            headers["Accept"] = accept
        body = self.jws(url, payload, nonce=nonce or self.nonce, **kw)
        r = self.s.post(url, data=body, headers=headers, timeout=60)
        self.nonce = r.headers.get("Replay-Nonce")
        if retry and r.status_code == 400 and problem(r).get("type") == ERR + "badNonce":
            return self.post(url, payload, retry=False, accept=accept,
                             content_type=content_type, **kw)
        return r

    def new_account(self, payload, **kw):
        """POST newAccount signed with the jwk; a 200/201 answer sets kid."""
        r = self.post(self.dir["newAccount"], payload, use_jwk=True, **kw)
        if r.status_code in (200, 201) and "Location" in r.headers:
            self.kid = r.headers["Location"]
        return r

    def register(self, contact=("mailto:it@example.jp",)):
        r = self.new_account({"termsOfServiceAgreed": True, "contact": list(contact)})
        if r.status_code not in (200, 201):
            raise RuntimeError(f"newAccount: {r.status_code} {r.text}")

    def order_request(self, names):
        """The newOrder response for dns names, whatever it is."""
        return self.post(self.dir["newOrder"],
                         {"identifiers": [{"type": "dns", "value": n} for n in names]})

    def new_order(self, names):
        r = self.order_request(names)
        if r.status_code != 201:
            raise RuntimeError(f"newOrder: {r.status_code} {r.text}")
        return r.headers["Location"], r.json()

    def get(self, url):
        return self.post(url, None)

    def poll(self, url, done, timeout=90):
        """POST-as-GET url until its status is in done; returns the object."""
        end = time.time() + timeout
        while True:
            obj = self.get(url).json()
            if obj.get("status") in done or time.time() > end:
                return obj
            time.sleep(0.5)


class Http01(http.server.ThreadingHTTPServer):
    """Serves /.well-known/acme-challenge/<token> from a dict."""
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, port):
        self.bodies = {}
        self.hits = []
        super().__init__(("127.0.0.1", port), Http01Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class Http01Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.hits.append(self.path)
        token = self.path.rsplit("/", 1)[-1]
        body = self.server.bodies.get(token)
        if not self.path.startswith("/.well-known/acme-challenge/") or body is None:
            self.send_error(404)
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def http01_challenge(cl, authz_url):
    authz = cl.get(authz_url).json()
    return next(c for c in authz["challenges"] if c["type"] == "http-01")


def validate_authz(cl, web, authz_url):
    """Answers the http-01 challenge of authz_url; returns the final authz."""
    ch = http01_challenge(cl, authz_url)
    web.bodies[ch["token"]] = f"{ch['token']}.{cl.thumb}"
    cl.post(ch["url"], {})
    return cl.poll(authz_url, ("valid", "invalid"))


def ready_order(cl, web, names):
    """A fresh order for names with every authorization valid."""
    order_url, order = cl.new_order(names)
    for az in order["authorizations"]:
        res = validate_authz(cl, web, az)
        if res.get("status") != "valid":
            raise RuntimeError(f"authorization for {names} did not validate: {res}")
    order = cl.poll(order_url, ("ready", "invalid"))
    if order.get("status") != "ready":
        raise RuntimeError(f"order not ready: {order}")
    return order_url, order


def csr(names, key):
    """base64url DER CSR: CN = names[0], SAN = names."""
    b = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
    b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]),
                        critical=False)
    return b64u(b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))


def load_chain(pem):
    """The certificates of a PEM chain (bytes), in order."""
    end = b"-----END CERTIFICATE-----"
    return [x509.load_pem_x509_certificate(blk + end)
            for blk in pem.split(end) if b"-----BEGIN" in blk]


class Alive:
    """After a group: the directory answers and (kakuin only) `kakuin check` passes."""

    def __init__(self, cl, server, kakuin=None, data_dir=None):
        self.cl, self.server, self.kakuin, self.data_dir = cl, server, kakuin, data_dir

    def __call__(self, after):
        try:
            r = self.cl.s.get(self.cl.dirurl, timeout=30)
            ok = r.status_code == 200 and "newNonce" in r.json()
            check(f"directory answers after {after}", ok, f"{r.status_code} {r.text[:200]}")
        except (requests.RequestException, ValueError) as e:
            check(f"directory answers after {after}", False, repr(e))
        if self.server != "kakuin":
            skip(f"kakuin check after {after}", self.server)
            return
        p = subprocess.run([self.kakuin, "check", "--data-dir", self.data_dir],
                           capture_output=True, text=True, timeout=120)
        check(f"kakuin check after {after}", p.returncode == 0,
              f"exit {p.returncode}: {(p.stdout + p.stderr)[-500:]}")


def client_args(kakuin_required=True):
    """The command line every client takes from run_client in lib.sh; callers may
    add their own options before parse_args()."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--directory", required=True)
    ap.add_argument("--cacert", required=True)
    ap.add_argument("--http01-port", type=int, required=True)
    ap.add_argument("--kakuin", required=kakuin_required)
    ap.add_argument("--data-dir", required=kakuin_required)
    return ap
