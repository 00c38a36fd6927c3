#!/usr/bin/env python3
"""DNS validation (issue #3, docs/dns-validation.md) over raw ACME.

Publishes records with RFC 2136 updates (TSIG) to the Knot of dns_lib.sh and
lets the server look them up through the validating unbound:
  - every DNS challenge type of the spec (dns-01, dns-cname-01, dns-caa-01,
    dns-account-01, dns-persist-01): the right record -> authorization valid,
    a wrong record -> invalid with a detail naming the record, no record ->
    invalid;
  - CAA at finalize (RFC 8659, RFC 8657): no record, our issuer, another CA,
    issuewild, a CNAME chain, a critical unknown tag, accounturi,
    validationmethods, `issue ";"`;
  - DNSSEC: bogus.jp refuses validation, insecure.jp is accepted, a CAA
    lookup that SERVFAILs refuses issuance;
  - wildcard identifiers get only DNS challenge types; the ADN rule;
  - the phone methods (BR 3.2.2.4.16/.17): the number published in TXT
    _validation-contactphone or CAA contactphone appears in a reviewer task;
    the reviewer's outcome, recorded in the web UI (headless Chromium,
    ui/task.mjs) or the CLI, decides the challenge (kakuin only, with --ui).
Against Pebble (KAKUIN_IT_SERVER=pebble, which has only dns-01 and no CAA or
ADN) the kakuin-only cases are SKIPs. The last line is "N passed, N failed".

usage: acme_dns.py --directory URL --cacert PEM --http01-port N
           --knot-port N --resolver-port N --tsig-secret B64 [--tsig-name NAME]
           [--server kakuin|pebble] [--kakuin BIN --data-dir DIR]
"""

import base64
import hashlib
import os
import re
import subprocess
import sys
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdata
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update

sys.dont_write_bytecode = True  # run from the source tree: no __pycache__ there
import acmelib
from acmelib import ERR, Alive, Client, check, client_args, csr, problem, rsa_key, skip

DNS_TYPES = ("dns-01", "dns-cname-01", "dns-caa-01", "dns-account-01", "dns-persist-01")
BR_METHOD = {"dns-01": "3.2.2.4.7", "dns-cname-01": "3.2.2.4.7", "dns-caa-01": "3.2.2.4.7",
             "dns-account-01": "3.2.2.4.21", "dns-persist-01": "3.2.2.4.22"}
# The zones of dns_lib.sh, most specific first.
ZONES = ("_acme-challenge.x.broken.jp", "secure.jp", "insecure.jp", "bogus.jp",
         "jp")
OUR_CAA = "secomtrust.net"  # policy directory.caa_identities
OTHER_CA = "otherca.example"
RUN = str(int(time.time()) % 100000)  # keeps names unique if a Knot is reused


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b32(data):
    return base64.b32encode(data).decode().rstrip("=").lower()


def sha256(s):
    return hashlib.sha256(s.encode() if isinstance(s, str) else s).digest()


def d_ka(ka):
    """D(KA): base64url SHA-256 of the key authorization (RFC 8555 8.4)."""
    return b64u(sha256(ka))


