#!/usr/bin/env bash
# OV end to end (issue #4) in production mode (External Account Binding required):
# - the CLI creates reviewers, an organization with evidence and an EAB key;
# - certbot registers with --eab-kid/--eab-hmac-key; its order is held in processing
#   while the organization is in review; two reviewers verify and approve it in the
#   reviewer web UI, driven by headless Chromium (ui/approve.mjs); certbot, still
#   polling, gets a certificate whose O/L/ST are the organization's;
# - lego registers with --eab for a second organization; its run gives up while the
#   order is held; two reviewers decide with the CLI (the verifier cannot also approve);
#   a re-run then gets the certificate at once (validation and approval reused);
# - a rejected organization: the held order becomes invalid with the reviewers' reason;
# - no EAB, a wrong MAC, a revoked key: refused, nothing created; the store stays
#   consistent.
# Production mode logs every certificate (policy ct.enabled): two local test CT logs
# replace the policy's public ones, and the certificates carry their SCTs.
# Usage: test_ov_clients.sh BUILD_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}"
start_dns
IT_PRODUCTION=1
UI_PORT=$(free_port 14001)
start_ct_logs 2
IT_SERVE_ARGS=(--review-listen "127.0.0.1:$UI_PORT" --policy "$IT_CT_POLICY")
start_server

review() { "$IT_KAKUIN" review "$@" --data-dir "$IT_DATA"; }
# as USER CMD...: a review command with USER's password
as() {
	local u=$1
	shift
	KAKUIN_REVIEW_PASSWORD="pw-$u-0123456789" review "$@" --as "$u"
}
for u in alice:reviewer bob:approver carol:approver root:admin; do
	KAKUIN_REVIEW_NEW_PASSWORD="pw-${u%%:*}-0123456789" review user add "${u%%:*}" \
	    --role "${u#*:}" >/dev/null </dev/null || die "review user add $u"
done

# new_org NAME LOCALITY STATE: an organization in review with identity and authority
# evidence; prints its id
new_org() {
	local out id
	out=$(as alice org create --name "$1" --locality "$2" --state "$3" \
	    --reg-number 1234567890123 --applicant "Applicant $1" \
	    --authorizer "Authorizer $1" </dev/null) || die "org create $1: $out"
	id=$(echo "$out" | sed -n 's/^org \([0-9][0-9]*\).*/\1/p' | head -n 1)
	[ -n "$id" ] || die "org create printed no id: $out"
	as alice org evidence "$id" --kind registry --source "corporate number registry" \
	    --reference "1234567890123" </dev/null >/dev/null || die "evidence registry"
	as alice org evidence "$id" --kind authority --source "call to the authorizer" \
	    --reference "confirmed the applicant" </dev/null >/dev/null || die "evidence authority"
	echo "$id"
}

# eab ORG: sets KID and HMAC
eab() {
	local out
	out=$(as root eab create --org "$1" </dev/null) || die "eab create: $out"
	KID=$(echo "$out" | sed -n 's/^kid: *//p')
	HMAC=$(echo "$out" | sed -n 's/^hmac: *//p')
	[ -n "$KID" ] && [ -n "$HMAC" ] || die "eab create printed no kid/hmac: $out"
}

# wait_log REGEX SECONDS: until the server log matches
wait_log() {
	local i
	for i in $(seq $(($2 * 5))); do
		grep -E -q "$1" "$IT_WORK/server.log" && return 0
		sleep 0.2
	done
	return 1
}

# subject_is CERT O L ST
subject_is() {
	local s
	s=$(openssl x509 -in "$1" -noout -subject -nameopt RFC2253,-esc_msb 2>/dev/null)
	if grep -qF "O=$2" <<<"$s" && grep -qF "L=$3" <<<"$s" &&
	    grep -qF "ST=$4" <<<"$s"; then
		pass "subject O/L/ST are the approved organization's ($s)"
	else
		fail "subject $s, want O=$2 L=$3 ST=$4"
	fi
}

