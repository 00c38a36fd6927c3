#!/usr/bin/env bash
# certbot (dns-01 through RFC 2136 updates to Knot, RSA 2048) gets a
# certificate for *.secure.jp and secure.jp: a wildcard in a DNSSEC-
# signed zone, so the server's lookups through the validating unbound are
# answered with AD=1. The certificate chains to DIR/ca/root.pem, follows CP
# table 7.1-1 and passes x509lint; the store stays consistent.
# Usage: test_dns_certbot.sh BUILD_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/dns_lib.sh"
it_init "${1:-}"
start_authdns
start_resolver
IT_SERVE_ARGS=(--dnssec-probe secure.jp)
start_server

names=('*.secure.jp' secure.jp)
cb=$IT_WORK/certbot
mkdir -p "$cb"
# certbot refuses credentials others can read; write them 0600 from the start.
(
	umask 077
	cat >"$cb/rfc2136.ini" <<-INI
	dns_rfc2136_server = 127.0.0.1
	dns_rfc2136_port = $IT_KNOT_PORT
	dns_rfc2136_name = $IT_TSIG_NAME.
	dns_rfc2136_secret = $IT_TSIG_SECRET
	dns_rfc2136_algorithm = HMAC-SHA256
	INI
)
info "certbot certonly --authenticator dns-rfc2136 ${names[*]}"
if REQUESTS_CA_BUNDLE=$IT_CACERT timeout 300 certbot certonly \
    --authenticator dns-rfc2136 --dns-rfc2136-credentials "$cb/rfc2136.ini" \
    --dns-rfc2136-propagation-seconds 1 \
    --non-interactive --agree-tos --register-unsafely-without-email \
    --server "$IT_DIRURL" --preferred-challenges dns \
    --key-type rsa --rsa-key-size 2048 \
    --config-dir "$cb/config" --work-dir "$cb/work" --logs-dir "$cb/logs" \
    --cert-name it -d "${names[0]}" -d "${names[1]}" >"$cb/out.log" 2>&1; then
	pass "certbot certonly (dns-01 via RFC 2136)"
else
	cat "$cb/out.log"
	tail -n 40 "$cb/logs/letsencrypt.log" 2>/dev/null
	die "certbot certonly (dns-01 via RFC 2136)"
fi
check_issued_cert "$cb/config/live/it/cert.pem" "${names[@]}"
check_served_chain "$cb/config/live/it/cert.pem" "$cb/config/live/it/chain.pem"
# certbot's cleanup deleted its TXT records again.
if grep -q . <<<"$(kdig_a +short _acme-challenge.secure.jp TXT)"; then
	fail "certbot left TXT records at _acme-challenge.secure.jp"
else
	pass "certbot removed its TXT records"
fi
kakuin_check
[ "$IT_FAILED" -eq 0 ]