class Dns:
    """RFC 2136 updates to Knot, signed with the test TSIG key; lookups through
    the resolver the server uses."""

    def __init__(self, port, name, secret, resolver_port):
        self.port = port
        self.resolver_port = resolver_port
        self.keyname = name
        self.keyring = dns.tsigkeyring.from_text({name: secret})

    @staticmethod
    def zone_of(owner):
        owner = owner.rstrip(".").lower()
        for z in ZONES:
            if owner == z or owner.endswith("." + z):
                return z
        raise ValueError(f"no test zone holds {owner}")

    def update(self, owner, add=(), delete=()):
        """add: (rdtype, rdata text) records at owner (TTL 1); delete: rdtypes whose
        RRsets at owner go away first."""
        u = dns.update.UpdateMessage(self.zone_of(owner) + ".", keyring=self.keyring,
                                     keyname=self.keyname,
                                     keyalgorithm=dns.tsig.HMAC_SHA256)
        for rdtype in delete:
            u.delete(owner + ".", rdtype)
        for rdtype, text in add:
            u.add(owner + ".", 1, rdtype, text)
        r = dns.query.tcp(u, "127.0.0.1", port=self.port, timeout=10)
        if r.rcode() != dns.rcode.NOERROR:
            raise RuntimeError(f"update {owner}: {dns.rcode.to_text(r.rcode())}")

    def lookup(self, owner, rdtype):
        """(rcode text, AD set, answer records as text) from the resolver, DO=1."""
        q = dns.message.make_query(owner + ".", rdtype, want_dnssec=True)
        r = dns.query.udp(q, "127.0.0.1", port=self.resolver_port, timeout=10)
        recs = [rd.to_text() for rrset in r.answer for rd in rrset
                if rrset.rdtype == dns.rdatatype.from_text(rdtype)]
        return dns.rcode.to_text(r.rcode()), bool(r.flags & dns.flags.AD), recs

    def txt(self, owner, *values):
        self.update(owner, add=[("TXT", f'"{v}"') for v in values])

    def caa(self, owner, *records):
        self.update(owner, add=[("CAA", r) for r in records])

    def cname(self, owner, target):
        self.update(owner, add=[("CNAME", target.rstrip(".") + ".")])


class Ctx:
    def __init__(self, args, dnsu):
        self.args, self.dns = args, dnsu
        self.pebble = args.server == "pebble"

    def account(self):
        cl = Client(self.args.directory, self.args.cacert)
        cl.register(("mailto:dns@example.jp",))
        return cl


def name(label, zone="insecure.jp"):
    return f"{label}-{RUN}.{zone}"


def authz_of(cl, order):
    """The (url, object) of each authorization of an order object."""
    return [(u, cl.get(u).json()) for u in order["authorizations"]]


def challenge(authz, ctype):
    return next((c for c in authz.get("challenges", []) if c["type"] == ctype), None)


def ka(cl, ch):
    return f"{ch['token']}.{cl.thumb}"


def owner_of(cl, ctype, domain):
    """Where the spec puts the record of ctype for domain (no trailing dot); a
    failure detail must name it. dns-cname-01's owner depends on the token, so
    its callers use record_for's answer."""
    return {"dns-01": f"_acme-challenge.{domain}",
            "dns-account-01": f"_{b32(sha256(cl.kid)[:10])}._acme-challenge.{domain}",
            "dns-caa-01": domain,
            "dns-persist-01": f"_validation-persist.{domain}"}[ctype]


def record_for(ctx, cl, ch, domain, right=True, **persist):
    """Publishes the record of challenge ch for domain (right: the spec's value,
    else a well-formed wrong one). persist: wildcard=True adds policy=wildcard,
    until=T adds persistUntil=T (dns-persist-01). Returns the owner name."""
    good = ka(cl, ch)
    k = good if right else ka(cl, {"token": "wrong" + ch["token"]})
    t = ch["type"]
    issuer = (ch.get("issuer-domain-names") or [OUR_CAA])[0]
    if t == "dns-cname-01":
        owner = f"_{b32(sha256(good))}.{domain}"
        target = ch.get("target", "dcv." + OUR_CAA) if right else "dcv." + OTHER_CA
        ctx.dns.cname(owner, target)
        return owner
    owner = owner_of(cl, t, domain)
    if t in ("dns-01", "dns-account-01"):
        ctx.dns.txt(owner, d_ka(k))
    elif t == "dns-caa-01":
        ctx.dns.caa(owner, f'0 issue "{issuer}; kakuin-dcv={d_ka(k)}"')
    elif t == "dns-persist-01":
        acct = cl.kid if right else "https://other.example/acme/acct/1"
        v = f"{issuer}; accounturi={acct}"
        if persist.get("wildcard"):
            v += "; policy=wildcard"
        if "until" in persist:
            v += f"; persistUntil={persist['until']}"
        ctx.dns.txt(owner, v)
    else:
        raise ValueError(t)
    return owner


