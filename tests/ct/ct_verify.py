#!/usr/bin/env python3
"""Verifies the SCTs embedded in a certificate, independently of kakuin (RFC 6962 3.2).

  ct_verify.py CERT.pem --issuer ISSUER.pem --log NAME=BASE64SPKI [--log ...] [--min N]

CERT.pem holds the certificate, optionally followed by its chain. Each SCT of its
SignedCertificateTimestampList extension is checked with python `cryptography`: SCT v1,
a known log ID (SHA-256 of the log key), and the signature over the precert_entry built
from cert.tbs_precertificate_bytes and the SHA-256 of the issuer's SubjectPublicKeyInfo.
Prints one line per SCT ("NAME TIMESTAMP OK|FAIL reason") and exits 1 unless at least
--min SCTs verify, 2 on bad input.
"""

import argparse
import base64
import calendar
import hashlib
import struct
import sys

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa


def tls_opaque(data, length_bytes):
    return len(data).to_bytes(length_bytes, "big") + data


def signed_data(sct, issuer_key_hash, tbs):
    """The digitally-signed content of RFC 6962 3.2 for a precert_entry."""
    return struct.pack(">BBQH", 0, 0, timestamp_ms(sct), 1) + issuer_key_hash + \
        tls_opaque(tbs, 3) + tls_opaque(sct.extension_bytes, 2)


def timestamp_ms(sct):
    """SCT timestamp (a naive UTC datetime in cryptography) as milliseconds."""
    t = sct.timestamp
    return calendar.timegm(t.timetuple()) * 1000 + t.microsecond // 1000


def check(sct, key, issuer_key_hash, tbs):
    """None if the SCT verifies with key, else the reason."""
    if sct.version != x509.certificate_transparency.Version.v1:
        return "not an SCT v1"
    if not isinstance(sct.signature_hash_algorithm, hashes.SHA256):
        return "signature hash is not SHA-256"
    data = signed_data(sct, issuer_key_hash, tbs)
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(sct.signature, data, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(sct.signature, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            return "unsupported log key"
    except InvalidSignature:
        return "signature does not verify"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cert")
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--log", action="append", default=[], metavar="NAME=BASE64SPKI")
    ap.add_argument("--min", type=int, default=1)
    args = ap.parse_args()

    logs = {}
    for spec in args.log:
        name, sep, b64 = spec.partition("=")
        if not sep:
            ap.error("--log wants NAME=BASE64SPKI")
        der = base64.b64decode(b64, validate=True)
        logs[hashlib.sha256(der).digest()] = (name, serialization.load_der_public_key(der))
    with open(args.cert, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())  # the first PEM block
    with open(args.issuer, "rb") as f:
        issuer = x509.load_pem_x509_certificate(f.read())
    issuer_key_hash = hashlib.sha256(issuer.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)).digest()
    try:
        scts = cert.extensions.get_extension_for_class(
            x509.PrecertificateSignedCertificateTimestamps).value
    except x509.ExtensionNotFound:
        print("no SignedCertificateTimestampList extension")
        return 2
    tbs = cert.tbs_precertificate_bytes
    good = 0
    for sct in scts:
        name, key = logs.get(sct.log_id, (base64.b64encode(sct.log_id).decode(), None))
        why = "unknown log" if key is None else check(sct, key, issuer_key_hash, tbs)
        print("%s %s %s" % (name, sct.timestamp.isoformat(),
                            "OK" if why is None else "FAIL " + why))
        good += why is None
    print("%d of %d SCTs verify (need %d)" % (good, len(scts), args.min))
    return 0 if good >= args.min else 1


if __name__ == "__main__":
    sys.exit(main())
