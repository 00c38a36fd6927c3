#!/usr/bin/env bash
# lego (http-01, rsa2048) gets a two-name certificate; the certificate
# chains to DIR/ca/root.pem, follows CP table 7.1-1 and passes x509lint;
# the store stays consistent. Usage: test_lego.sh BUILD_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}"
start_dns
start_server

names=(www.example.jp example.jp)
lg=$IT_WORK/lego
mkdir -p "$lg"
info "lego run ${names[*]}"
if LEGO_CA_CERTIFICATES=$IT_CACERT timeout 300 lego --server "$IT_DIRURL" \
    --email it@example.jp --accept-tos --key-type rsa2048 \
    --domains "${names[0]}" --domains "${names[1]}" \
    --http --http.port "127.0.0.1:$IT_HTTP01" --path "$lg" run \
    >"$lg/out.log" 2>&1; then
	pass "lego run"
else
	cat "$lg/out.log"
	die "lego run"
fi
# lego writes the leaf followed by the chain the server sent.
crt=$lg/certificates/${names[0]}.crt
check_issued_cert "$crt" "${names[@]}"
check_served_chain "$crt" "$crt"
kakuin_check
[ "$IT_FAILED" -eq 0 ]