def answer(cl, authz_url, ch):
    """POSTs the challenge and polls its authorization to valid or invalid."""
    cl.post(ch["url"], {})
    return cl.poll(authz_url, ("valid", "invalid"))


def chall_error(authz, ctype):
    ch = challenge(authz, ctype) or {}
    return ch.get("error") or {}


def one_authz(ctx, cl, ident):
    """A new order for ident: (order url, order, authz url, authz)."""
    order_url, order = cl.new_order([ident])
    (az_url, az), = authz_of(cl, order)
    return order_url, order, az_url, az


def test_methods(ctx, cl):
    """Each DNS challenge type: right -> valid, wrong -> invalid naming the
    record, missing -> invalid."""
    for t in DNS_TYPES:
        tag = t.replace("-", "")
        for case in ("right", "wrong", "missing"):
            # the right records in the signed zone (AD=1 answers), the others unsigned
            zone = "secure.jp" if case == "right" else "insecure.jp"
            domain = name(f"{tag}-{case}", zone)
            _, _, az_url, az = one_authz(ctx, cl, domain)
            ch = challenge(az, t)
            label = f"{t} {case} record at {domain}"
            if ch is None:
                if ctx.pebble:
                    skip(label, "pebble does not offer " + t)
                else:
                    check(f"{label}: {t} offered", False,
                          [c["type"] for c in az.get("challenges", [])])
                continue
            if case != "missing":
                owner = record_for(ctx, cl, ch, domain, right=(case == "right"))
            elif t == "dns-cname-01":
                owner = f"_{b32(sha256(ka(cl, ch)))}.{domain}"
            else:
                owner = owner_of(cl, t, domain)
            res = answer(cl, az_url, ch)
            if case == "right":
                check(f"{label} -> authorization valid", res.get("status") == "valid", res)
                # BR 3.2.2.4: the method and BR version are recorded; the zone is signed
                vr = ((challenge(res, t) or {}).get("validationRecord") or [{}])[0]
                check(f"{label} -> validationRecord: BR {BR_METHOD[t]}, BR version, "
                      "DNSSEC secure", vr.get("method") == BR_METHOD[t] and
                      bool(vr.get("brVersion")) and vr.get("dnssec") == "secure", vr,
                      pebble_differs=True)
                continue
            check(f"{label} -> authorization invalid", res.get("status") == "invalid", res)
            err = chall_error(res, t)
            detail = str(err.get("detail", "")).lower()
            check(f"{label} -> challenge error is an unauthorized problem",
                  err.get("type") == ERR + "unauthorized", err)
            check(f"{label} -> detail names {owner}", owner.lower() in detail, err,
                  pebble_differs=True)


def test_persist_rules(ctx, cl):
    """dns-persist-01: a wildcard needs policy=wildcard; persistUntil in the past
    fails, in the future passes."""
    cases = [
        ("persist-wild-nopolicy", True, {}, "invalid"),
        ("persist-wild-policy", True, {"wildcard": True}, "valid"),
        ("persist-until-past", False, {"until": int(time.time()) - 3600}, "invalid"),
        ("persist-until-future", False, {"until": int(time.time()) + 86400}, "valid"),
    ]
    for label, wild, opts, want in cases:
        domain = name(label)
        ident = "*." + domain if wild else domain
        what = f"dns-persist-01 {ident} {opts or 'no options'} -> {want}"
        try:
            _, _, az_url, az = one_authz(ctx, cl, ident)
        except RuntimeError as e:
            check(what, False, e)
            continue
        ch = challenge(az, "dns-persist-01")
        if ch is None:
            if ctx.pebble:
                skip(what, "pebble does not offer dns-persist-01")
            else:
                check(what, False, "dns-persist-01 not offered")
            continue
        record_for(ctx, cl, ch, domain, **opts)
        res = answer(cl, az_url, ch)
        check(what, res.get("status") == want, res)


