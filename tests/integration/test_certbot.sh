#!/usr/bin/env bash
# certbot (standalone http-01, RSA 2048) gets a two-name certificate; the
# certificate chains to DIR/ca/root.pem, follows CP table 7.1-1 and passes
# x509lint; the store stays consistent. Usage: test_certbot.sh BUILD_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}"
start_dns
start_server

names=(www.example.jp example.jp)
cb=$IT_WORK/certbot
mkdir -p "$cb"
info "certbot certonly ${names[*]}"
if REQUESTS_CA_BUNDLE=$IT_CACERT timeout 300 certbot certonly --standalone \
    --non-interactive --agree-tos --register-unsafely-without-email \
    --server "$IT_DIRURL" --preferred-challenges http \
    --http-01-port "$IT_HTTP01" --http-01-address 127.0.0.1 \
    --key-type rsa --rsa-key-size 2048 \
    --config-dir "$cb/config" --work-dir "$cb/work" --logs-dir "$cb/logs" \
    --cert-name it -d "${names[0]}" -d "${names[1]}" >"$cb/out.log" 2>&1; then
	pass "certbot certonly"
else
	cat "$cb/out.log"
	tail -n 40 "$cb/logs/letsencrypt.log" 2>/dev/null
	die "certbot certonly"
fi
check_issued_cert "$cb/config/live/it/cert.pem" "${names[@]}"
# certbot's chain.pem is what the server sent after the leaf.
check_served_chain "$cb/config/live/it/cert.pem" "$cb/config/live/it/chain.pem"
kakuin_check
[ "$IT_FAILED" -eq 0 ]
