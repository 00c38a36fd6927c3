#!/usr/bin/env python3
"""An RFC 6962 Certificate Transparency log for kakuin's tests.

It keeps no Merkle tree: it only checks submissions and answers with real SCTs signed by
an ECDSA P-256 log key, which is what a CA needs from a log. Endpoints (RFC 6962 4):

  POST /ct/v1/add-pre-chain  {"chain": [precert, issuer, ...]} (base64 DER)   4.1
  POST /ct/v1/add-chain      {"chain": [cert, issuer, ...]}                   4.1
  GET  /ct/v1/get-roots      {"certificates": [...]} (the --roots)            4.7
  POST /control              {"mode": MODE} switches the fault mode (tests only)

Fault modes: ok, down (HTTP 503), badsig (the SCT is signed over the wrong data),
wrongid (the SCT carries another log's ID), slow (sleeps --slow-seconds first),
garbage (a body that is not JSON).

At start it prints one JSON line on stdout: {"port", "key" (base64 DER SPKI), "log_id"
(base64 SHA-256 of the key)}. --record FILE appends one JSON line per submission:
{"timestamp", "path", "serial", "ok", "mode"}.
"""

import argparse
import base64
import hashlib
import json
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtensionOID

MODES = ("ok", "down", "badsig", "wrongid", "slow", "garbage")
MAX_BODY = 1 << 20


class Refused(Exception):
    """A submission the log does not accept (HTTP 400 with {"error": ...})."""


def tls_opaque(data, length_bytes):
    """A TLS variable-length vector (RFC 5246 4.3) with a big-endian length prefix."""
    return len(data).to_bytes(length_bytes, "big") + data


POISON_OID_DER = bytes.fromhex("060a2b06010401d679020403")  # 1.3.6.1.4.1.11129.2.4.3


def der_read(buf, pos):
    """(tag, start of contents, end of contents) of the DER element at pos."""
    tag, n = buf[pos], buf[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(buf[pos:pos + k], "big")
        pos += k
    return tag, pos, pos + n


def der_wrap(tag, contents):
    n = len(contents)
    if n < 0x80:
        return bytes([tag, n]) + contents
    ln = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(ln)]) + ln + contents


def tbs_without_poison(tbs):
    """The TBSCertificate with the poison extension removed (RFC 6962 3.2). cryptography's
    tbs_precertificate_bytes only removes an SCT list, so this walks the DER by hand."""
    _, start, end = der_read(tbs, 0)
    out, pos = b"", start
    while pos < end:
        tag, cstart, cend = der_read(tbs, pos)
        if tag != 0xa3:  # extensions [3] EXPLICIT Extensions
            out += tbs[pos:cend]
            pos = cend
            continue
        _, estart, eend = der_read(tbs, cstart)
        kept, epos = b"", estart
        while epos < eend:
            _, xstart, xend = der_read(tbs, epos)
            if not tbs[xstart:xend].startswith(POISON_OID_DER):
                kept += tbs[epos:xend]
            epos = xend
        if kept:
            out += der_wrap(0xa3, der_wrap(0x30, kept))
        pos = cend
    return der_wrap(0x30, out)


def verify_signed_by(cert, issuer):
    """Raises Refused unless issuer's key made cert's signature."""
    key = issuer.public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes,
                       ec.ECDSA(cert.signature_hash_algorithm))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                       cert.signature_hash_algorithm)
        else:
            raise Refused("unsupported issuer key type")
    except Refused:
        raise
    except Exception as e:
        raise Refused("chain[0] is not signed by chain[1]: %r" % e) from e