def dns01_ready(ctx, cl, names):
    """A new order for names made ready with dns-01: (order url, order)."""
    order_url, order = cl.new_order(names)
    pending = []
    for az_url, az in authz_of(cl, order):
        if az.get("status") == "valid":
            continue
        ch = challenge(az, "dns-01")
        if ch is None:
            raise RuntimeError(f"no dns-01 for {az.get('identifier')}")
        ctx.dns.txt(f"_acme-challenge.{az['identifier']['value']}", d_ka(ka(cl, ch)))
        pending.append((az_url, ch))
    for az_url, ch in pending:
        res = answer(cl, az_url, ch)
        if res.get("status") != "valid":
            raise RuntimeError(f"dns-01 for {names} did not validate: {res}")
    order = cl.poll(order_url, ("ready", "invalid"))
    if order.get("status") != "ready":
        raise RuntimeError(f"order not ready: {order}")
    return order_url, order


def finalize(cl, order_url, order, names):
    """('issued', order) or ('refused', problem) for a finalize of a ready order."""
    r = cl.post(order["finalize"], {"csr": csr(names, rsa_key())})
    if r.status_code >= 400:
        return "refused", problem(r)
    o = cl.poll(order_url, ("valid", "invalid"))
    if o.get("status") == "valid" and o.get("certificate"):
        return "issued", o
    return "refused", o.get("error") or o


def caa_case(ctx, cl, label, names, records, want, ptypes=("caa",), in_detail=()):
    """Publishes records ({owner: [CAA text or ("CNAME", target)]}), validates names
    with dns-01 and finalizes: want is "issued" or "refused" (problem type in
    ptypes, detail containing every in_detail string)."""
    for owner, recs in records.items():
        for rec in recs:
            if isinstance(rec, tuple):
                ctx.dns.cname(owner, rec[1])
            else:
                ctx.dns.caa(owner, rec)
    what = f"CAA {label}: {' '.join(names)} -> {want}"
    caa = [r for recs in records.values() for r in recs if not isinstance(r, tuple)]
    if caa:
        # the harness half: the resolver gives out what the server must see
        at = names[0].removeprefix("*.")
        rcode, _, got = ctx.dns.lookup(at, "CAA")
        check(f"resolver answers CAA {at} with the published records",
              rcode == "NOERROR" and sorted(got) == sorted(
                  dns.rdata.from_text("IN", "CAA", c).to_text() for c in caa),
              f"{rcode} {got}")
    try:
        order_url, order = dns01_ready(ctx, cl, names)
    except RuntimeError as e:
        check(what, False, e)
        return
    outcome, info = finalize(cl, order_url, order, names)
    if want == "issued":
        check(what, outcome == "issued", info)
        return
    ptype = str(info.get("type", "")) if isinstance(info, dict) else ""
    detail = str(info.get("detail", "")).lower() if isinstance(info, dict) else ""
    ok = (outcome == "refused" and ptype in [ERR + p for p in ptypes]
          and all(s.lower() in detail for s in in_detail))
    check(what + f" ({' or '.join(ptypes)} problem"
          + (f", detail quotes {', '.join(in_detail)})" if in_detail else ")"),
          ok, f"{outcome}: {info}", pebble_differs=True)


