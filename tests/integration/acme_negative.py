#!/usr/bin/env python3
"""Raw ACME (RFC 8555) client that drives the server into its error paths.

JWS (RS256, RFC 7515 flattened JSON; acmelib.py) is built by hand so the
client can send what a real client never would: stale and made-up nonces,
HS256, a wrong "url", oversized bodies, weak or foreign keys in the CSR.
Each check prints PASS/FAIL/SKIP; the last line is "N passed, N failed".

usage: acme_negative.py --directory URL --cacert PEM --http01-port N
           [--server kakuin|pebble] [--kakuin BIN --data-dir DIR]
"""

import json
import os
import socket
import ssl
import sys
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography import x509

sys.dont_write_bytecode = True  # run from the source tree: no __pycache__ there
import acmelib
from acmelib import (ERR, PEM_CHAIN, Alive, Client, Http01, b64u, check, client_args, csr,
                     http01_challenge, load_chain, problem, ready_order, skip)


def test_nonces(cl):
    """(a) stale and made-up nonces: badNonce, a fresh Replay-Nonce, retry works."""
    url = cl.kid
    for what, nonce in (("made-up", b64u(os.urandom(16))), ("stale", None)):
        if nonce is None:
            nonce = cl.new_nonce()
            r = cl.post(url, None, nonce=nonce, retry=False)
            if not check("account POST-as-GET with a fresh nonce", r.status_code == 200,
                         f"{r.status_code} {r.text[:300]}"):
                continue
        r = cl.post(url, None, nonce=nonce, retry=False)
        pd = problem(r)
        check(f"{what} nonce -> 400 badNonce",
              r.status_code == 400 and pd.get("type") == ERR + "badNonce",
              f"{r.status_code} {r.text[:300]}")
        check(f"{what} nonce -> problem+json",
              r.headers.get("Content-Type", "").startswith("application/problem+json"),
              r.headers.get("Content-Type"))
        fresh = r.headers.get("Replay-Nonce")
        if check(f"{what} nonce -> fresh Replay-Nonce", bool(fresh) and fresh != nonce,
                 f"Replay-Nonce {fresh!r}"):
            r = cl.post(url, None, nonce=fresh, retry=False)
            check(f"{what} nonce: retry with the returned nonce works",
                  r.status_code == 200, f"{r.status_code} {r.text[:300]}")


def test_wrong_http01(cl, web):
    """(b) wrong key authorization: authz invalid, error says what was seen."""
    name = "wrong.example.jp"
    _, order = cl.new_order([name])
    az = order["authorizations"][0]
    ch = http01_challenge(cl, az)
    wrong = "this-is-not-the-key-authorization"
    web.bodies[ch["token"]] = wrong
    r = cl.post(ch["url"], {})
    check("respond to http-01 challenge", r.status_code == 200,
          f"{r.status_code} {r.text[:300]}")
    res = cl.poll(az, ("valid", "invalid"))
    check("wrong http-01 content -> authorization invalid",
          res.get("status") == "invalid", json.dumps(res)[:400])
    chs = [c for c in res.get("challenges", []) if c.get("type") == "http-01"]
    err = chs[0].get("error", {}) if chs else {}
    check("failed challenge has status invalid",
          bool(chs) and chs[0].get("status") == "invalid", json.dumps(chs)[:400])
    check("challenge error type unauthorized/incorrectResponse",
          err.get("type") in (ERR + "unauthorized", ERR + "incorrectResponse"),
          json.dumps(err)[:400])
    detail = err.get("detail", "")
    check("challenge error detail names the URL or the content",
          any(s in detail for s in (wrong, ch["token"], "/.well-known/acme-challenge/")),
          repr(detail))
    check("validation request reached the http-01 port",
          any(ch["token"] in h for h in web.hits), repr(web.hits[-5:]))


def finalize_rejected(cl, web, order_state, label, key, names, want_detail=None,
                      pebble_differs=False):
    """(c) finalize with a bad CSR -> badCSR; order_state holds a ready order."""
    if order_state.get("status") != "ready":
        order_state["url"], order_state["obj"] = ready_order(cl, web, order_state["names"])
    r = cl.post(order_state["obj"]["finalize"], {"csr": csr(names, key)})
    pd = problem(r)
    check(f"finalize with {label} -> 400 badCSR",
          r.status_code == 400 and pd.get("type") == ERR + "badCSR",
          f"{r.status_code} {r.text[:300]}", pebble_differs)
    if want_detail is not None:
        check(f"finalize with {label}: detail mentions {want_detail!r}",
              want_detail in pd.get("detail", ""), repr(pd.get("detail")))
    order_state["status"] = cl.get(order_state["url"]).json().get("status")
    print(f"     order status after {label}: {order_state['status']}")