class Log:
    """The log's key, its roots, its mode and its record file; shared by all threads."""

    def __init__(self, key, roots, record, mode, slow_seconds):
        self.key = key
        self.spki = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.log_id = hashlib.sha256(self.spki).digest()
        self.roots = roots
        self.record_path = record
        self.mode = mode
        self.slow_seconds = slow_seconds
        self.lock = threading.Lock()

    def record(self, path, serial, ok, mode):
        if self.record_path is None:
            return
        line = json.dumps({"timestamp": time.time(), "path": path, "serial": serial,
                           "ok": ok, "mode": mode})
        with self.lock, open(self.record_path, "a") as f:
            f.write(line + "\n")

    def check_chain(self, body, precert):
        """The parsed chain of a submission; Refused if it is not acceptable."""
        try:
            req = json.loads(body)
        except ValueError as e:
            raise Refused("body is not JSON") from e
        chain = req.get("chain") if isinstance(req, dict) else None
        if not isinstance(chain, list) or len(chain) < 2 or \
                not all(isinstance(c, str) for c in chain):
            raise Refused("chain must be a list of at least 2 base64 certificates")
        try:
            certs = [x509.load_der_x509_certificate(base64.b64decode(c, validate=True))
                     for c in chain]
        except Exception as e:
            raise Refused("chain entry does not parse: %r" % e) from e
        leaf = certs[0]
        try:
            poison = leaf.extensions.get_extension_for_oid(ExtensionOID.PRECERT_POISON)
        except x509.ExtensionNotFound:
            poison = None
        if precert and (poison is None or not poison.critical):
            raise Refused("chain[0] has no critical precertificate poison extension")
        if not precert and poison is not None:
            raise Refused("chain[0] is a precertificate; use add-pre-chain")
        verify_signed_by(leaf, certs[1])
        if self.roots:
            last = certs[-1]
            for root in self.roots:
                if last == root:
                    break
                try:
                    verify_signed_by(last, root)
                    break
                except Refused:
                    continue
            else:
                raise Refused("chain does not end at an accepted root")
        return certs

    def sct(self, certs, precert, mode):
        """An SCT v1 for certs[0] as the add-chain JSON answer (RFC 6962 4.1, 3.2)."""
        timestamp = int(time.time() * 1000)
        extensions = b""
        if precert:
            issuer_key_hash = hashlib.sha256(certs[1].public_key().public_bytes(
                serialization.Encoding.DER,
                serialization.PublicFormat.SubjectPublicKeyInfo)).digest()
            entry = struct.pack(">H", 1) + issuer_key_hash + \
                tls_opaque(tbs_without_poison(certs[0].tbs_certificate_bytes), 3)
        else:
            entry = struct.pack(">H", 0) + tls_opaque(
                certs[0].public_bytes(serialization.Encoding.DER), 3)
        if mode == "badsig":
            entry = entry[:-1] + bytes([entry[-1] ^ 1])
        # version v1, signature_type certificate_timestamp (RFC 6962 3.2)
        signed = struct.pack(">BBQ", 0, 0, timestamp) + entry + tls_opaque(extensions, 2)
        sig = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        # DigitallySigned: hash sha256 (4), signature ecdsa (3) (RFC 5246 4.7)
        dsig = struct.pack(">BB", 4, 3) + tls_opaque(sig, 2)
        log_id = self.log_id
        if mode == "wrongid":
            log_id = hashlib.sha256(b"another log" + self.spki).digest()
        return {"sct_version": 0, "id": base64.b64encode(log_id).decode(),
                "timestamp": timestamp, "extensions": base64.b64encode(extensions).decode(),
                "signature": base64.b64encode(dsig).decode()}


class Handler(BaseHTTPRequestHandler):
    server_version = "kakuin-ct-test-log"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("ct_test_log: %s\n" % (fmt % args))

    def reply(self, status, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n < 0 or n > MAX_BODY:
            raise Refused("body too large")
        return self.rfile.read(n)

    def do_GET(self):
        log = self.server.log
        if self.path != "/ct/v1/get-roots":
            return self.reply(404, {"error": "not found"})
        self.reply(200, {"certificates": [
            base64.b64encode(r.public_bytes(serialization.Encoding.DER)).decode()
            for r in log.roots]})

    def do_POST(self):
        log = self.server.log
        try:
            body = self.body()
        except Refused as e:
            return self.reply(413, {"error": str(e)})
        if self.path == "/control":
            return self.control(body)
        if self.path not in ("/ct/v1/add-pre-chain", "/ct/v1/add-chain"):
            return self.reply(404, {"error": "not found"})
        precert = self.path == "/ct/v1/add-pre-chain"
        with log.lock:
            mode = log.mode
        if mode == "down":
            log.record(self.path, None, False, mode)
            return self.reply(503, {"error": "log is down (test mode)"})
        if mode == "slow":
            time.sleep(log.slow_seconds)
        if mode == "garbage":
            log.record(self.path, None, False, mode)
            return self.reply(200, b"<html>this is not JSON", "text/html")
        try:
            certs = log.check_chain(body, precert)
        except Refused as e:
            log.record(self.path, None, False, mode)
            return self.reply(400, {"error": str(e)})
        log.record(self.path, format(certs[0].serial_number, "x"), True, mode)
        self.reply(200, log.sct(certs, precert, mode))

    def control(self, body):
        log = self.server.log
        try:
            mode = json.loads(body).get("mode")
        except (ValueError, AttributeError):
            mode = None
        if mode not in MODES:
            return self.reply(400, {"error": "mode must be one of %s" % ", ".join(MODES)})
        with log.lock:
            log.mode = mode
        self.reply(200, {"mode": mode})


def load_key(path):
    if path is None:
        return ec.generate_private_key(ec.SECP256R1())
    with open(path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        sys.exit("ct_test_log: --key must be an ECDSA P-256 private key")
    return key


def load_pem_certs(data):
    """Every certificate of a PEM file (Debian 12's cryptography 38 has no
    load_pem_x509_certificates)."""
    end = b"-----END CERTIFICATE-----"
    return [x509.load_pem_x509_certificate(block + end)
            for block in data.split(end) if b"-----BEGIN CERTIFICATE-----" in block]


def load_roots(path):
    if path is None:
        return []
    with open(path, "rb") as f:
        return load_pem_certs(f.read())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--key", help="ECDSA P-256 private key PEM (default: a new key)")
    ap.add_argument("--roots", help="PEM file of accepted roots (default: any)")
    ap.add_argument("--record", help="append one JSON line per submission here")
    ap.add_argument("--mode", choices=MODES, default="ok")
    ap.add_argument("--slow-seconds", type=float, default=30.0)
    args = ap.parse_args()

    log = Log(load_key(args.key), load_roots(args.roots), args.record, args.mode,
              args.slow_seconds)
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.log = log
    print(json.dumps({"port": srv.server_address[1],
                      "key": base64.b64encode(log.spki).decode(),
                      "log_id": base64.b64encode(log.log_id).decode()}), flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