def test_caa(ctx, cl):
    n = {k: name("caa-" + k) for k in ("none", "ours", "other", "wild", "crit", "acct-no",
                                        "acct-yes", "vm-no", "vm-yes", "semi", "cn",
                                        "cn-mid")}
    tgt = name("caa-cn-tgt", "secure.jp")
    caa_case(ctx, cl, "no record", [n["none"]], {}, "issued")
    caa_case(ctx, cl, f'issue "{OUR_CAA}"', [n["ours"]],
             {n["ours"]: [f'0 issue "{OUR_CAA}"']}, "issued")
    caa_case(ctx, cl, f'only issue "{OTHER_CA}"', [n["other"]],
             {n["other"]: [f'0 issue "{OTHER_CA}"']}, "refused",
             in_detail=(n["other"], OTHER_CA))
    caa_case(ctx, cl, f'issue ours + issuewild "{OTHER_CA}", wildcard', ["*." + n["wild"]],
             {n["wild"]: [f'0 issue "{OUR_CAA}"', f'0 issuewild "{OTHER_CA}"']}, "refused",
             in_detail=(n["wild"], OTHER_CA))
    caa_case(ctx, cl, "the same records, not a wildcard", [n["wild"]], {}, "issued")
    # a CNAME chain (insecure -> insecure -> signed zone) ends at a refusing CAA
    caa_case(ctx, cl, "CNAME chain to a refusing CAA", [n["cn"]],
             {n["cn"]: [("CNAME", n["cn-mid"])], n["cn-mid"]: [("CNAME", tgt)],
              tgt: [f'0 issue "{OTHER_CA}"']}, "refused", in_detail=(OTHER_CA,))
    caa_case(ctx, cl, 'critical unknown tag 128 tbs "x" (with issue ours)', [n["crit"]],
             {n["crit"]: [f'0 issue "{OUR_CAA}"', '128 tbs "x"']}, "refused",
             in_detail=(n["crit"], "tbs"))
    caa_case(ctx, cl, "RFC 8657 accounturi of another account", [n["acct-no"]],
             {n["acct-no"]: [f'0 issue "{OUR_CAA}; accounturi=https://other/acct/1"']},
             "refused", in_detail=(n["acct-no"], "accounturi"))
    caa_case(ctx, cl, "RFC 8657 accounturi of this account", [n["acct-yes"]],
             {n["acct-yes"]: [f'0 issue "{OUR_CAA}; accounturi={cl.kid}"']}, "issued")
    caa_case(ctx, cl, "RFC 8657 validationmethods=http-01 (validated by dns-01)",
             [n["vm-no"]],
             {n["vm-no"]: [f'0 issue "{OUR_CAA}; validationmethods=http-01"']}, "refused",
             in_detail=(n["vm-no"],))
    caa_case(ctx, cl, "RFC 8657 validationmethods=http-01,dns-01", [n["vm-yes"]],
             {n["vm-yes"]: [f'0 issue "{OUR_CAA}; validationmethods=http-01,dns-01"']},
             "issued")
    caa_case(ctx, cl, 'issue ";" forbids everyone', [n["semi"]],
             {n["semi"]: ['0 issue ";"']}, "refused", in_detail=(n["semi"],))


def dns01_authz(ctx, cl, domain):
    """(authz url, dns-01 challenge) of a new order for domain; None when the
    server offers no dns-01 (a failure)."""
    _, _, az_url, az = one_authz(ctx, cl, domain)
    ch = challenge(az, "dns-01")
    if ch is None:
        check(f"dns-01 offered for {domain}", False,
              [c["type"] for c in az.get("challenges", [])])
        return None
    return az_url, ch


def test_dnssec(ctx, cl):
    # bogus.jp: the resolver SERVFAILs (DNSSEC Bogus) -> invalid, dns problem
    domain = name("d01-bogus", "bogus.jp")
    got = dns01_authz(ctx, cl, domain)
    if got is None:
        return
    az_url, ch = got
    ctx.dns.txt(f"_acme-challenge.{domain}", d_ka(ka(cl, ch)))
    res = answer(cl, az_url, ch)
    check(f"dns-01 in bogus.jp ({domain}) -> authorization invalid",
          res.get("status") == "invalid", res)
    err = chall_error(res, "dns-01")
    check("dns-01 in bogus.jp -> dns problem", err.get("type") == ERR + "dns", err,
          pebble_differs=True)
    # insecure.jp: AD=0 but provably unsigned -> accepted
    domain = name("d01-insecure")
    got = dns01_authz(ctx, cl, domain)
    if got is None:
        return
    az_url, ch = got
    ctx.dns.txt(f"_acme-challenge.{domain}", d_ka(ka(cl, ch)))
    res = answer(cl, az_url, ch)
    check(f"dns-01 in insecure.jp ({domain}) -> authorization valid",
          res.get("status") == "valid", res)
    # x.broken.jp: the dns-01 TXT resolves, its CAA lookup SERVFAILs -> not issued
    caa_case(ctx, cl, "lookup SERVFAILs", ["x.broken.jp"], {}, "refused",
             ptypes=("dns", "caa"))


