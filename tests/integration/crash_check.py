#!/usr/bin/python3
"""Store checks after kakuin serve was killed (SIGKILL) during issuance (issue #8,
test_crash.sh). Usage: crash_check.py DB ISSUING_PEM SAVED_DIR MIN_ISSUED

- SQLite's own PRAGMA integrity_check and foreign_key_check are clean;
- every order is in a legal state: none left processing (dev mode holds nothing),
  a valid order names an issued certificate of that order;
- every issued certificate is complete: its DER parses, carries the row's serial,
  its TBS is byte for byte the planned TBS (so a serial never got two contents),
  and its signature verifies with the issuing CA's key;
- a certificate row not issued (reserved or planned) has no DER and belongs to an
  order that is not valid;
- every chain a client downloaded (SAVED_DIR/*.pem) is the store's DER for its
  serial: what a client holds is what the CA recorded;
- at least MIN_ISSUED certificates were issued.
Prints one line per check; exit 1 if any fails.
"""
import glob
import sqlite3
import sys

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding

failed = 0


def check(ok, what):
    global failed
    print(("PASS: " if ok else "FAIL: ") + what)
    if not ok:
        failed += 1


def main():
    db, issuing_pem, saved_dir, min_issued = sys.argv[1:5]
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    integ = con.execute("PRAGMA integrity_check").fetchall()
    check(integ == [("ok",)], "PRAGMA integrity_check: %s" % integ[:3])
    fk = con.execute("PRAGMA foreign_key_check").fetchall()
    check(fk == [], "PRAGMA foreign_key_check: %d violations" % len(fk))

    states = dict(con.execute("SELECT status, count(*) FROM orders GROUP BY status"))
    print("orders by status: %s" % states)
    check(states.get("processing", 0) == 0, "no order left processing after recovery")
    bad_valid = con.execute(
        "SELECT o.id FROM orders o LEFT JOIN certificates c ON c.serial = o.cert_serial "
        "WHERE o.status = 'valid' AND (c.serial IS NULL OR c.status <> 'issued' "
        "OR c.order_id <> o.id)").fetchall()
    check(bad_valid == [], "every valid order names its issued certificate (%d bad)"
          % len(bad_valid))

    issuer = x509.load_pem_x509_certificate(open(issuing_pem, "rb").read())
    pub = issuer.public_key()
    issued = {}
    bad = []
    for serial, tbs, der in con.execute(
            "SELECT serial, tbs, der FROM certificates WHERE status = 'issued'"):
        try:
            c = x509.load_der_x509_certificate(der)
            if "%x" % c.serial_number != serial.lstrip("0"):
                raise ValueError("serial %x in DER" % c.serial_number)
            if c.tbs_certificate_bytes != tbs:
                raise ValueError("DER's TBS differs from the planned TBS")
            pub.verify(c.signature, c.tbs_certificate_bytes, padding.PKCS1v15(),
                       c.signature_hash_algorithm)
            issued[serial.lstrip("0")] = der
        except Exception as e:  # noqa: BLE001 - every failure is a finding
            bad.append("%s: %s" % (serial, e))
    check(bad == [], "every issued certificate parses, matches its TBS and verifies "
          "(%d issued, bad: %s)" % (len(issued), bad[:3]))
    check(len(issued) >= int(min_issued), "at least %s certificates issued (%d)"
          % (min_issued, len(issued)))

    unfinished = con.execute(
        "SELECT c.serial, c.status, c.der IS NOT NULL, o.status FROM certificates c "
        "JOIN orders o ON o.id = c.order_id WHERE c.status IN ('reserved', 'planned')"
    ).fetchall()
    print("unfinished certificate rows: %d" % len(unfinished))
    wrong = [u for u in unfinished if u[2] or u[3] == "valid"]
    check(wrong == [], "reserved/planned rows have no DER and no valid order (%s)"
          % wrong[:3])

    saved = sorted(glob.glob(saved_dir + "/*.pem"))
    mismatch = []
    for path in saved:
        end = b"-----END CERTIFICATE-----"
        first = open(path, "rb").read().split(end)[0] + end + b"\n"
        leaf = x509.load_pem_x509_certificate(first)
        der = leaf.public_bytes(Encoding.DER)
        if issued.get("%x" % leaf.serial_number) != der:
            mismatch.append(path)
    check(saved != [] and mismatch == [], "every downloaded certificate (%d) is the "
          "store's DER for its serial (mismatch: %s)" % (len(saved), mismatch[:3]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
