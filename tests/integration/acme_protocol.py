#!/usr/bin/env python3
"""RFC 8555 section 7 features over raw ACME against a running kakuin.

The directory and nonces, newAccount (new, existing, onlyReturnExisting, bad
contacts, weak keys), the account object (update, deactivation, another
account's URL), the orders list, newOrder identifier rules, authorizations
(shape, deactivation, reuse within an account only), keyChange, HTTP methods
and media types, finalize before ready, and `kakuin org set` reaching the
next certificate's subject. Each check prints PASS/FAIL; the last line is
"N passed, N failed". The client is acmelib.py.

usage: acme_protocol.py --directory URL --cacert PEM --http01-port N
           --kakuin BIN --data-dir DIR
"""

import datetime
import re
import subprocess
import sys

from cryptography.x509.oid import NameOID

sys.dont_write_bytecode = True  # run from the source tree: no __pycache__ there
import acmelib
from acmelib import (ERR, PEM_CHAIN, Alive, Client, Http01, check, client_args, csr,
                     load_chain, problem, ready_order, rsa_jwk, rsa_key, sign_jws,
                     validate_authz)

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43,}$")


class Ctx:
    """What every group needs: the command line, the http-01 responder, a client."""

    def __init__(self, args, web):
        self.args, self.web = args, web

    def client(self, key=None):
        return Client(self.args.directory, self.args.cacert, key)

    def account(self, contact="mailto:proto@example.jp"):
        cl = self.client()
        cl.register((contact,))
        return cl


def expect(label, r, status, ptype=None):
    """Checks the status and (for errors) the problem type of response r."""
    got = problem(r).get("type") if ptype else None
    want = f"{status} {ptype}" if ptype else str(status)
    return check(f"{label} -> {want}",
                 r.status_code == status and (ptype is None or got == ERR + ptype),
                 f"got {r.status_code} {r.text[:300]}")


def base_of(cl):
    return cl.dirurl.rsplit("/directory", 1)[0]


def check_index_link(label, r, cl):
    """RFC 8555 7.1: responses carry Link: <directory>;rel="index"."""
    got = r.links.get("index", {}).get("url")
    check(f"Link rel=index on {label}", got == cl.dirurl,
          f"Link {r.headers.get('Link')!r}, want <{cl.dirurl}>")


def issue(cl, web, names, key=None):
    """Validates, finalizes and downloads a certificate; returns (order, leaf)."""
    order_url, order = ready_order(cl, web, names)
    return finalize_and_fetch(cl, order_url, order, key)


def finalize_and_fetch(cl, order_url, order, key=None):
    """Finalizes a ready order; returns (final order, leaf certificate or None)."""
    key = key or rsa_key()
    r = cl.post(order["finalize"], {"csr": csr(order_names(order), key)})
    if r.status_code != 200:
        raise RuntimeError(f"finalize: {r.status_code} {r.text[:300]}")
    order = cl.poll(order_url, ("valid", "invalid"))
    if order.get("status") != "valid":
        return order, None
    r = cl.post(order["certificate"], None, accept=PEM_CHAIN)
    certs = load_chain(r.content) if r.status_code == 200 else []
    return order, certs[0] if certs else None


def order_names(order):
    return [i["value"] for i in order["identifiers"]]


