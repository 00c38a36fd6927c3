#!/usr/bin/env python3
"""revokeCert (RFC 8555 7.6) error paths and the key-compromise block (CP 4.9.12),
with a raw client: reason codes certbot cannot send, another account without
authorizations, a certificate key revoking twice, and a CSR of a blocked key.

usage: acme_revoke.py --directory URL --cacert PEM --http01-port N
           --kakuin BIN --data-dir DIR --revoked PEM --compromised PEM --key PEM
"""

import sys

from cryptography import x509
from cryptography.hazmat.primitives import serialization

sys.dont_write_bytecode = True  # run from the source tree: no __pycache__ there
from acmelib import (ERR, Alive, Client, Http01, b64u, check, client_args, csr, problem,
                     ready_order, summary)


def der_b64(path):
    with open(path, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    return b64u(cert.public_bytes(serialization.Encoding.DER))


def expect(name, r, status, kind):
    pd = problem(r)
    return check(name, r.status_code == status and pd.get("type") == ERR + kind,
                 f"{r.status_code} {r.text[:300]}")


def main():
    ap = client_args()
    ap.add_argument("--revoked", required=True)
    ap.add_argument("--compromised", required=True)
    ap.add_argument("--key", required=True)
    a = ap.parse_args()
    cl = Client(a.directory, a.cacert)
    check("directory has revokeCert", cl.dir.get("revokeCert", "").endswith("/acme/revoke-cert"),
          cl.dir)
    cl.register()
    url = cl.dir["revokeCert"]
    revoked = der_b64(a.revoked)
    for reason in (2, 6, 8, 10, "4"):
        r = cl.post(url, {"certificate": revoked, "reason": reason})
        expect(f"reason {reason!r} -> badRevocationReason", r, 400, "badRevocationReason")
    r = cl.post(url, {"certificate": revoked, "reason": 4})
    expect("an account without authorizations -> unauthorized", r, 403, "unauthorized")
    r = cl.post(url, {"certificate": b64u(b"\x30\x03\x02\x01\x01")})
    expect("not a certificate -> malformed", r, 400, "malformed")

    with open(a.key, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    kc = Client(a.directory, a.cacert, key=key)
    r = kc.post(url, {"certificate": der_b64(a.compromised)}, use_jwk=True)
    expect("certificate key revoking twice -> alreadyRevoked", r, 400, "alreadyRevoked")
    # someone else's key in the jwk: not the certificate's
    r = cl.post(url, {"certificate": der_b64(a.compromised)}, use_jwk=True)
    expect("jwk that is not the certificate key -> unauthorized", r, 403, "unauthorized")

    web = Http01(a.http01_port)
    try:
        names = ["blocked.example.jp"]
        _, order = ready_order(cl, web, names)
        r = cl.post(order["finalize"], {"csr": csr(names, key)})
        expect("CSR with the compromised key -> badPublicKey", r, 400, "badPublicKey")
        check("badPublicKey says why", "compromised" in problem(r).get("detail", ""), r.text)
    finally:
        web.shutdown()
    Alive(cl, "kakuin", a.kakuin, a.data_dir)("revocations")
    return summary()


if __name__ == "__main__":
    sys.exit(main())
