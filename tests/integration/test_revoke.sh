#!/usr/bin/env bash
# Revocation (RFC 8555 7.6, CP 4.9): certbot revokes with its account key and
# with the certificate key (key compromise: the key is blocked, a new CSR of it
# is refused with badPublicKey); lego revokes; revoking twice is alreadyRevoked;
# reasons certbot cannot send are badRevocationReason (acme_revoke.py); a
# reviewer files, reports and carries out a CA-initiated revocation
# (kakuin revoke); the store stays consistent. Usage: test_revoke.sh BUILD_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}"
start_dns
start_server

cb=$IT_WORK/certbot
mkdir -p "$cb"
cbargs=(--non-interactive --server "$IT_DIRURL" --config-dir "$cb/config"
    --work-dir "$cb/work" --logs-dir "$cb/logs")

# certbot_get NAME DOMAIN: a certificate under config/live/NAME
certbot_get() {
	if REQUESTS_CA_BUNDLE=$IT_CACERT timeout 300 certbot certonly --standalone \
	    --agree-tos --register-unsafely-without-email --preferred-challenges http \
	    --http-01-port "$IT_HTTP01" --http-01-address 127.0.0.1 \
	    --key-type rsa --rsa-key-size 2048 "${cbargs[@]}" \
	    --cert-name "$1" -d "$2" >"$cb/get-$1.log" 2>&1; then
		pass "certbot certonly $2"
	else
		cat "$cb/get-$1.log"
		die "certbot certonly $2"
	fi
}

# cb_revoke LOG ARGS...: certbot revoke; output in $cb/LOG
cb_revoke() {
	local log=$1
	shift
	REQUESTS_CA_BUNDLE=$IT_CACERT timeout 120 certbot revoke --no-delete-after-revoke \
	    "${cbargs[@]}" "$@" >"$cb/$log" 2>&1
}

# serial_of PEM: the serial as kakuin stores it (lower-case hex)
serial_of() {
	openssl x509 -in "$1" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f'
}

# b64u_hex HEX: base64url (unpadded) of the octets
b64u_hex() { printf '%s' "$1" | xxd -r -p | base64 -w0 | tr '+/' '-_' | tr -d '='; }

# ari PEM: GET renewalInfo (RFC 9773) for the certificate into $IT_WORK/ari.json
ari() {
	local aki sn
	aki=$(openssl x509 -in "$1" -noout -ext authorityKeyIdentifier |
	    sed -n 's/^ *\(keyid:\)\{0,1\}\([0-9A-F:]\{20,\}\).*/\2/p' | tr -d ':')
	sn=$(serial_of "$1")
	curl -sS --cacert "$IT_CACERT" -D "$IT_WORK/ari.hdr" -o "$IT_WORK/ari.json" \
	    -w '%{http_code}' "${IT_DIRURL%/directory}/acme/renewal-info/$(b64u_hex "$aki").$(b64u_hex "$sn")"
}

# db_status SERIAL: "status|reason|revoked_by" from the store
db_status() {
	sqlite3 "$IT_DATA/kakuin.db" "SELECT status, coalesce(revoked_reason, ''), \
	    coalesce(revoked_by, '') FROM certificates WHERE serial = '$1'"
}

expect_status() {
	local got
	got=$(db_status "$1")
	if [ "$got" = "$2" ]; then pass "$3 ($got)"; else fail "$3: got '$got', want '$2'"; fi
}

info "certbot: account-key revocation (superseded)"
certbot_get rv1 rv1.example.jp
c1=$cb/config/live/rv1/cert.pem
s1=$(serial_of "$c1")
if cb_revoke rv1.log --cert-path "$c1" --reason superseded; then
	pass "certbot revoke --reason superseded (account key)"
else
	cat "$cb/rv1.log"
	fail "certbot revoke --reason superseded"
fi
expect_status "$s1" "revoked|4|account 1" "superseded recorded for $s1"
if cb_revoke rv1-again.log --cert-path "$c1" --reason superseded; then
	fail "second revocation succeeded"
