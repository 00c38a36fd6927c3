#!/usr/bin/env bash
# Debian weak keys (CVE-2008-0166; BR 6.1.1.3, CP 4.9.1) through the real binaries:
# - kakuin-debian-weak makes the RSA-2048 key a vulnerable Debian (x86_64, ~/.rnd
#   present) gave PID 1000; with no list loaded certbot --csr gets a certificate for it;
# - the list for PIDs 990-1009 is generated into DATA/weakkeys while the server runs:
#   within a minute the server loads it and files a keyCompromise revocation request
#   with the 24-hour deadline for that certificate (kakuin revoke report);
# - a new CSR with the key is refused with badCSR naming the Debian list;
# - `kakuin keys scan` finds it again without a second request; an approver revokes
#   it (`kakuin revoke do`), which closes the request and blocks the key.
# Usage: test_weakkeys.sh BUILD_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}"
[ "$IT_SERVER" = kakuin ] || { info "weak keys: kakuin only"; exit 0; }
gen=$IT_BUILD/kakuin-debian-weak
[ -x "$gen" ] || die "$gen not built"
start_dns
start_server

cb=$IT_WORK/certbot
mkdir -p "$cb"
kkrun() { "$IT_KAKUIN" "$@" --data-dir "$IT_DATA" >"$IT_WORK/kk.log" 2>&1; }

# certbot_csr NAME: certbot certonly --csr for NAME with the weak key; 0 if issued.
certbot_csr() {
	openssl req -new -key "$IT_WORK/weak.pem" -subj "/CN=$1" -addext "subjectAltName=DNS:$1" \
	    -outform DER -out "$cb/$1.csr" 2>/dev/null || die "openssl req $1"
	certbot_http "$cb" --csr "$cb/$1.csr" --cert-path "$cb/$1.pem" \
	    --fullchain-path "$cb/$1-full.pem" \
	    --chain-path "$cb/$1-chain.pem" -d "$1" >"$cb/$1.log" 2>&1
}

info "the Debian weak key of PID 1000 (x86_64, rnd)"
"$gen" --bits 2048 --arch x86_64 --rnd rnd --pem 1000 >"$IT_WORK/weak.pem" ||
    die "kakuin-debian-weak --pem"
fpr=$(openssl rsa -in "$IT_WORK/weak.pem" -noout -modulus | sha1sum | cut -c 21-40)
info "its openssl-vulnkey fingerprint: $fpr"

if certbot_csr weak1.example.jp; then
	pass "no list loaded: certbot got a certificate for the weak key"
else
	cat "$cb/weak1.example.jp.log"
	die "certbot --csr weak1.example.jp"
fi
serial=$(openssl x509 -in "$cb/weak1.example.jp.pem" -noout -serial | cut -d= -f2 |
    tr 'A-F' 'a-f')

info "generating blacklist.RSA-2048.x86_64.rnd for PIDs 990-1009 into DATA/weakkeys"
mkdir -p "$IT_DATA/weakkeys"
"$gen" --bits 2048 --arch x86_64 --rnd rnd --pids 990-1009 \
    >"$IT_DATA/weakkeys/blacklist.RSA-2048.x86_64.rnd.tmp" || die "generator"
mv "$IT_DATA/weakkeys/blacklist.RSA-2048.x86_64.rnd.tmp" \
    "$IT_DATA/weakkeys/blacklist.RSA-2048.x86_64.rnd"
if grep -qx "$fpr" "$IT_DATA/weakkeys/blacklist.RSA-2048.x86_64.rnd"; then
	pass "the generated list holds the key's openssl-vulnkey fingerprint"
else
	fail "fingerprint $fpr not in the list"
fi

info "waiting for the server to pick the list up (once a minute)"
for _ in $(seq 90); do
	grep -q "key scan: 1 live certificates" "$IT_WORK/server.log" && break
	sleep 1
done
if grep -q "Debian weak-key lists: 1 new" "$IT_WORK/server.log"; then
	pass "the running server loaded the new list"
else
	fail "the server did not load the list"
fi
if kkrun revoke report && grep -q "$serial keyCompromise within 24h" "$IT_WORK/kk.log" &&
    grep -q "system" "$IT_WORK/kk.log" && grep -q "Debian weak key" "$IT_WORK/kk.log"; then
	pass "a 24-hour keyCompromise request from the system is open for $serial"
else
	cat "$IT_WORK/kk.log"
	fail "no revocation request for $serial"
fi

if certbot_csr weak2.example.jp; then
	fail "the weak key was certified with its list loaded"
elif grep -q 'error:badCSR :: .*RSA key is a Debian weak key (CVE-2008-0166, list blacklist.RSA-2048.x86_64.rnd)' \
    "$cb/logs/letsencrypt.log"; then
	pass "a new CSR with the weak key -> badCSR naming the Debian list"
else
	tail -n 5 "$cb/weak2.example.jp.log"
	fail "weak key: no badCSR with the Debian detail"
fi

if kkrun keys scan && grep -q "1 live certificates with keys refused now; 0 new" \
    "$IT_WORK/kk.log"; then
	pass "kakuin keys scan finds it again and files no second request"
else
	cat "$IT_WORK/kk.log"
	fail "kakuin keys scan"
fi

PW=approver-secret-0123456789
KAKUIN_REVIEW_NEW_PASSWORD=$PW kkrun review user add erin --role approver ||
    die "user add erin: $(cat "$IT_WORK/kk.log")"
if KAKUIN_REVIEW_PASSWORD=$PW kkrun revoke do "$serial" --reason keyCompromise \
    --detail "Debian weak key" --as erin; then
	pass "an approver revoked $serial"
else
	cat "$IT_WORK/kk.log"
	fail "revoke do $serial"
fi
if kkrun revoke report && grep -q "no open revocation requests" "$IT_WORK/kk.log"; then
	pass "the request is closed"
else
	cat "$IT_WORK/kk.log"
	fail "the request stayed open"
fi
blocked=$(sqlite3 "$IT_DATA/kakuin.db" "SELECT count(*) FROM blocked_keys")
[ "$blocked" = 1 ] && pass "the key is blocked (CP 4.9.12)" || fail "blocked_keys: $blocked"
kakuin_check
[ "$IT_FAILED" -eq 0 ]
