#!/usr/bin/env bash
# CRL and OCSP over the plain-HTTP listener (issue #5, CP 4.9.7, 4.9.9, 7.2, 7.3): a
# certbot certificate names the listener in its CRL DP and AIA (dev mode), `openssl
# ocsp` says good over POST and over GET (RFC 5019 caching headers), the CRL verifies
# against the chain, a malformed request gets malformedRequest, and the OCSP responder
# certificate follows CP table 7.1-2. After certbot revokes, OCSP says revoked with the
# reason and a new CRL (higher number) lists it so openssl verify -crl_check refuses;
# a revocation made with the CLI in another process, and one made by an approver in the
# reviewer web UI (Chromium), reach OCSP within seconds.
# Usage: test_status.sh BUILD_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}"
start_dns
UI_PORT=$(free_port 14001)
IT_SERVE_ARGS=(--review-listen "127.0.0.1:$UI_PORT")
start_server

# check NAME COMMAND...: pass when the command succeeds

base=http://127.0.0.1:$IT_HTTPPORT
chain=$IT_DATA/ca/chain.pem
cb=$IT_WORK/certbot
mkdir -p "$cb"
# issue CERTNAME NAME: a certbot http-01 certificate for NAME under CERTNAME; prints
# the path of its cert.pem (certbot's output goes to stderr when it fails)
issue() {
	certbot_http "$cb" --key-type rsa --rsa-key-size 2048 \
	    --cert-name "$1" -d "$2" >"$cb/$1.log" 2>&1 ||
	    { cat "$cb/$1.log" >&2; return 1; }
	echo "$cb/config/live/$1/cert.pem"
}
info "certbot certonly status.example.jp"
leaf=$(issue it status.example.jp) || die "certbot certonly status.example.jp"
pass "certbot certonly"

text=$(openssl x509 -in "$leaf" -noout -text)
check "leaf CRL DP names the listener" grep -qF "URI:$base/crl/issuing.crl" <<<"$text"
check "leaf AIA OCSP names the listener" grep -qF "OCSP - URI:$base/ocsp" <<<"$text"

# ---- OCSP over POST (openssl ocsp -url posts)
out=$(openssl ocsp -issuer "$IT_ISSUING" -cert "$leaf" -url "$base/ocsp" -CAfile "$chain" \
    -no_nonce 2>&1)
check "OCSP POST: good" grep -q ": good" <<<"$out"
check "OCSP POST: response verifies" grep -q "Response verify OK" <<<"$out"

# ---- OCSP over GET (RFC 5019 5): base64 of the DER request, URL-encoded
openssl ocsp -issuer "$IT_ISSUING" -cert "$leaf" -no_nonce -reqout "$IT_WORK/req.der" \
    >/dev/null 2>&1 || die "openssl ocsp -reqout"