def test_directory(ctx):
    """RFC 8555 7.1.1 directory, 7.2 newNonce, 7.1 the index link."""
    cl = ctx.client()
    r = cl.s.get(cl.dirurl, timeout=30)
    d = r.json() if r.status_code == 200 else {}
    check("GET /directory -> 200 JSON", bool(d), f"{r.status_code} {r.text[:200]}")
    base = base_of(cl)
    # revokeCert joins the directory with revocation (issue #5)
    for k in ("newNonce", "newAccount", "newOrder", "keyChange"):
        check(f"directory has {k}", str(d.get(k, "")).startswith(base + "/"),
              f"{k} = {d.get(k)!r} (RFC 8555 7.1.1 lists it; want a URL under {base})")
    check("directory omits newAuthz (no pre-authorization, RFC 8555 7.4.1)",
          "newAuthz" not in d, repr(d.get("newAuthz")))
    meta = d.get("meta", {})
    caa = meta.get("caaIdentities")
    check("meta.caaIdentities is a non-empty list of domain names",
          isinstance(caa, list) and caa and
          all(isinstance(c, str) and "." in c for c in caa), repr(caa))
    vm = {m.get("challenge"): m for m in meta.get("validationMethods", [])
          if isinstance(m, dict)}
    check("meta.validationMethods names the BR method of each offered type (default policy)",
          vm.get("dns-01", {}).get("brMethod") == "3.2.2.4.7" and
          vm.get("dns-01", {}).get("cp") == "3.2.7(4)" and
          vm.get("http-01", {}).get("brMethod") == "3.2.2.4.19" and
          "dns-cname-01" in vm and "dns-caa-01" in vm and "dns-account-01" not in vm,
          repr(meta.get("validationMethods"))[:300], pebble_differs=True)
    prof = meta.get("profiles", {})
    check("meta.profiles lists ov and ov-short with descriptions (draft-aaron-acme-profiles)",
          isinstance(prof, dict) and isinstance(prof.get("ov"), str) and
          isinstance(prof.get("ov-short"), str), repr(prof), pebble_differs=True)
    check("meta.termsOfService is an https URL",
          str(meta.get("termsOfService", "")).startswith("https://"),
          repr(meta.get("termsOfService")))
    check("meta.externalAccountRequired is false",
          meta.get("externalAccountRequired", None) is False,
          repr(meta.get("externalAccountRequired", "absent")))

    nonces = []
    for method, status in (("HEAD", 200), ("GET", 204)):
        r = cl.s.request(method, d["newNonce"], timeout=30)
        nonce = r.headers.get("Replay-Nonce", "")
        nonces.append(nonce)
        check(f"{method} newNonce -> {status}", r.status_code == status, str(r.status_code))
        check(f"{method} newNonce: base64url Replay-Nonce",
              bool(re.match(r"^[A-Za-z0-9_-]{16,}$", nonce)), repr(nonce))
        check(f"{method} newNonce: Cache-Control no-store",
              "no-store" in r.headers.get("Cache-Control", ""),
              repr(r.headers.get("Cache-Control")))
        check_index_link(f"{method} newNonce", r, cl)
    check("two newNonce answers give different nonces", nonces[0] != nonces[1], repr(nonces))

    cl.register()
    check_index_link("an account POST-as-GET", cl.get(cl.kid), cl)
    check_index_link("a problem document", cl.post(cl.dir["newOrder"], {"identifiers": []}), cl)