def oversized_post(args, cl):
    """(d) 1 MiB body: 413 or a problem document; returns a description."""
    u = urlsplit(cl.dir["newOrder"])
    ctx = ssl.create_default_context(cafile=args.cacert)
    body = b'{"protected":"' + b"A" * (1 << 20) + b'","payload":"","signature":""}'
    head = (f"POST {u.path} HTTP/1.1\r\nHost: {u.netloc}\r\n"
            f"Content-Type: application/jose+json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    resp = b""
    with socket.create_connection((u.hostname, u.port), timeout=30) as raw:
        with ctx.wrap_socket(raw, server_hostname=u.hostname) as s:
            try:
                s.sendall(head)
                for i in range(0, len(body), 65536):
                    s.sendall(body[i:i + 65536])
            except OSError:
                pass  # the server may answer and close before reading it all
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    resp += chunk
            except OSError:
                pass
    return resp


def test_oversized(args, cl):
    resp = oversized_post(args, cl)
    status_line = resp.split(b"\r\n", 1)[0].decode(errors="replace")
    parts = status_line.split()
    code = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    head, _, body = resp.partition(b"\r\n\r\n")
    is_problem = b"application/problem+json" in head.lower() and b'"type"' in body
    print(f"     1 MiB POST answered {status_line!r}")
    check("1 MiB POST refused (413, or 4xx with a problem document)",
          code == 413 or (400 <= code < 500 and is_problem),
          f"got {status_line!r} {body[:200]!r}")


def test_jws_errors(cl):
    """(f) HS256 -> badSignatureAlgorithm; url mismatch -> unauthorized/malformed."""
    r = cl.post(cl.kid, None, alg="HS256", retry=False)
    pd = problem(r)
    check("HS256 JWS -> badSignatureAlgorithm",
          r.status_code == 400 and pd.get("type") == ERR + "badSignatureAlgorithm",
          f"{r.status_code} {r.text[:300]}", pebble_differs=True)
    r = cl.post(cl.kid, None, purl=cl.dir["newOrder"], retry=False)
    pd = problem(r)
    check("protected url != request URL -> unauthorized/malformed",
          r.status_code in (400, 401, 403) and
          pd.get("type") in (ERR + "unauthorized", ERR + "malformed"),
          f"{r.status_code} {r.text[:300]}")


def test_issue_and_download(cl, web, order_state):
    """(f) a good CSR; POST-as-GET the order and the PEM chain."""
    names = order_state["names"]
    if order_state.get("status") != "ready":
        order_state["url"], order_state["obj"] = ready_order(cl, web, names)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    r = cl.post(order_state["obj"]["finalize"], {"csr": csr(names, key)})
    if not check("finalize with a good RSA-2048 CSR", r.status_code == 200,
                 f"{r.status_code} {r.text[:300]}"):
        return
    cl.poll(order_state["url"], ("valid", "invalid"))
    r = cl.get(order_state["url"])
    order = r.json() if r.status_code == 200 else {}
    check("POST-as-GET order -> 200 valid with certificate URL",
          order.get("status") == "valid" and "certificate" in order,
          f"{r.status_code} {r.text[:300]}")
    if "certificate" not in order:
        return
    r = cl.post(order["certificate"], None, accept=PEM_CHAIN)
    check("POST-as-GET certificate -> 200 " + PEM_CHAIN,
          r.status_code == 200 and
          r.headers.get("Content-Type", "").split(";")[0].strip() == PEM_CHAIN,
          f"{r.status_code} {r.headers.get('Content-Type')} {r.text[:200]}")
    try:
        certs = load_chain(r.content)
    except ValueError as e:
        check("certificate chain parses", False, repr(e))
        return
    check("chain holds the leaf and its issuer", len(certs) >= 2, f"{len(certs)} certs")
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    same = (certs[0].public_key().public_bytes(serialization.Encoding.DER, spki) ==
            key.public_key().public_bytes(serialization.Encoding.DER, spki))
    check("leaf carries the CSR's key", same, "public keys differ")
    san = certs[0].extensions.get_extension_for_class(x509.SubjectAlternativeName)
    check("leaf SAN == ordered names",
          sorted(san.value.get_values_for_type(x509.DNSName)) == sorted(names),
          repr(san.value))


def main():
    ap = client_args(kakuin_required=False)
    ap.add_argument("--server", default="kakuin", choices=("kakuin", "pebble"))
    args = ap.parse_args()
    acmelib.SERVER = args.server
    if args.server == "kakuin" and not (args.kakuin and args.data_dir):
        ap.error("--kakuin and --data-dir are needed for kakuin")

    web = Http01(args.http01_port)
    try:
        cl = Client(args.directory, args.cacert)
        cl.register()
        check("account created", bool(cl.kid), "no Location")
        alive = Alive(cl, args.server, args.kakuin, args.data_dir)

        test_nonces(cl)
        alive("nonce errors")

        test_wrong_http01(cl, web)
        alive("failed http-01")

        order = {"names": ["good.example.jp"]}
        finalize_rejected(cl, web, order, "an RSA-1024 CSR",
                          rsa.generate_private_key(public_exponent=65537, key_size=1024),
                          order["names"], pebble_differs=True)
        finalize_rejected(cl, web, order, "an extra name",
                          rsa.generate_private_key(public_exponent=65537, key_size=2048),
                          order["names"] + ["extra.example.jp"], pebble_differs=True)
        if args.server == "kakuin":
            finalize_rejected(cl, web, order, "a P-256 key",
                              ec.generate_private_key(ec.SECP256R1()), order["names"],
                              want_detail="--key-type rsa")
        else:
            skip("finalize with a P-256 key -> badCSR", "kakuin issues RSA only; "
                 + args.server + " accepts ECDSA")
        alive("bad CSRs")

        test_oversized(args, cl)
        alive("1 MiB POST")

        test_jws_errors(cl)
        alive("JWS errors")

        test_issue_and_download(cl, web, order)
        alive("issuance")
    except Exception as e:  # report, never hide, an unexpected failure
        check("no unexpected error", False, f"{type(e).__name__}: {e}")
    finally:
        web.shutdown()
    return acmelib.summary()


if __name__ == "__main__":
    sys.exit(main())