info "production mode: newAccount without EAB is refused"
dir=$(curl -fsS --cacert "$IT_CACERT" "$IT_DIRURL")
if grep -q '"externalAccountRequired": *true' <<<"$dir"; then
	pass "directory says externalAccountRequired"
else
	fail "directory: $dir"
fi

org1=$(new_org "Kakuin Shoji K.K." "Chiyoda-ku" "Tokyo")
eab "$org1"
info "org $org1, EAB kid $KID"

cb=$IT_WORK/certbot1
certbot_run() {
	REQUESTS_CA_BUNDLE=$IT_CACERT timeout 300 certbot certonly --standalone \
	    --non-interactive --agree-tos -m ops@kakuin-shoji.example.jp \
	    --server "$IT_DIRURL" --preferred-challenges http \
	    --http-01-port "$IT_HTTP01" --http-01-address 127.0.0.1 \
	    --key-type rsa --rsa-key-size 2048 \
	    --config-dir "$cb/config" --work-dir "$cb/work" --logs-dir "$cb/logs" \
	    --cert-name ov "$@"
}
mkdir -p "$cb"
if certbot_run -d noeab.ov.example.jp >"$cb/noeab.log" 2>&1; then
	fail "certbot registered without EAB in production mode"
elif grep -q "externalAccountRequired" "$cb/logs/letsencrypt.log"; then
	pass "newAccount without EAB refused with externalAccountRequired"
else
	fail "no EAB: unclear error"; tail -n 20 "$cb/noeab.log"
fi
info "certbot with a wrong EAB MAC key is refused"
if certbot_run --eab-kid "$KID" --eab-hmac-key "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
    -d www.ov.example.jp >"$cb/bad.log" 2>&1; then
	fail "certbot registered with a wrong EAB MAC"
else
	if grep -q "MAC does not verify" "$cb/logs/letsencrypt.log"; then
		pass "wrong EAB MAC refused (unauthorized, says the MAC does not verify)"
	else
		fail "wrong EAB MAC: no clear error"; tail -n 20 "$cb/bad.log"
	fi
fi
rm -rf "$cb/config/accounts"

info "certbot with EAB; the order is held until two reviewers approve"
certbot_run --eab-kid="$KID" --eab-hmac-key="$HMAC" -d www.ov.example.jp -d ov.example.jp \
    >"$cb/out.log" 2>&1 &
cbpid=$!
if wait_log "order [0-9]+ held" 60; then
	pass "order held in processing while organization $org1 is in review"
else
	fail "no held order in the server log"
fi
if as alice org approve "$org1" </dev/null >/dev/null 2>&1; then
	fail "an unverified organization was approved"
else
	pass "approval before verification refused"
fi
if as alice org approve "$org1" </dev/null >/dev/null 2>&1; then
	fail "a reviewer without the approver role approved"
else
	pass "the reviewer role cannot approve"
fi
info "alice verifies and bob approves in the reviewer web UI (headless Chromium)"
ui_node approve.mjs KK_UI_BASE="https://127.0.0.1:$UI_PORT" KK_UI_ORG="$org1" \
    KK_UI_A=alice KK_UI_A_PASS=pw-alice-0123456789 \
    KK_UI_B=bob KK_UI_B_PASS=pw-bob-0123456789
if wait "$cbpid"; then
	pass "certbot got its certificate after the approval"
else
	cat "$cb/out.log"; tail -n 30 "$cb/logs/letsencrypt.log"
	fail "certbot failed"
fi
crt=$cb/config/live/ov/cert.pem
check_issued_cert "$crt" www.ov.example.jp ov.example.jp
subject_is "$crt" "Kakuin Shoji K.K." "Chiyoda-ku" "Tokyo"
out=$(/usr/bin/python3 "$IT_ROOTDIR/tests/ct/ct_verify.py" "$crt" --issuer "$IT_ISSUING" \
    --log "Test Log 0=${IT_CT_KEY[0]}" --log "Test Log 1=${IT_CT_KEY[1]}" --min 2 2>&1)