# certbot 2.1 fails to display some problems (AttributeError); its log has the answer
elif grep -q "error:alreadyRevoked" "$cb/rv1-again.log" "$cb/logs/letsencrypt.log"; then
	pass "certbot revoke again -> alreadyRevoked"
else
	cat "$cb/rv1-again.log"
	fail "second revocation: no alreadyRevoked"
fi

info "certbot: certificate-key revocation (key compromise)"
certbot_get rv2 rv2.example.jp
c2=$cb/config/live/rv2/cert.pem
k2=$cb/config/live/rv2/privkey.pem
s2=$(serial_of "$c2")
if cb_revoke rv2.log --cert-path "$c2" --key-path "$k2" --reason keycompromise; then
	pass "certbot revoke --key-path (certificate key)"
else
	cat "$cb/rv2.log"
	fail "certbot revoke --key-path"
fi
expect_status "$s2" "revoked|1|certificate key" "keyCompromise recorded for $s2"
blocked=$(sqlite3 "$IT_DATA/kakuin.db" "SELECT count(*) FROM blocked_keys")
[ "$blocked" = 1 ] && pass "the key is blocked" || fail "blocked_keys has $blocked rows"

info "certbot --csr with the compromised key"
openssl req -new -key "$k2" -subj "/CN=rv2b.example.jp" \
    -addext "subjectAltName=DNS:rv2b.example.jp" -outform DER -out "$cb/blocked.csr" 2>/dev/null
if REQUESTS_CA_BUNDLE=$IT_CACERT timeout 300 certbot certonly --standalone \
    --agree-tos --register-unsafely-without-email --preferred-challenges http \
    --http-01-port "$IT_HTTP01" --http-01-address 127.0.0.1 "${cbargs[@]}" \
    --csr "$cb/blocked.csr" --cert-path "$cb/blocked.pem" --fullchain-path "$cb/bfull.pem" \
    --chain-path "$cb/bchain.pem" -d rv2b.example.jp >"$cb/blocked.log" 2>&1; then
	fail "a CSR of the compromised key was certified"
elif grep -q "error:badPublicKey" "$cb/blocked.log" "$cb/logs/letsencrypt.log"; then
	pass "certbot --csr with the compromised key -> badPublicKey"
else
	cat "$cb/blocked.log"
	fail "blocked key: no badPublicKey"
fi

info "acme_revoke.py: reasons, authorization, alreadyRevoked, blocked key"
run_client acme_revoke.py --kakuin "$IT_KAKUIN" --data-dir "$IT_DATA" \
    --revoked "$c1" --compromised "$c2" --key "$k2"

info "lego run + lego revoke"
lg=$IT_WORK/lego
mkdir -p "$lg"
legoargs=(--server "$IT_DIRURL" --email it@example.jp --accept-tos --key-type rsa2048
    --domains rv3.example.jp --http --http.port "127.0.0.1:$IT_HTTP01" --path "$lg")
if LEGO_CA_CERTIFICATES=$IT_CACERT timeout 300 lego "${legoargs[@]}" run \
    >"$lg/run.log" 2>&1; then
	pass "lego run"
else
	cat "$lg/run.log"
	die "lego run"
fi
s3=$(serial_of "$lg/certificates/rv3.example.jp.crt")
if LEGO_CA_CERTIFICATES=$IT_CACERT timeout 120 lego "${legoargs[@]}" revoke --reason 5 \
    >"$lg/revoke.log" 2>&1; then
	pass "lego revoke --reason 5"
else
	cat "$lg/revoke.log"
	fail "lego revoke"
fi
expect_status "$s3" "revoked|5|account 3" "cessationOfOperation recorded for $s3"

info "kakuin revoke: CA-initiated (CP 4.9.1)"
certbot_get rv4 rv4.example.jp
s4=$(serial_of "$cb/config/live/rv4/cert.pem")
code=$(ari "$cb/config/live/rv4/cert.pem")
if [ "$code" = 200 ] && grep -qi '^Retry-After: 21600' "$IT_WORK/ari.hdr" &&
    python3 -c 'import json,sys,datetime as d