b64=$(base64 -w0 "$IT_WORK/req.der" | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g')
curl -sS -D "$IT_WORK/get.hdr" -o "$IT_WORK/get.der" "$base/ocsp/$b64" || die "curl OCSP GET"
out=$(openssl ocsp -respin "$IT_WORK/get.der" -issuer "$IT_ISSUING" -cert "$leaf" \
    -CAfile "$chain" 2>&1)
check "OCSP GET: good" grep -q ": good" <<<"$out"
check "OCSP GET: response verifies" grep -q "Response verify OK" <<<"$out"
check "OCSP GET: content type" grep -qi "^content-type: application/ocsp-response" \
    "$IT_WORK/get.hdr"
check "OCSP GET: Cache-Control max-age" grep -qiE "^cache-control: max-age=[1-9]" \
    "$IT_WORK/get.hdr"
check "OCSP GET: ETag is the SHA-256 of the body" grep -qi \
    "^etag: \"$(sha256sum "$IT_WORK/get.der" | cut -d' ' -f1)\"" "$IT_WORK/get.hdr"
check "OCSP GET: Last-Modified and Expires" bash -c \
    "grep -qi '^last-modified: ' '$IT_WORK/get.hdr' && grep -qi '^expires: ' '$IT_WORK/get.hdr'"
# the same request unencoded (a '/' in the base64 makes more path segments)
curl -sS -o "$IT_WORK/get2.der" "$base/ocsp/$(base64 -w0 "$IT_WORK/req.der")"
out=$(openssl ocsp -respin "$IT_WORK/get2.der" -issuer "$IT_ISSUING" -cert "$leaf" \
    -CAfile "$chain" 2>&1)
check "OCSP GET without URL-encoding: good" grep -q ": good" <<<"$out"

# ---- malformed request: an OCSP response with status malformedRequest (1)
curl -sS -o "$IT_WORK/bad.der" -H 'Content-Type: application/ocsp-request' \
    --data-binary 'not DER' "$base/ocsp" || die "curl malformed POST"
out=$(openssl ocsp -respin "$IT_WORK/bad.der" -resp_text -noverify 2>&1)
check "malformed request: malformedRequest" grep -qi "malformedrequest" <<<"$out"

# ---- the CRL (CP table 7.2)
curl -sS -D "$IT_WORK/crl.hdr" -o "$IT_WORK/crl.der" "$base/crl/issuing.crl" ||
    die "curl CRL"
check "CRL content type" grep -qi "^content-type: application/pkix-crl" "$IT_WORK/crl.hdr"
out=$(openssl crl -in "$IT_WORK/crl.der" -inform DER -CAfile "$chain" -noout -verify 2>&1)
check "CRL verifies with the issuing CA" grep -q "verify OK" <<<"$out"
text=$(openssl crl -in "$IT_WORK/crl.der" -inform DER -noout -text)
check "CRL v2, sha256WithRSA, issuer" bash -c "grep -q 'Version 2' <<<\"\$0\" &&
    grep -q 'sha256WithRSAEncryption' <<<\"\$0\" &&
    grep -q 'Issuer: C = JP, O = \"SECOM Trust Systems CO.,LTD.\", CN = SECOM Passport for Web SR 3.0 CA' <<<\"\$0\"" "$text"
check "CRL has a CRL Number and AKI" bash -c "grep -q 'X509v3 CRL Number' <<<\"\$0\" &&
    grep -q 'X509v3 Authority Key Identifier' <<<\"\$0\"" "$text"
last=$(openssl crl -in "$IT_WORK/crl.der" -inform DER -noout -lastupdate | cut -d= -f2)
next=$(openssl crl -in "$IT_WORK/crl.der" -inform DER -noout -nextupdate | cut -d= -f2)
check "CRL nextUpdate = thisUpdate + 96 h" test \
    $(($(date -d "$next" +%s) - $(date -d "$last" +%s))) -eq 345600

# ---- the OCSP responder certificate (CP table 7.1-2)
ocsp=$IT_DATA/ca/ocsp.pem
text=$(openssl x509 -in "$ocsp" -noout -text)
check "responder: chains to the root" openssl verify -CAfile "$IT_ROOT" -untrusted \
    "$IT_ISSUING" "$ocsp"
check "responder: subject C, O, CN" grep -q \
    'Subject: C = JP, O = "SECOM Trust Systems CO.,LTD.", CN = SECOM Passport for Web SR 3.0 CA OCSP Responder' \
    <<<"$text"
check "responder: keyUsage digitalSignature, critical" bash -c \
    "grep -A1 'X509v3 Key Usage: critical' <<<\"\$0\" | grep -qx ' *Digital Signature'" "$text"
check "responder: EKU OCSPSigning" bash -c \
    "grep -A1 'X509v3 Extended Key Usage' <<<\"\$0\" | grep -qx ' *OCSP Signing'" "$text"
check "responder: OCSP No Check" grep -q "OCSP No Check" <<<"$text"
check "responder: CP policy with the CPS only" bash -c \
    "grep -q 'Policy: 1.2.392.200091.100.751.1' <<<\"\$0\" && ! grep -q 'Policy: 2.23.140' <<<\"\$0\"" "$text"
check "responder: AKI, SKI, no basicConstraints, CRL DP or AIA" bash -c \
    "grep -q 'Authority Key Identifier' <<<\"\$0\" && grep -q 'Subject Key Identifier' <<<\"\$0\" &&
    ! grep -qE 'Basic Constraints|CRL Distribution|Authority Information Access' <<<\"\$0\"" "$text"
check "responder: 2048-bit RSA" grep -q "Public-Key: (2048 bit)" <<<"$text"
# ---- after a revocation (CP 4.9.7, 4.9.9): OCSP says revoked with the reason at once,
# a new CRL with a higher number lists the serial, openssl verify -crl_check refuses
crl_number() {
	openssl crl -inform DER -in "$1" -noout -crlnumber | sed 's/.*=//'
}
ocsp_says() { # CERT: the status line of a fresh OCSP answer
	openssl ocsp -issuer "$IT_ISSUING" -cert "$1" -url "$base/ocsp" -CAfile "$chain" \
	    -no_nonce 2>&1
}
# wait_revoked CERT SECONDS: until OCSP says revoked
wait_revoked() {
	local i
	for i in $(seq "$2"); do
		grep -q ": revoked" <<<"$(ocsp_says "$1")" && return 0
		sleep 1
	done
	return 1
}
curl -fsS -o "$IT_WORK/crl0.der" "$base/crl/issuing.crl" || die "CRL before"
n0=$(crl_number "$IT_WORK/crl0.der")
info "certbot revoke --reason superseded"
REQUESTS_CA_BUNDLE=$IT_CACERT timeout 120 certbot revoke --non-interactive \
    --server "$IT_DIRURL" --cert-path "$leaf" --reason superseded --no-delete-after-revoke \
    --config-dir "$cb/config" --work-dir "$cb/work" --logs-dir "$cb/logs" \
    >"$cb/revoke.log" 2>&1 || { cat "$cb/revoke.log"; fail "certbot revoke"; }
out=$(ocsp_says "$leaf")
check "OCSP after revocation: revoked" grep -q ": revoked" <<<"$out"
check "OCSP after revocation: reason superseded" grep -qi "Reason: superseded" <<<"$out"
check "OCSP after revocation: response verifies" grep -q "Response verify OK" <<<"$out"
serial=$(openssl x509 -in "$leaf" -noout -serial | sed 's/.*=//')
for i in $(seq 20); do
	curl -fsS -o "$IT_WORK/crl1.der" "$base/crl/issuing.crl" || die "CRL after"
	grep -qi "$serial" <<<"$(openssl crl -inform DER -in "$IT_WORK/crl1.der" -noout -text)" &&
	    break
	sleep 0.5
done
n1=$(crl_number "$IT_WORK/crl1.der")
check "CRL lists the revoked serial within seconds" bash -c \
    "openssl crl -inform DER -in '$IT_WORK/crl1.der' -noout -text | grep -qi '$serial'"
check "CRL number increased ($n0 -> $n1)" test "$((16#$n1))" -gt "$((16#$n0))"
check "CRL entry has reasonCode superseded" bash -c \
    "openssl crl -inform DER -in '$IT_WORK/crl1.der' -noout -text | grep -qi 'Superseded'"
openssl crl -inform DER -in "$IT_WORK/crl1.der" -out "$IT_WORK/crl1.pem"
if out=$(openssl verify -crl_check -CAfile "$IT_ROOT" -untrusted "$IT_ISSUING" \
    -CRLfile "$IT_WORK/crl1.pem" "$leaf" 2>&1); then
	fail "openssl verify -crl_check accepted a revoked certificate"
else
	check "openssl verify -crl_check: certificate revoked" grep -q "certificate revoked" \
	    <<<"$out"
fi

# ---- a revocation by a person with the CLI, in another process: the publisher notices
info "kakuin revoke do (another process)"
leaf2=$(issue it2 status2.example.jp) || die "certbot certonly status2.example.jp"
check "second certificate: OCSP good" bash -c "openssl ocsp -issuer '$IT_ISSUING' -cert \
    '$leaf2' -url '$base/ocsp' -CAfile '$chain' -no_nonce 2>&1 | grep -q ': good'"
serial2=$(openssl x509 -in "$leaf2" -noout -serial | sed 's/.*=//' | tr 'A-F' 'a-f')
KAKUIN_REVIEW_NEW_PASSWORD=approver-pw-0123 "$IT_KAKUIN" review user add ops \
    --role approver --data-dir "$IT_DATA" </dev/null >/dev/null || die "review user add"
KAKUIN_REVIEW_PASSWORD=approver-pw-0123 "$IT_KAKUIN" revoke do "$serial2" \
    --reason affiliationChanged --detail "the subscriber left the organization" --as ops \
    --data-dir "$IT_DATA" </dev/null >"$IT_WORK/revoke.log" 2>&1 ||
    { cat "$IT_WORK/revoke.log"; fail "kakuin revoke do"; }
if wait_revoked "$leaf2" 15; then
	pass "OCSP says revoked within seconds of a CLI revocation"
else
	fail "OCSP still good after the CLI revocation: $(ocsp_says "$leaf2" | head -n 3)"
fi
check "OCSP reason affiliationChanged" bash -c "openssl ocsp -issuer '$IT_ISSUING' -cert \
    '$leaf2' -url '$base/ocsp' -CAfile '$chain' -no_nonce 2>&1 | grep -qi 'affiliationChanged'"
# ---- the same from the reviewer web UI (headless Chromium): request, then revoke
info "revocation in the reviewer web UI"
leaf3=$(issue it3 status3.example.jp) || die "certbot certonly status3.example.jp"
serial3=$(openssl x509 -in "$leaf3" -noout -serial | sed 's/.*=//' | tr 'A-F' 'a-f')
KAKUIN_REVIEW_NEW_PASSWORD=reviewer-pw-0123 "$IT_KAKUIN" review user add clerk \
    --role reviewer --data-dir "$IT_DATA" </dev/null >/dev/null || die "review user add"
ui_node revoke.mjs KK_UI_BASE="https://127.0.0.1:$UI_PORT" KK_UI_SERIAL="$serial3" \
    KK_UI_A=clerk KK_UI_A_PASS=reviewer-pw-0123 KK_UI_B=ops KK_UI_B_PASS=approver-pw-0123
if wait_revoked "$leaf3" 15; then
	pass "OCSP says revoked after the revocation in the web UI"
else
	fail "OCSP still good after the web UI revocation"
fi
check "OCSP reason keyCompromise" bash -c "openssl ocsp -issuer '$IT_ISSUING' -cert \
    '$leaf3' -url '$base/ocsp' -CAfile '$chain' -no_nonce 2>&1 | grep -qi 'keyCompromise'"
kakuin_check
[ "$IT_FAILED" -eq 0 ]