def test_new_account(ctx):
    """RFC 8555 7.3, 7.3.1."""
    cl = ctx.client()
    payload = {"termsOfServiceAgreed": True, "contact": ["mailto:new@example.jp"]}
    r = cl.new_account(payload)
    loc = r.headers.get("Location", "")
    acct = r.json() if r.status_code == 201 else {}
    check("newAccount with a new key -> 201 + Location",
          r.status_code == 201 and loc.startswith(base_of(cl) + "/acme/acct/"),
          f"{r.status_code} Location={loc!r} {r.text[:200]}")
    check("new account is valid with contact and orders URL",
          acct.get("status") == "valid" and acct.get("contact") == payload["contact"] and
          isinstance(acct.get("orders"), str), repr(acct))
    r = cl.new_account(payload)
    check("newAccount with the same key again -> 200 + same Location",
          r.status_code == 200 and r.headers.get("Location") == loc,
          f"{r.status_code} Location={r.headers.get('Location')!r}, first {loc!r}")
    r = cl.new_account({"onlyReturnExisting": True})
    check("onlyReturnExisting with a known key -> 200 + its Location",
          r.status_code == 200 and r.headers.get("Location") == loc,
          f"{r.status_code} Location={r.headers.get('Location')!r}")

    fresh = ctx.client()
    expect("onlyReturnExisting with an unknown key", fresh.new_account(
        {"onlyReturnExisting": True}), 400, "accountDoesNotExist")
    expect("contact tel:", fresh.new_account(
        {"termsOfServiceAgreed": True, "contact": ["tel:+81-3-1234-5678"]}),
        400, "unsupportedContact")
    for bad in ("mailto:a@b@c", "mailto:it@example.jp?subject=hello"):
        expect(f"contact {bad}", fresh.new_account(
            {"termsOfServiceAgreed": True, "contact": [bad]}), 400, "invalidContact")
    r = fresh.new_account({"onlyReturnExisting": True})
    expect("refused newAccount requests created no account (onlyReturnExisting)", r, 400,
           "accountDoesNotExist")

    weak = ctx.client(rsa_key(1024))
    expect("newAccount with an RSA-1024 jwk", weak.new_account(
        {"termsOfServiceAgreed": True}), 400, "badPublicKey")
    # cl has a kid now: without use_jwk the request is signed with the kid
    expect("newAccount signed with a kid instead of a jwk",
           cl.post(cl.dir["newAccount"], {"termsOfServiceAgreed": True}), 400, "malformed")


def test_account(ctx):
    """RFC 8555 7.3.2 (update), 7.3.3 via POST-as-GET, 6.2 kid lookup."""
    a = ctx.account("mailto:acct@example.jp")
    b = ctx.account("mailto:other@example.jp")
    r = a.get(a.kid)
    acct = r.json() if r.status_code == 200 else {}
    check("account POST-as-GET -> 200", r.status_code == 200, f"{r.status_code} {r.text[:200]}")
    check("account has status valid", acct.get("status") == "valid", repr(acct))
    check("account has its contact", acct.get("contact") == ["mailto:acct@example.jp"],
          repr(acct.get("contact")))
    check("account has an orders URL", acct.get("orders") == a.kid + "/orders",
          repr(acct.get("orders")))

    new = ["mailto:changed@example.jp", "mailto:second@example.jp"]
    r = a.post(a.kid, {"contact": new})
    check("contact update -> 200 with the new contact",
          r.status_code == 200 and r.json().get("contact") == new,
          f"{r.status_code} {r.text[:300]}")
    check("contact update persists", a.get(a.kid).json().get("contact") == new,
          a.get(a.kid).text[:300])
    expect("contact update to mailto:x@y@z", a.post(a.kid, {"contact": ["mailto:x@y@z"]}),
           400, "invalidContact")
    check("refused contact update left the contact as it was",
          a.get(a.kid).json().get("contact") == new, a.get(a.kid).text[:300])

    missing = base_of(a) + "/acme/acct/999999"
    expect("kid of a non-existent account", a.post(a.dir["newOrder"], {"identifiers": [
        {"type": "dns", "value": "x.example.jp"}]}, kid=missing), 400, "accountDoesNotExist")
    expect("POST-as-GET another account's URL", a.get(b.kid), 403, "unauthorized")
    expect("update another account's contact", a.post(b.kid, {"contact": new}), 403,
           "unauthorized")
    check("the other account's contact is unchanged",
          b.get(b.kid).json().get("contact") == ["mailto:other@example.jp"],
          b.get(b.kid).text[:300])


def test_orders_list(ctx):
    """RFC 8555 7.1.2.1."""
    a, b = ctx.account(), ctx.account()
    mine = {a.new_order([n])[0] for n in ("list1.example.jp", "list2.example.jp")}
    theirs = b.new_order(["list3.example.jp"])[0]
    url = a.get(a.kid).json().get("orders", a.kid + "/orders")
    r = a.get(url)
    got = r.json().get("orders", []) if r.status_code == 200 else []
    check("orders list -> 200 with the created order URLs",
          r.status_code == 200 and mine <= set(got), f"{r.status_code} {r.text[:300]}")
    check("orders list holds only this account's orders", theirs not in got, repr(got))
    expect("orders list of another account", b.get(url), 403, "unauthorized")