w=json.load(open(sys.argv[1]))["suggestedWindow"]
p=lambda t: d.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ")
sys.exit(0 if d.datetime.utcnow() < p(w["start"]) < p(w["end"]) else 1)' "$IT_WORK/ari.json"; then
	pass "renewalInfo of a live certificate: a future window, Retry-After"
else
	cat "$IT_WORK/ari.hdr" "$IT_WORK/ari.json"
	fail "renewalInfo of a live certificate ($code)"
fi
code=$(ari "$c1")
if [ "$code" = 200 ] && python3 -c 'import json,sys,datetime as d
w=json.load(open(sys.argv[1]))["suggestedWindow"]
p=lambda t: d.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ")
sys.exit(0 if p(w["start"]) < p(w["end"]) <= d.datetime.utcnow() else 1)' "$IT_WORK/ari.json"; then
	pass "renewalInfo of a revoked certificate: renew now"
else
	cat "$IT_WORK/ari.json"
	fail "renewalInfo of a revoked certificate ($code)"
fi
code=$(curl -sS --cacert "$IT_CACERT" -o /dev/null -w '%{http_code}' \
    "${IT_DIRURL%/directory}/acme/renewal-info/AAAA.AQ")
[ "$code" = 404 ] && pass "renewalInfo of an unknown certID -> 404" ||
    fail "renewalInfo unknown certID: $code"
PW_A=carol-password-123
PW_B=dave-password-4567
kkrun() { "$IT_KAKUIN" "$@" --data-dir "$IT_DATA" >"$IT_WORK/kk.log" 2>&1; }
KAKUIN_REVIEW_NEW_PASSWORD=$PW_A kkrun review user add carol --role reviewer ||
    die "user add carol: $(cat "$IT_WORK/kk.log")"
KAKUIN_REVIEW_NEW_PASSWORD=$PW_B kkrun review user add dave --role approver ||
    die "user add dave: $(cat "$IT_WORK/kk.log")"
if KAKUIN_REVIEW_PASSWORD=$PW_A kkrun revoke request "$s4" --reason privilegeWithdrawn \
    --detail "breach of the service terms" --as carol &&
    grep -q "(5d)" "$IT_WORK/kk.log"; then
	pass "revoke request: 5-day deadline for privilegeWithdrawn"
else
	cat "$IT_WORK/kk.log"
	fail "revoke request"
fi
if kkrun revoke report && grep -q "$s4 privilegeWithdrawn within 5d" "$IT_WORK/kk.log" &&
    ! grep -q OVERDUE "$IT_WORK/kk.log"; then
	pass "revoke report lists the open request"
else
	cat "$IT_WORK/kk.log"
	fail "revoke report"
fi
if KAKUIN_REVIEW_PASSWORD=$PW_A kkrun revoke do "$s4" --reason privilegeWithdrawn --as carol; then
	fail "a reviewer (not approver) revoked"
else
	pass "revoke do by a reviewer is refused"
fi
if KAKUIN_REVIEW_PASSWORD=wrong-password-000 kkrun revoke do "$s4" --reason privilegeWithdrawn \
    --as dave; then
	fail "revoke with a wrong password"
else
	pass "revoke do with a wrong password is refused"
fi
if KAKUIN_REVIEW_PASSWORD=$PW_B kkrun revoke do "$s4" --reason privilegeWithdrawn \
    --detail "terms" --as dave; then
	pass "revoke do by an approver"
else
	cat "$IT_WORK/kk.log"
	fail "revoke do"
fi
expect_status "$s4" "revoked|9|reviewer dave" "privilegeWithdrawn recorded for $s4"
if kkrun revoke report && grep -q "no open revocation requests" "$IT_WORK/kk.log"; then
	pass "the request is closed"
else
	cat "$IT_WORK/kk.log"
	fail "request still open"
fi
n=$(sqlite3 "$IT_DATA/kakuin.db" "SELECT count(*) FROM audit_log WHERE object IN \
    ('certificate $s4') OR (action = 'revocation.request' AND detail LIKE '%$s4%')")
[ "$n" -ge 2 ] && pass "audit log has the request and the revocation" ||
    fail "audit log: $n rows"
kakuin_check
[ "$IT_FAILED" -eq 0 ]
