#!/usr/bin/env bash
# A CRL larger than the TBS limit used to be (512 KiB, about 11,500 entries): with
# 20,000 revoked certificates in the store (kakuin-bench-populate) `kakuin serve` starts,
# publishes a CRL listing all of them, and the CRL verifies with the issuing CA.
# Usage: test_crl_large.sh BUILD_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}"
[ "$IT_SERVER" = kakuin ] || { info "large CRL: kakuin only"; exit 0; }
pop=$IT_BUILD/kakuin-bench-populate
[ -x "$pop" ] || die "$pop not built"
"$IT_KAKUIN" init --data-dir "$IT_DATA" >"$IT_WORK/init.log" 2>&1 || die "kakuin init"
"$pop" --data-dir "$IT_DATA" --count 20000 --revoked 20000 >"$IT_WORK/pop.log" 2>&1 ||
    die "populate: $(tail -3 "$IT_WORK/pop.log")"
pass "store holds 20000 revoked certificates"
start_dns
start_server
crl=$IT_WORK/issuing.crl
for _ in $(seq 50); do
	curl -fsS -o "$crl" "http://127.0.0.1:$IT_HTTPPORT/crl/issuing.crl" 2>/dev/null && break
	sleep 0.2
done
n=$(openssl crl -inform DER -in "$crl" -noout -text 2>/dev/null | grep -c "Serial Number:")
check "the CRL lists all 20000 revoked certificates ($n)" [ "$n" = 20000 ]
out=$(openssl crl -inform DER -in "$crl" -noout -CAfile "$IT_DATA/ca/chain.pem" 2>&1)
check "the CRL verifies with the issuing CA ($out)" grep -q "verify OK" <<<"$out"
check "the CRL is over 512 KiB ($(stat -c %s "$crl") bytes)" [ "$(stat -c %s "$crl")" -gt 524288 ]
kakuin_check
[ "$IT_FAILED" -eq 0 ]