def test_new_order(ctx):
    """RFC 8555 7.4; names per BR 3.2.2.4 (LDH, no wildcard without dns-01, no IP)."""
    a = ctx.account()
    expect("identifier type ip", a.post(a.dir["newOrder"], {"identifiers": [
        {"type": "ip", "value": "192.0.2.1"}]}), 400, "unsupportedIdentifier")
    for name in ("*.jp", "a.*.example.jp", "-a.example.jp", "a..b", "localhost", "1.2.3.4"):
        expect(f"name {name!r}", a.order_request([name]), 400, "rejectedIdentifier")
    # BR 4.2.2, 3.2.2.6: internal names and public suffixes are refused when ordered,
    # with the lint's reason, instead of being validated and failing at finalize
    for name, why in (("www.secure.test", "reserved top-level domain"),
                      ("intranet", "not under a public suffix"),
                      ("co.jp", "itself a public suffix")):
        r = a.order_request([name])
        check(f"internal name {name!r} -> 400 rejectedIdentifier ({why})",
              r.status_code == 400 and problem(r).get("type") == ERR + "rejectedIdentifier"
              and why in problem(r).get("detail", ""), f"{r.status_code} {r.text[:300]}",
              pebble_differs=True)
    r = a.post(a.dir["newOrder"], {"identifiers": [{"type": "dns", "value": "p.example.jp"}],
                                    "profile": "no-such-profile"})
    expect("an unknown profile", r, 400, "invalidProfile")
    # a wildcard is accepted, with DNS challenge types only (RFC 8555 7.1.3)
    r = a.order_request(["*.wild.example.jp"])
    check("wildcard order accepted", r.status_code == 201, r.text[:200])
    if r.status_code == 201:
        authz = a.get(r.json()["authorizations"][0]).json()
        types = [c["type"] for c in authz.get("challenges", [])]
        check("wildcard authz: identifier without *. and wildcard true",
              authz["identifier"]["value"] == "wild.example.jp" and authz.get("wildcard") is True,
              str(authz)[:200])
        check("wildcard authz offers only DNS types",
              types and all(t.startswith("dns-") for t in types) and "dns-01" in types, str(types))
    expect("a good name next to a bad one", a.order_request(["ok.example.jp", "a..b"]),
           400, "rejectedIdentifier")

    r = a.order_request(["dup.example.jp", "dup.example.jp", "DUP.example.jp"])
    o = r.json() if r.status_code == 201 else {}
    check("duplicate names are merged into one identifier",
          r.status_code == 201 and
          o.get("identifiers") == [{"type": "dns", "value": "dup.example.jp"}],
          f"{r.status_code} {r.text[:300]}")
    check("merged order has one authorization", len(o.get("authorizations", [])) == 1,
          repr(o.get("authorizations")))

    expect("newOrder with notBefore", a.post(a.dir["newOrder"], {
        "identifiers": [{"type": "dns", "value": "nb.example.jp"}],
        "notBefore": "2030-01-01T00:00:00Z"}), 400, "malformed")

    r = a.order_request(["UPPER.Example.JP"])
    o = r.json() if r.status_code == 201 else {}
    check("upper-case name is lower-cased in the order",
          o.get("identifiers") == [{"type": "dns", "value": "upper.example.jp"}],
          f"{r.status_code} {r.text[:300]}")
    if o.get("authorizations"):
        az = a.get(o["authorizations"][0]).json()
        check("... and in its authorization",
              az.get("identifier") == {"type": "dns", "value": "upper.example.jp"},
              repr(az.get("identifier")))


