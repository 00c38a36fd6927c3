#!/usr/bin/env bash
# lego (dns-01 through RFC 2136 updates to Knot, rsa2048) gets a
# certificate for www.insecure.jp and insecure.jp: an unsigned zone,
# whose answers the validating unbound gives without AD and the server
# accepts (provably insecure). The certificate chains to DIR/ca/root.pem,
# follows CP table 7.1-1 and passes x509lint; the store stays consistent.
# Usage: test_dns_lego.sh BUILD_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/dns_lib.sh"
it_init "${1:-}"
start_authdns
start_resolver
IT_SERVE_ARGS=(--dnssec-probe secure.jp)
start_server

names=(www.insecure.jp insecure.jp)
lg=$IT_WORK/lego
mkdir -p "$lg"
# --dns.resolvers: lego finds the zone (SOA) through unbound, not through
# the system resolver. --dns.disable-cp: lego's own propagation check would
# ask the zone's listed name server (ns.jp. = 127.0.0.1) on port 53.
# RFC2136_SEQUENCE_INTERVAL: lego waits that long (default 60 s) between
# the names of one order.
info "lego --dns rfc2136 run ${names[*]}"
if LEGO_CA_CERTIFICATES=$IT_CACERT \
    RFC2136_NAMESERVER=127.0.0.1:$IT_KNOT_PORT \
    RFC2136_TSIG_KEY=$IT_TSIG_NAME. RFC2136_TSIG_SECRET=$IT_TSIG_SECRET \
    RFC2136_TSIG_ALGORITHM=hmac-sha256. RFC2136_TTL=1 \
    RFC2136_PROPAGATION_TIMEOUT=10 RFC2136_POLLING_INTERVAL=1 \
    RFC2136_SEQUENCE_INTERVAL=1 \
    timeout 300 lego --server "$IT_DIRURL" \
    --email it@example.jp --accept-tos --key-type rsa2048 \
    --domains "${names[0]}" --domains "${names[1]}" \
    --dns rfc2136 --dns.resolvers "127.0.0.1:$IT_UNBOUND_PORT" --dns.disable-cp \
    --path "$lg" run >"$lg/out.log" 2>&1; then
	pass "lego run (dns-01 via RFC 2136)"
else
	cat "$lg/out.log"
	die "lego run (dns-01 via RFC 2136)"
fi
crt=$lg/certificates/${names[0]}.crt
check_issued_cert "$crt" "${names[@]}"
check_served_chain "$crt" "$crt"
# lego's cleanup deleted its TXT records again.
if grep -q . <<<"$(kdig_a +short _acme-challenge.insecure.jp TXT)" ||
    grep -q . <<<"$(kdig_a +short _acme-challenge.www.insecure.jp TXT)"; then
	fail "lego left TXT records under insecure.jp"
else
	pass "lego removed its TXT records"
fi
kakuin_check
[ "$IT_FAILED" -eq 0 ]