REVIEWER, REVIEWER_PW = "phone-reviewer", "phone-reviewer-pw-0123"


def review(ctx, *argv, password=None):
    """`kakuin review ARGV --data-dir DIR` (as REVIEWER when password is given)."""
    env = dict(os.environ)
    cmd = [ctx.args.kakuin, "review", *argv, "--data-dir", ctx.args.data_dir]
    if password is not None:
        env["KAKUIN_REVIEW_PASSWORD"] = password
        cmd += ["--as", REVIEWER]
    return subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=60)


def open_task(ctx, domain, timeout=30):
    """The id of the open task for domain in `kakuin review task list`, or None."""
    end = time.time() + timeout
    while time.time() < end:
        out = review(ctx, "task", "list", "--status", "open").stdout
        for line in out.splitlines():  # "ID phone open org N: DOMAIN phone ..."
            m = re.match(r"(\d+) phone open org \d+: (\S+) ", line)
            if m and m.group(2) == domain:
                return m.group(1)
        time.sleep(0.3)
    return None


def test_phone(ctx, cl):
    """BR 3.2.2.4.16/.17: the challenge waits for a person's call."""
    if ctx.pebble:
        skip("phone methods", "kakuin only")
        return
    env = dict(os.environ, KAKUIN_REVIEW_NEW_PASSWORD=REVIEWER_PW)
    r = subprocess.run([ctx.args.kakuin, "review", "user", "add", REVIEWER, "--role",
                        "reviewer", "--data-dir", ctx.args.data_dir], env=env,
                       stdin=subprocess.DEVNULL, capture_output=True, text=True)
    check("phone: a reviewer exists", r.returncode == 0, r.stderr)
    cases = [  # (challenge type, label, publish, phone, outcome, via the UI)
        ("phone-txt-01", "ptxt", "txt", "+81 3 5555 0101", "success", True),
        ("phone-caa-01", "pcaa", "caa", "+81-6-5555-0202", "failure", False),
    ]
    for ctype, label, kind, phone, outcome, ui in cases:
        domain = name(label)
        _, order, az_url, az = one_authz(ctx, cl, domain)
        ch = challenge(az, ctype)
        if ch is None:
            check(f"{ctype} offered for {domain}", False,
                  [c["type"] for c in az.get("challenges", [])])
            continue
        if kind == "txt":
            ctx.dns.txt(f"_validation-contactphone.{domain}", phone)
        else:
            ctx.dns.caa(domain, f'0 contactphone "{phone}"')
        cl.post(ch["url"], {})
        task = open_task(ctx, domain)
        check(f"{ctype} for {domain}: a reviewer task appears", task is not None)
        if task is None:
            continue
        shown = review(ctx, "task", "list", "--status", "open").stdout
        check(f"{ctype}: the task names the number {phone}", phone in shown, shown[-300:])
        st = cl.get(az_url).json()
        check(f"{ctype}: the authorization waits (pending, challenge processing)",
              st.get("status") == "pending" and
              (challenge(st, ctype) or {}).get("status") == "processing", st)
        if ui and ctx.args.ui:
            rc = subprocess.run(
                ["node", os.path.join(os.path.dirname(__file__), "ui", "task.mjs")],
                env=dict(os.environ, KK_UI_BASE=ctx.args.ui, KK_UI_TASK=task,
                         KK_UI_A=REVIEWER, KK_UI_A_PASS=REVIEWER_PW, KK_UI_PHONE=phone,
                         KK_UI_RANDOM=ch["token"], KK_UI_OUTCOME=outcome,
                         KK_UI_NOTE="called the domain contact"),
                capture_output=True, text=True, timeout=300)
            print(rc.stdout, end="")
            check(f"{ctype}: outcome recorded in the web UI (Chromium)", rc.returncode == 0,
                  rc.stderr[-300:])
        else:
            r = review(ctx, "task", "done", task, "--outcome", outcome, "--note",
                       "nobody at this number knew the domain", password=REVIEWER_PW)
            check(f"{ctype}: outcome recorded with the CLI", r.returncode == 0, r.stderr)
        res = cl.poll(az_url, ("valid", "invalid"))
        want = "valid" if outcome == "success" else "invalid"
        check(f"{ctype}: {outcome} -> authorization {want}", res.get("status") == want, res)
        if want == "valid":
            vr = ((challenge(res, ctype) or {}).get("validationRecord") or [{}])[0]
            br = "3.2.2.4.16" if kind == "txt" else "3.2.2.4.17"
            check(f"{ctype}: validationRecord names BR {br} and the number called",
                  vr.get("method") == br and phone in str(vr.get("checked")), vr)