def test_authorization(ctx):
    """RFC 8555 7.1.4 shape, 7.5.2 deactivation, access by another account."""
    a, b = ctx.account(), ctx.account()
    order_url, order = a.new_order(["authz.example.jp"])
    az_url = order["authorizations"][0]
    r = a.get(az_url)
    az = r.json() if r.status_code == 200 else {}
    check("authorization POST-as-GET -> 200", r.status_code == 200,
          f"{r.status_code} {r.text[:200]}")
    check("authorization identifier", az.get("identifier") ==
          {"type": "dns", "value": "authz.example.jp"}, repr(az.get("identifier")))
    check("authorization status pending", az.get("status") == "pending", repr(az.get("status")))
    try:
        exp = datetime.datetime.strptime(az.get("expires", ""), "%Y-%m-%dT%H:%M:%SZ")
        ok = exp > datetime.datetime.utcnow()
    except ValueError:
        ok = False
    check("authorization expires is an RFC 3339 time in the future", ok,
          repr(az.get("expires")))
    chs = az.get("challenges", [])
    h = [c for c in chs if c.get("type") == "http-01"]
    ch = h[0] if h else {}
    check("authorization offers http-01", len(h) == 1, repr(chs))
    check("http-01 challenge has a url, status pending",
          str(ch.get("url", "")).startswith(base_of(a) + "/acme/chall/") and
          ch.get("status") == "pending", repr(ch))
    check("http-01 token is >= 43 base64url characters (RFC 8555 8.3)",
          bool(TOKEN_RE.match(str(ch.get("token", "")))), repr(ch.get("token")))
    if ch.get("url"):
        r = a.get(ch["url"])
        check("challenge POST-as-GET -> 200 with Link rel=up to the authorization",
              r.status_code == 200 and r.links.get("up", {}).get("url") == az_url,
              f"{r.status_code} Link={r.headers.get('Link')!r}")

    expect("another account reads the authorization", b.get(az_url), 403, "unauthorized")
    expect("another account deactivates the authorization",
           b.post(az_url, {"status": "deactivated"}), 403, "unauthorized")
    expect("authorization update to status valid", a.post(az_url, {"status": "valid"}), 400,
           "malformed")
    r = a.post(az_url, {"status": "deactivated"})
    check("deactivate authorization -> 200 deactivated",
          r.status_code == 200 and r.json().get("status") == "deactivated",
          f"{r.status_code} {r.text[:300]}")
    check("deactivation persists", a.get(az_url).json().get("status") == "deactivated",
          a.get(az_url).text[:200])
    st = a.get(order_url).json().get("status")
    check("order with a deactivated authorization is invalid", st == "invalid", repr(st))
    _, again = a.new_order(["authz.example.jp"])
    check("a new order does not reuse the deactivated authorization",
          again["authorizations"] != [az_url] and
          a.get(again["authorizations"][0]).json().get("status") == "pending",
          repr(again["authorizations"]))


def test_authz_reuse(ctx):
    """BR 4.2.1 reuse of a completed validation, within one account (RFC 8555 7.4)."""
    a, b = ctx.account(), ctx.account()
    name = "reuse.example.jp"
    first, leaf = issue(a, ctx.web, [name])
    check("first order for the name issued", first.get("status") == "valid" and leaf,
          repr(first)[:300])
    r = a.order_request([name])
    if not check("second order -> 201", r.status_code == 201,
                 f"{r.status_code} {r.text[:300]}"):
        return
    url2, o2 = r.headers["Location"], r.json()
    az = a.get(o2["authorizations"][0]).json()
    check("second order gets an already-valid authorization", az.get("status") == "valid",
          repr(az)[:300])
    check("second order reuses the first order's authorization",
          o2["authorizations"] == first.get("authorizations"),
          f"{o2['authorizations']} vs {first.get('authorizations')}")
    check("newOrder response already says ready (RFC 8555 7.1.6)",
          o2.get("status") == "ready", f"newOrder answered status {o2.get('status')!r}")
    st = a.get(url2).json().get("status")
    check("second order is ready on POST-as-GET without any validation", st == "ready",
          repr(st))
    if st == "ready":
        hits = len(ctx.web.hits)
        o2, leaf2 = finalize_and_fetch(a, url2, a.get(url2).json())
        check("second order finalizes and issues", o2.get("status") == "valid" and
              leaf2 is not None, repr(o2)[:300])
        check("no new http-01 request for the reused authorization",
              len(ctx.web.hits) == hits, repr(ctx.web.hits[hits:]))
    _, ob = b.new_order([name])
    azb = b.get(ob["authorizations"][0]).json()
    check("another account does not reuse it (pending)",
          azb.get("status") == "pending" and ob["authorizations"] != first["authorizations"],
          repr(azb)[:300])


