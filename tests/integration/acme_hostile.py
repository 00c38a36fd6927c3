"""Hostile input over HTTP: a bounded, seeded stream of malformed requests.

Every ACME resource gets garbage bodies, broken JWS (bad base64url, wrong types,
huge or NUL-laden header values, unknown algorithms, stray members), validly
signed JWS with nonsense payloads, wrong methods and media types. The server must
answer each with a 4xx RFC 8555 problem document (never 5xx, never a dropped
connection), keep serving, and keep its store consistent.
"""

import json
import os
import random
import sys

import requests

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from acmelib import ERR, Alive, Client, b64u, check, client_args, summary  # noqa: E402

PATHS = ["/acme/new-account", "/acme/new-order", "/acme/key-change", "/acme/acct/1",
         "/acme/acct/1/orders", "/acme/order/1", "/acme/order/1/finalize", "/acme/authz/1",
         "/acme/chall/1", "/acme/cert/00ff", "/acme/cert/zz", "/acme/order/-1",
         "/acme/acct/99999999999999999999", "/directory", "/acme/new-nonce", "/nope",
         "/acme/order/1/finalize/x", "/acme/chall/" + "9" * 400]

PAYLOADS = [b"", b"{}", b"[]", b"null", b"\xff\xfe\x00", b"{" * 5000,
            json.dumps({"identifiers": [{"type": "dns", "value": "a" * 300}]}).encode(),
            json.dumps({"identifiers": [{"type": "dns", "value": "x.example.jp"}] * 200}).encode(),
            json.dumps({"identifiers": "dns"}).encode(),
            json.dumps({"csr": "!!"}).encode(), json.dumps({"csr": b64u(b"\x30\x03\x02\x01")}).encode(),
            json.dumps({"status": "deactivated", "contact": 5}).encode(),
            json.dumps({"contact": ["mailto:" + "a" * 5000 + "@example.jp"]}).encode(),
            json.dumps({"payload": "x", "protected": "y", "signature": "z"}).encode()]


def headers(rnd, base):
    return rnd.choice([
        {"alg": "RS256", "nonce": "x", "url": base + "/acme/new-order", "kid": base + "/acme/acct/1"},
        {"alg": "ES256", "nonce": "x", "url": 1, "jwk": {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}},
        {"alg": "none"}, {"alg": "HS256", "kid": "k", "nonce": "n", "url": "u"},
        {"alg": "RS256", "jwk": {"kty": "RSA", "n": "AQAB", "e": "AQAB"}, "nonce": "a", "url": "u"},
        {"alg": "PS256", "kid": "\u0000" * 5, "nonce": None, "url": []},
        [1, 2], "str", None, {"alg": "RS256" * 1000}, {"alg": "RS256", "crit": ["b64"]},
    ])


def garbage(rnd, base):
    kind = rnd.randrange(6)
    if kind == 0:
        return bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(400)))
    if kind == 1:
        return json.dumps({"protected": "!!", "payload": "", "signature": ""}).encode()
    body = {"protected": b64u(json.dumps(headers(rnd, base)).encode()),
            "payload": b64u(rnd.choice(PAYLOADS)),
            "signature": b64u(bytes(rnd.getrandbits(8) for _ in range(rnd.choice([0, 64, 256]))))}
    if kind == 2:
        body["header"] = {"alg": "RS256"}
    if kind == 3:
        del body[rnd.choice(list(body))]
    if kind == 4:
        body["protected"] += "="
    return json.dumps(body).encode()


def is_problem(r):
    try:
        return r.json().get("type", "").startswith(ERR)
    except ValueError:
        return False


def raw_stream(cl, rnd, count):
    """Unauthenticated garbage to every resource, with every method and media type."""
    base = cl.dirurl.rsplit("/", 1)[0]
    bad = []
    for _ in range(count):
        path = rnd.choice(PATHS)
        method = rnd.choice(["POST", "POST", "POST", "GET", "HEAD", "PUT", "DELETE"])
        ctype = rnd.choice(["application/jose+json", "application/jose+json", "application/json", None])
        hdrs = {"Content-Type": ctype} if ctype else {}
        data = garbage(rnd, base) if method in ("POST", "PUT") else None
        try:
            r = cl.s.request(method, base + path, data=data, headers=hdrs, timeout=30)
        except requests.RequestException as e:
            bad.append(f"{method} {path}: {e!r}")
            continue
        if r.status_code >= 500:
            bad.append(f"{method} {path}: {r.status_code} {r.text[:150]}")
        elif r.status_code >= 400 and method != "HEAD" and not is_problem(r):
            bad.append(f"{method} {path}: {r.status_code} without a problem document")
    return bad


def signed_stream(cl, rnd, count):
    """Correctly signed JWS from a real account carrying nonsense payloads."""
    base = cl.dirurl.rsplit("/", 1)[0]
    acct = cl.kid.rsplit("/", 1)[1]
    targets = [cl.dir["newOrder"], cl.kid, cl.kid + "/orders", cl.dir["keyChange"],
               base + "/acme/order/1/finalize", base + "/acme/authz/1", base + "/acme/chall/1",
               base + "/acme/order/" + acct]
    bad = []
    for _ in range(count):
        url = rnd.choice(targets)
        payload = rnd.choice(PAYLOADS)
        try:
            decoded = json.loads(payload)
        except ValueError:
            decoded = {"junk": b64u(payload)}
        r = cl.post(url, decoded)
        if r.status_code >= 500 or (r.status_code >= 400 and not is_problem(r)):
            bad.append(f"POST {url} {payload[:40]!r}: {r.status_code} {r.text[:150]}")
    return bad


def main():
    ap = client_args()
    ap.add_argument("--count", type=int, default=600)
    args = ap.parse_args()
    rnd = random.Random(20261127)
    cl = Client(args.directory, args.cacert)
    alive = Alive(cl, "kakuin", args.kakuin, args.data_dir)
    bad = raw_stream(cl, rnd, args.count)
    check(f"{args.count} malformed requests: each a 4xx problem document", not bad,
          "; ".join(bad[:5]))
    alive("malformed requests")
    cl.register()
    bad = signed_stream(cl, rnd, args.count // 3)
    check(f"{args.count // 3} signed nonsense payloads: each a 4xx problem document", not bad,
          "; ".join(bad[:5]))
    alive("signed nonsense")
    return summary()


if __name__ == "__main__":
    sys.exit(main())
