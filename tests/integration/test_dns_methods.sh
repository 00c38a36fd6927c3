#!/usr/bin/env bash
# DNS validation over raw ACME (acme_dns.py) against the Knot + validating
# unbound layout of dns_lib.sh: every DNS challenge type (right, wrong and
# missing record), CAA at finalize (RFC 8659/8657), DNSSEC (secure,
# insecure, bogus, SERVFAIL), wildcard offers, the ADN rule and the phone
# methods (a reviewer completes one task in the web UI); the server
# keeps answering and its store stays consistent.
# kakuin serves with the resolver, the DNSSEC probe on secure.jp and a
# policy copy that enables the beyond-the-CP methods 3.2.2.4.21
# (dns-account-01) and 3.2.2.4.22 (dns-persist-01).
# Under KAKUIN_IT_SERVER=pebble the kakuin-only cases are SKIPs.
# Usage: test_dns_methods.sh BUILD_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/dns_lib.sh"
it_init "${1:-}"
start_authdns
start_resolver

# policy/default.json with validation.methods entries "br" 3.2.2.4.21 and
# 3.2.2.4.22 enabled; fails if the policy has no such entries.
policy=$IT_WORK/policy.json
/usr/bin/python3 - "$IT_ROOTDIR/policy/default.json" "$policy" <<'PY' ||
import json, sys
src, dst = sys.argv[1], sys.argv[2]
p = json.load(open(src))
methods = p.get("validation", {}).get("methods", [])
hit = [m for m in methods if m.get("br") in ("3.2.2.4.21", "3.2.2.4.22")]
for m in hit:
    m["enabled"] = True
json.dump(p, open(dst, "w"), indent=2)
if len(hit) != 2:
    sys.exit(f"policy: {len(hit)} of the 2 validation.methods entries 3.2.2.4.21/.22 found")
PY
    { [ "$IT_SERVER" = pebble ] || die "policy copy with .21/.22 enabled"; }
UI_PORT=$(free_port 14001)
IT_SERVE_ARGS=(--dnssec-probe secure.jp --policy "$policy"
	--review-listen "127.0.0.1:$UI_PORT")
start_server
ui_prepare

run_client acme_dns.py --server "$IT_SERVER" \
    --knot-port "$IT_KNOT_PORT" --resolver-port "$IT_UNBOUND_PORT" \
    --tsig-name "$IT_TSIG_NAME." \
    --tsig-secret "$IT_TSIG_SECRET" --kakuin "$IT_KAKUIN" --data-dir "$IT_DATA" \
    --ui "https://127.0.0.1:$UI_PORT"
kakuin_check
[ "$IT_FAILED" -eq 0 ]