def key_change_jws(cl, new_key, account=None, old_jwk=None):
    """RFC 8555 7.3.5 inner JWS: jwk of new_key, same url, no nonce."""
    url = cl.dir["keyChange"]
    return sign_jws(new_key, {"alg": "RS256", "jwk": rsa_jwk(new_key), "url": url},
                    {"account": account or cl.kid, "oldKey": old_jwk or cl.jwk})


def test_key_change(ctx):
    """RFC 8555 7.3.5."""
    k, other = ctx.account(), ctx.account()
    kc = k.dir["keyChange"]
    r = k.post(kc, key_change_jws(k, other.key))
    check("keyChange to a key that has an account -> 409 with that account's Location",
          r.status_code == 409 and r.headers.get("Location") == other.kid,
          f"{r.status_code} Location={r.headers.get('Location')!r} (want {other.kid}) "
          f"{r.text[:200]}")
    new_key = rsa_key()
    expect("keyChange with a wrong oldKey",
           k.post(kc, key_change_jws(k, new_key, old_jwk=rsa_jwk(rsa_key()))), 400,
           "malformed")
    expect("keyChange naming another account",
           k.post(kc, key_change_jws(k, new_key, account=other.kid)), 400, "malformed")
    check("refused keyChanges left the old key working", k.get(k.kid).status_code == 200,
          k.get(k.kid).text[:200])

    old = ctx.client(k.key)
    old.kid = k.kid
    r = k.post(kc, key_change_jws(k, new_key))
    if not check("keyChange to a new key -> 200", r.status_code == 200,
                 f"{r.status_code} {r.text[:300]}"):
        return
    k.set_key(new_key)
    r = old.get(k.kid)
    check("request signed with the old key fails (4xx malformed/unauthorized)",
          r.status_code in (400, 401, 403) and
          problem(r).get("type") in (ERR + "malformed", ERR + "unauthorized"),
          f"{r.status_code} {r.text[:300]}")
    check("request signed with the new key succeeds", k.get(k.kid).status_code == 200,
          k.get(k.kid).text[:300])
    r = k.new_account({"onlyReturnExisting": True})
    check("newAccount with the new key finds the account",
          r.status_code == 200 and r.headers.get("Location") == k.kid,
          f"{r.status_code} Location={r.headers.get('Location')!r}")
    old.kid = None
    expect("newAccount onlyReturnExisting with the old key",
           old.new_account({"onlyReturnExisting": True}), 400, "accountDoesNotExist")


def test_account_deactivation(ctx):
    """RFC 8555 7.3.6."""
    d = ctx.account()
    r = d.post(d.kid, {"status": "deactivated"})
    check("account deactivation -> 200 deactivated",
          r.status_code == 200 and r.json().get("status") == "deactivated",
          f"{r.status_code} {r.text[:300]}")
    expect("POST-as-GET with the deactivated account's kid", d.get(d.kid), 403, "unauthorized")
    expect("newOrder with the deactivated account's kid", d.order_request(["gone.example.jp"]),
           403, "unauthorized")