if [ "$(grep -c ' OK' <<<"$out")" = 2 ]; then
	pass "production mode: the certificate carries 2 verified SCTs"
else
	echo "$out"
	fail "production mode: SCTs"
fi

info "lego with EAB: gives up while held, a re-run after approval succeeds at once"
org2=$(new_org "Kakuin Denki K.K." "Naka-ku" "Kanagawa")
eab "$org2"
lg=$IT_WORK/lego
lego_run() {
	LEGO_CA_CERTIFICATES=$IT_CACERT timeout 120 lego --server "$IT_DIRURL" \
	    --email ops@kakuin-denki.example.jp --accept-tos --key-type rsa2048 \
	    --eab --kid="$KID" --hmac="$HMAC" --cert.timeout 5 \
	    --domains lego.ov.example.jp --http --http.port "127.0.0.1:$IT_HTTP01" \
	    --path "$lg" run
}
if lego_run >"$lg.1.log" 2>&1; then
	fail "lego got a certificate before its organization was approved"
else
	pass "lego's first run ends while the order is held"
fi
as bob org verify "$org2" --note "registry and authority checked" </dev/null >/dev/null ||
    fail "bob verifies org $org2"
if as bob org approve "$org2" </dev/null >"$IT_WORK/same.log" 2>&1; then
	fail "the verifier also approved (two-person rule broken)"
else
	pass "the verifier cannot also approve ($(tail -n 1 "$IT_WORK/same.log"))"
fi
as carol org approve "$org2" --note "second check" </dev/null >/dev/null ||
    fail "carol approves org $org2"
start=$(date +%s)
if lego_run >"$lg.2.log" 2>&1; then
	pass "lego re-run after approval got the certificate in $(( $(date +%s) - start )) s"
else
	cat "$lg.2.log"; fail "lego re-run after approval"
fi
subject_is "$lg/certificates/lego.ov.example.jp.crt" "Kakuin Denki K.K." "Naka-ku" "Kanagawa"
if grep -q "authorization already valid" "$lg.2.log" &&
    ! grep -q "Trying to solve HTTP-01" "$lg.2.log"; then
	pass "the re-run reused the validation (no new HTTP-01)"
else
	fail "the re-run validated again"
fi

info "a rejected organization makes its held order invalid with the reason"
org3=$(new_org "Fly-by-night K.K." "Minato-ku" "Tokyo")
eab "$org3"
cb=$IT_WORK/certbot2
mkdir -p "$cb"
certbot_run --eab-kid="$KID" --eab-hmac-key="$HMAC" -d reject.ov.example.jp \
    >"$cb/out.log" 2>&1 &
cbpid=$!
wait_log "order [0-9]+ held for review" 60 || true
as alice org reject "$org3" --reason "registry shows the company was dissolved" \
    </dev/null >/dev/null || fail "alice rejects"
wait "$cbpid" && fail "certbot got a certificate for a rejected organization"
if grep -q "registry shows the company was dissolved" "$cb/logs/letsencrypt.log"; then
	pass "the client saw the reviewers' reason"
else
	fail "the rejection reason did not reach the client"; tail -n 30 "$cb/logs/letsencrypt.log"
fi

info "a revoked EAB key cannot register new accounts"
as root eab revoke "$KID" </dev/null >/dev/null || fail "eab revoke"
cb=$IT_WORK/certbot3
mkdir -p "$cb"
if certbot_run --eab-kid="$KID" --eab-hmac-key="$HMAC" -d revoked.ov.example.jp \
    >"$cb/out.log" 2>&1; then
	fail "a revoked EAB key registered an account"
elif grep -q "revoked" "$cb/logs/letsencrypt.log"; then
	pass "revoked EAB key refused"
else
	fail "revoked EAB key: unclear error"; tail -n 20 "$cb/logs/letsencrypt.log"
fi
kakuin_check
[ "$IT_FAILED" -eq 0 ]
