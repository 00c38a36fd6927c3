#!/usr/bin/env bash
# Certificate Transparency (issue #6; RFC 6962, CP table 7.1-1 SCT list): two test
# logs of two operators on 127.0.0.1 (tests/ct/ct_test_log.py, real ECDSA log keys).
#   1. certbot gets a certificate whose SCT list holds one verified SCT per log:
#      openssl x509 -text shows them, tests/ct/ct_verify.py (python cryptography, not
#      kakuin's code) verifies them, each log saw one precertificate with the serial,
#      the certificate passes the CP profile check and x509lint.
#   2. A log down: the order waits in processing (policy ct.wait) and is issued
#      once the log is back.
#   3. A log down for longer than ct.max_wait_seconds: the order fails with a
#      serverInternal problem naming the log; the precertificate's serial is assigned,
#      so OCSP answers "good" for it (BR 4.9.10).
# Usage: test_ct.sh BUILD_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}"
[ "$IT_SERVER" = kakuin ] || { info "CT test: kakuin only"; exit 0; }
start_dns
IT_CT_SETTINGS='{"min_scts": 2, "min_operators": 2, "wait": true, "max_wait_seconds": 20}'
start_ct_logs 2
IT_SERVE_ARGS=(--policy "$IT_CT_POLICY")
start_server
base=http://127.0.0.1:$IT_HTTPPORT


# certbot_get NAME: certbot certonly for NAME (cert name = NAME) in the background;
# its pid in CB_PID, its output in $IT_WORK/cb-NAME.log.
certbot_get() {
	certbot_http "$IT_WORK/certbot" --key-type rsa --rsa-key-size 2048 \
	    --cert-name "$1" -d "$1" >"$IT_WORK/cb-$1.log" 2>&1 &
	CB_PID=$!
}

# ct_checks CERT: the SCT list as openssl shows it and as ct_verify.py verifies it.
ct_checks() {
	local cert=$1 text id i
	text=$(openssl x509 -in "$cert" -noout -text)
	check "openssl shows the CT Precertificate SCTs extension" \
	    grep -q "CT Precertificate SCTs:" <<<"$text"
	check "openssl shows 2 SCTs" [ "$(grep -c 'Signed Certificate Timestamp:' <<<"$text")" = 2 ]
	check "no poison extension in the certificate" \
	    eval '! grep -q "CT Precertificate Poison" <<<"$text"'
	for i in 0 1; do
		id=$(base64 -d <<<"${IT_CT_KEY[i]}" | openssl dgst -sha256 -binary | xxd -p -c 64 |
		    tr 'a-f' 'A-F' | sed 's/../&:/g; s/:$//')
		check "SCT of test log $i present (log ID ${id:0:11}...)" \
		    grep -q "${id:0:47}" <<<"$(tr -d ' \n' <<<"$text" | sed 's/LogID:/\n/g')"
	done
	out=$(/usr/bin/python3 "$IT_ROOTDIR/tests/ct/ct_verify.py" "$cert" --issuer "$IT_ISSUING" \
	    --log "Test Log 0=${IT_CT_KEY[0]}" --log "Test Log 1=${IT_CT_KEY[1]}" --min 2 2>&1)
	echo "$out" | sed 's/^/  ct_verify: /'
	check "both SCTs verify independently (ct_verify.py)" [ "$(grep -c ' OK' <<<"$out")" = 2 ]
}

serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//'; }

# ---- 1. issuance with two logs
info "1. certbot with both logs up"
certbot_get ct1.example.jp
wait "$CB_PID" && pass "certbot certonly ct1.example.jp" ||
    { cat "$IT_WORK/cb-ct1.example.jp.log"; die "certbot certonly ct1.example.jp"; }
cert1=$IT_WORK/certbot/config/live/ct1.example.jp/cert.pem
check_issued_cert "$cert1" ct1.example.jp
ct_checks "$cert1"
s1=$(serial_of "$cert1")
for i in 0 1; do
	check "test log $i saw the precertificate of serial $s1 once" \
	    [ "$(grep -c "\"serial\": \"$s1\", \"ok\": true" "${IT_CT_RECORD[i]}")" = 1 ]
	check "test log $i got add-pre-chain" grep -q '"path": "/ct/v1/add-pre-chain"' \
	    "${IT_CT_RECORD[i]}"
done

# ---- 2. a log down for a while: the order waits, then is issued
info "2. test log 1 down, back after 6 s"
ct_log_mode 1 down
certbot_get ct2.example.jp
sleep 6
check "the server waits for SCTs (log 1 down)" grep -q "waits for SCTs.*Test Log 1" \
    "$IT_WORK/server.log"
ct_log_mode 1 ok
wait "$CB_PID" && pass "certbot certonly ct2.example.jp after the log came back" ||
    { cat "$IT_WORK/cb-ct2.example.jp.log"; fail "certbot ct2.example.jp"; }
cert2=$IT_WORK/certbot/config/live/ct2.example.jp/cert.pem
[ -s "$cert2" ] && ct_checks "$cert2"

# ---- 3. a log down for longer than max_wait_seconds: the order fails
info "3. test log 1 down for good"
ct_log_mode 1 down
certbot_get ct3.example.jp
if wait "$CB_PID"; then
	fail "certbot got ct3.example.jp with a log down"
else
	pass "certbot refused ct3.example.jp with a log down"
fi
# certbot prints only "IssuanceError"; the order's problem is in its debug log
out=$(grep -A 2 '"type": "urn:ietf:params:acme:error:serverInternal"' \
    "$IT_WORK/certbot/logs/letsencrypt.log")
echo "$out" | sed 's/^/  order error: /'
check "the order's serverInternal problem names CT and the log that failed" \
    grep -q '"detail": "CT: 1 of 2 required SCTs.*Test Log 1: HTTP 503' <<<"$out"
s3=$(tail -n 1 "${IT_CT_RECORD[0]}" | /usr/bin/python3 -c \
    'import json,sys; print(json.load(sys.stdin)["serial"])')
info "precertificate serial of the failed order: $s3"
check "the failed order's precertificate is not among the issued certificates" \
    [ ! -e "$IT_WORK/certbot/config/live/ct3.example.jp/cert.pem" ]
sleep 6  # the status publisher presigns the assigned serial's response
out=$(openssl ocsp -issuer "$IT_ISSUING" -serial "0x$s3" -url "$base/ocsp" \
    -CAfile "$IT_DATA/ca/chain.pem" -no_nonce 2>&1)
echo "$out" | head -n 3 | sed 's/^/  ocsp: /'
check "OCSP: the precertificate's serial is good (assigned, BR 4.9.10)" \
    grep -q ": good" <<<"$out"
kakuin_check
[ "$IT_FAILED" -eq 0 ]