def test_wildcard_offer(ctx, cl):
    domain = name("wc-offer")
    _, _, _, az = one_authz(ctx, cl, "*." + domain)
    types = sorted(c["type"] for c in az.get("challenges", []))
    check(f"*.{domain}: identifier without '*.', wildcard true",
          az.get("identifier", {}).get("value") == domain and az.get("wildcard") is True, az)
    check(f"*.{domain}: only DNS challenge types offered ({', '.join(types)})",
          bool(types) and all(t in DNS_TYPES for t in types), types)


def test_adn(ctx, cl):
    """BR 3.2.2.4.7: a dns-01 validation of a name covers the names beneath it and
    its wildcard, for the same account only."""
    base = name("adn")
    try:
        dns01_ready(ctx, cl, [base])
    except RuntimeError as e:
        check(f"dns-01 validation of {base}", False, e)
        return
    subs = ["www." + base, "*." + base, "a.b." + base]
    order_url, order = cl.new_order(subs)
    check(f"ADN: new order for {' '.join(subs)} is ready without validation",
          order.get("status") == "ready", order, pebble_differs=True)
    if order.get("status") == "ready":
        outcome, info = finalize(cl, order_url, order, subs)
        check("ADN: that order is issued", outcome == "issued", info)
    other = ctx.account()
    _, order = other.new_order(["www." + base])
    check("ADN: another account's order for www. of it stays pending",
          order.get("status") == "pending", order)


def main():
    ap = client_args(kakuin_required=False)
    ap.add_argument("--server", default="kakuin", choices=("kakuin", "pebble"))
    ap.add_argument("--knot-port", type=int, required=True)
    ap.add_argument("--tsig-name", default="kakuin-test.")
    ap.add_argument("--tsig-secret", required=True)
    ap.add_argument("--resolver-port", type=int, required=True)
    ap.add_argument("--ui", help="the reviewer web UI base URL (phone tasks in Chromium)")
    args = ap.parse_args()
    acmelib.SERVER = args.server
    if args.server == "kakuin" and not (args.kakuin and args.data_dir):
        ap.error("--kakuin and --data-dir are needed for kakuin")
    ctx = Ctx(args, Dns(args.knot_port, args.tsig_name, args.tsig_secret,
                         args.resolver_port))
    try:
        cl = ctx.account()
        check("account created", bool(cl.kid), "no Location")
        alive = Alive(cl, args.server, args.kakuin, args.data_dir)
        for group in (test_methods, test_persist_rules, test_wildcard_offer, test_dnssec,
                      test_caa, test_adn, test_phone):
            try:
                group(ctx, cl)
            except Exception as e:  # one broken group must not hide the others
                check(f"{group.__name__} ran to the end", False, repr(e))
            alive(group.__name__)
    except Exception as e:
        check("client ran to the end", False, repr(e))
    return acmelib.summary()


if __name__ == "__main__":
    sys.exit(main())