def test_methods(ctx):
    """RFC 8555 6.2 (media type), 6.3 (POST-as-GET), unknown resources."""
    cl = ctx.account()
    base = base_of(cl)
    r = cl.s.get(base + "/acme/order/1", timeout=30)
    check("GET /acme/order/1 -> 405 with Allow: POST",
          r.status_code == 405 and r.headers.get("Allow") == "POST",
          f"{r.status_code} Allow={r.headers.get('Allow')!r}")
    check("405 answer is a problem document",
          r.headers.get("Content-Type", "").startswith("application/problem+json"),
          repr(r.headers.get("Content-Type")))
    r = cl.s.get(base + "/no/such/path", timeout=30)
    check("GET unknown path -> 404", r.status_code == 404, f"{r.status_code} {r.text[:200]}")
    expect("POST an unknown ACME path", cl.get(base + "/acme/nothing-here"), 404)
    r = cl.post(cl.dir["newOrder"], {"identifiers": [
        {"type": "dns", "value": "media.example.jp"}]}, content_type="application/json")
    check("POST with Content-Type application/json -> 415", r.status_code == 415,
          f"{r.status_code} {r.text[:200]}")


def test_finalize_early(ctx):
    """RFC 8555 7.4: finalize of a pending order -> 403 orderNotReady."""
    a = ctx.account()
    url, o = a.new_order(["early.example.jp"])
    expect("finalize before the order is ready",
           a.post(o["finalize"], {"csr": csr(["early.example.jp"], rsa_key())}), 403,
           "orderNotReady")
    st = a.get(url).json().get("status")
    check("order stays pending after the early finalize", st == "pending", repr(st))
    az = validate_authz(a, ctx.web, o["authorizations"][0])
    check("... and can still be validated", az.get("status") == "valid", repr(az)[:300])


def test_org_set(ctx):
    """`kakuin org set` on the live store reaches the next certificate (CP 7.1-1 subject)."""
    args = ctx.args
    p = subprocess.run([args.kakuin, "org", "set", "--data-dir", args.data_dir,
                        "--name", "Test Org KK", "--locality", "Chiyoda-ku",
                        "--state", "Tokyo"], capture_output=True, text=True, timeout=60)
    if not check("kakuin org set while the server runs", p.returncode == 0 and
                 "O=Test Org KK" in p.stdout, f"exit {p.returncode}: {p.stdout} {p.stderr}"):
        return
    _, leaf = issue(ctx.account(), ctx.web, ["org.example.jp"])
    if not check("issuance after org set", leaf is not None, "no certificate"):
        return

    def attr(oid):
        return [a.value for a in leaf.subject.get_attributes_for_oid(oid)]
    for label, oid, want in (("O", NameOID.ORGANIZATION_NAME, "Test Org KK"),
                             ("L", NameOID.LOCALITY_NAME, "Chiyoda-ku"),
                             ("ST", NameOID.STATE_OR_PROVINCE_NAME, "Tokyo"),
                             ("C", NameOID.COUNTRY_NAME, "JP")):
        check(f"subject {label}={want}", attr(oid) == [want],
              f"{label}={attr(oid)}; subject {leaf.subject.rfc4514_string()}")


GROUPS = (
    ("directory", test_directory),
    ("newAccount", test_new_account),
    ("account", test_account),
    ("orders list", test_orders_list),
    ("newOrder", test_new_order),
    ("authorization", test_authorization),
    ("authorization reuse", test_authz_reuse),
    ("keyChange", test_key_change),
    ("account deactivation", test_account_deactivation),
    ("methods", test_methods),
    ("finalize early", test_finalize_early),
    ("org set", test_org_set),
)


def main():
    ap = client_args()
    args = ap.parse_args()

    web = Http01(args.http01_port)
    ctx = Ctx(args, web)
    try:
        for name, fn in GROUPS:
            print(f"---- {name}")
            try:
                fn(ctx)
            except Exception as e:  # report, never hide; go on with the next group
                check(f"{name}: no unexpected error", False, f"{type(e).__name__}: {e}")
        Alive(ctx.client(), "kakuin", args.kakuin, args.data_dir)("all protocol checks")
    finally:
        web.shutdown()
    return acmelib.summary()


if __name__ == "__main__":
    sys.exit(main())
