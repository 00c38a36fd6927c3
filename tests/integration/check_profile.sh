#!/usr/bin/env bash
# check_profile.sh CERT ROOT ISSUING NAME...
#
# Checks a subscriber certificate against CP table 7.1-1 (SECOM Passport
# for Web SR 3.0 CA server certificate profile) and the BR limits the
# policy adds (BR 6.3.2 validity, BR 7.1 serial). NAMES are the expected
# dNSNames, the first being the CN. The expected values are written out
# here on purpose, independent of policy/default.json, so a wrong policy
# file is caught too. Prints one line per row; exit 0 only if all pass.
# ROOT is only used to check that it is not itself the issuer of a
# subscriber certificate (the CP issues from the subordinate CA).
set -uo pipefail

if [ $# -lt 4 ]; then
	echo "usage: $0 CERT ROOT ISSUING NAME..." >&2
	exit 2
fi
CERT=$1 ROOT=$2 ISSUING=$3
shift 3
NAMES=("$@")

POLICY_CP=1.2.392.200091.100.751.1
POLICY_OV=2.23.140.1.2.2
CPS_URI=https://repo1.secomtrust.net/spcpp/pfw/pfwsr3ca/
ISSUER_O="SECOM Trust Systems CO.,LTD."
ISSUER_CN="SECOM Passport for Web SR 3.0 CA"

nfail=0
ok() { echo "ok:   $1"; }
bad() { nfail=$((nfail + 1)); echo "FAIL: $1: $2"; }
# check ROW COND-STATUS DETAIL: ok when the previous command succeeded.
row() { if [ "$2" -eq 0 ]; then ok "$1"; else bad "$1" "$3"; fi; }

TEXT=$(openssl x509 -in "$CERT" -noout -text 2>&1) || {
	echo "FAIL: cannot parse $CERT: $TEXT"; exit 1; }

# ext NAME: the extension's header ("...: critical") and value lines.
ext() { openssl x509 -in "$CERT" -noout -ext "$1" 2>/dev/null; }
# ext_value NAME: value lines only, leading blanks stripped.
ext_value() { ext "$1" | sed -n '2,$p' | sed 's/^[[:space:]]*//'; }
# ext_critical NAME: 0 when the extension is marked critical.
ext_critical() { grep -q ': critical$' <<<"$(ext "$1" | head -n 1)"; }
# name_field WHO FIELD: one RDN value of the subject or issuer.
name_fields() {
	openssl x509 -in "$1" -noout "-$2" -nameopt sep_multiline,sname,utf8,-esc_msb \
	    | sed -n '2,$p' | sed 's/^[[:space:]]*//'
}

# Version: v3.
grep -q '^ *Version: 3 (0x2)$' <<<"$TEXT"
row "version 3" $? "$(echo "$TEXT" | grep -m1 'Version:')"

# Signature algorithm: sha256WithRSAEncryption, in TBS and outer.
n=$(echo "$TEXT" | grep -c '^ *Signature Algorithm: sha256WithRSAEncryption$')
[ "$n" -eq 2 ]
row "signature sha256WithRSAEncryption" $? \
    "$(echo "$TEXT" | grep 'Signature Algorithm:' | sort -u | tr -s ' ' | tr '\n' ';')"

# Serial: positive, >= 64 bits (BR 7.1), at most 20 octets (RFC 5280 4.1.2.2).
serial=$(openssl x509 -in "$CERT" -noout -serial | sed 's/^serial=//')
sbits=$(/usr/bin/python3 -c 'import sys; print(int(sys.argv[1], 16).bit_length())' "$serial" 2>/dev/null || echo 0)
case $serial in -*) sbits=0 ;; esac
[ "$sbits" -ge 64 ] && [ "$sbits" -le 159 ]
row "serial positive, 64..159 bits" $? "serial $serial has $sbits bits"

# Issuer: equals the issuing CA's subject; C=JP, O, CN as in the table.
issuer=$(openssl x509 -in "$CERT" -noout -issuer -nameopt RFC2253 | sed 's/^issuer=//')
isubj=$(openssl x509 -in "$ISSUING" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
[ -n "$issuer" ] && [ "$issuer" = "$isubj" ]
row "issuer == issuing CA subject" $? "issuer '$issuer' vs issuing '$isubj'"
rsubj=$(openssl x509 -in "$ROOT" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
[ "$issuer" != "$rsubj" ]
row "issued by the subordinate, not the root" $? "issuer is the root '$rsubj'"
ifields=$(name_fields "$CERT" issuer)
grep -qx 'C=JP' <<<"$ifields" &&
    grep -qxF "O=$ISSUER_O" <<<"$ifields" &&
    grep -qxF "CN=$ISSUER_CN" <<<"$ifields"
row "issuer C=JP, O, CN per table" $? "$(echo "$ifields" | tr '\n' ';')"

# Subject: C=JP, ST, L, O required, CN = first name; nothing else. The CP's optional
# OU is prohibited by BR 7.1.2.7.4 (SC-47v2), the stricter rule.
sfields=$(name_fields "$CERT" subject)
sval() { echo "$sfields" | sed -n "s/^$1=//p"; }
[ "$(echo "$sfields" | grep -c '^C=')" -eq 1 ] && [ "$(sval C)" = JP ]
row "subject C=JP" $? "C='$(sval C)'"
for f in ST L O; do
	[ "$(echo "$sfields" | grep -c "^$f=")" -eq 1 ] && [ -n "$(sval "$f")" ]
	row "subject $f present" $? "$f='$(sval "$f")'"
done
! grep -q '^OU=' <<<"$sfields"
row "no subject OU (BR 7.1.2.7.4)" $? "OU='$(sval OU)'"
[ "$(echo "$sfields" | grep -c '^CN=')" -eq 1 ] && [ "$(sval CN)" = "${NAMES[0]}" ]
row "subject CN = ${NAMES[0]}" $? "CN='$(sval CN)'"
other=$(echo "$sfields" | grep -v -E '^(C|ST|L|O|CN)=' || true)
[ -z "$other" ]
row "subject has no other attributes" $? "$(echo "$other" | tr '\n' ';')"

# Subject public key: RSA >= 2048 (CP 6.1.5, table 7.1-1).
kbits=$(echo "$TEXT" | sed -n 's/^ *Public-Key: (\([0-9]*\) bit)$/\1/p')
grep -q 'Public Key Algorithm: rsaEncryption$' <<<"$TEXT" && [ "${kbits:-0}" -ge 2048 ]
row "RSA key >= 2048 bits" $? "$(echo "$TEXT" | grep -m1 'Public Key Algorithm') ${kbits:-?} bits"

# Validity: <= min(398, BR 6.3.2 maximum for the issuance date). RFC 5280
# and the BR count the period inclusively: notAfter - notBefore + 1 s.
nb=$(openssl x509 -in "$CERT" -noout -startdate | sed 's/^notBefore=//')
na=$(openssl x509 -in "$CERT" -noout -enddate | sed 's/^notAfter=//')
nbs=$(date -u -d "$nb" +%s) nas=$(date -u -d "$na" +%s)
day=$(date -u -d "$nb" +%Y-%m-%d)
maxd=398
[[ ! "$day" > "2026-03-14" ]] || maxd=200
[[ ! "$day" > "2027-03-14" ]] || maxd=100
[[ ! "$day" > "2029-03-14" ]] || maxd=47
period=$((nas - nbs + 1))
[ "$period" -gt 0 ] && [ "$period" -le $((maxd * 86400)) ]
row "validity <= $maxd days for issuance on $day" $? \
    "$nb .. $na is $((period / 86400)) days $((period % 86400)) s"

# Extensions: exactly the table's (plus basicConstraints CA:FALSE and an
# SCT list, which the BR allow).
exts=$(echo "$TEXT" | awk '/^        X509v3 extensions:/ {on=1; next}
    /^    Signature Algorithm:/ {on=0}
    on && /^            [^ ]/ {sub(/^ +/, ""); sub(/: *(critical)?$/, ""); print}')
allowed='X509v3 Key Usage|X509v3 Extended Key Usage|X509v3 Subject Alternative Name|X509v3 Certificate Policies|X509v3 CRL Distribution Points|Authority Information Access|X509v3 Authority Key Identifier|X509v3 Subject Key Identifier|X509v3 Basic Constraints|CT Precertificate SCTs|1.3.6.1.4.1.11129.2.4.2'
extra=$(echo "$exts" | grep -v -x -E "$allowed" || true)
[ -z "$extra" ]
row "no extensions outside the table" $? "$(echo "$extra" | tr '\n' ';')"
for e in extendedKeyUsage subjectAltName certificatePolicies crlDistributionPoints \
    authorityInfoAccess authorityKeyIdentifier subjectKeyIdentifier; do
	if grep -q . <<<"$(ext "$e")"; then
		! ext_critical "$e"
		row "$e not critical" $? "marked critical"
	fi
done
if grep -q . <<<"$(ext basicConstraints)"; then
	[ "$(ext_value basicConstraints)" = "CA:FALSE" ]
	row "basicConstraints CA:FALSE if present" $? "$(ext_value basicConstraints)"
fi

# keyUsage: critical, exactly digitalSignature + keyEncipherment.
ext_critical keyUsage && [ "$(ext_value keyUsage)" = "Digital Signature, Key Encipherment" ]
row "keyUsage critical digitalSignature,keyEncipherment" $? "$(ext keyUsage | tr -s ' \n' ' ')"

# extendedKeyUsage: exactly serverAuth.
[ "$(ext_value extendedKeyUsage)" = "TLS Web Server Authentication" ]
row "extendedKeyUsage serverAuth only" $? "'$(ext_value extendedKeyUsage)'"

# subjectAltName: dNSNames == NAMES as a set, nothing else.
got=$(ext_value subjectAltName | tr ',' '\n' | sed 's/^ *//' | sort)
want=$(printf 'DNS:%s\n' "${NAMES[@]}" | sort)
[ -n "$got" ] && [ "$got" = "$want" ]
row "subjectAltName = ${NAMES[*]}" $? "got $(echo "$got" | tr '\n' ' ')"

# certificatePolicies: the CP OID with the CPS URI, and the BR OV OID.
pol=$(ext_value certificatePolicies | awk '
    /^Policy: / {p = $2; print "P " p; next}
    /^CPS: / {print "Q " p " " $2}' | sort)
want=$(printf 'P %s\nP %s\nQ %s %s\n' "$POLICY_CP" "$POLICY_OV" "$POLICY_CP" "$CPS_URI" | sort)
[ "$pol" = "$want" ]
row "certificatePolicies $POLICY_CP (CPS $CPS_URI) + $POLICY_OV" $? \
    "$(ext_value certificatePolicies | tr '\n' ';')"

# CRL distribution point and OCSP URIs (http, BR 7.1.2.11.2, 7.1.2.7.7).
grep -q '^URI:http://' <<<"$(ext_value crlDistributionPoints)"
row "CRL distribution point http URI" $? "'$(ext_value crlDistributionPoints | tr '\n' ' ')'"
grep -q '^OCSP - URI:http://' <<<"$(ext_value authorityInfoAccess)"
row "AIA OCSP http URI" $? "'$(ext_value authorityInfoAccess | tr '\n' ' ')'"

# AKI == issuer's SKI, key identifier only (BR 7.1.2.11.1).
norm() { tr -d ' \n' | sed 's/^keyid://' | tr 'a-f' 'A-F'; }
aki=$(ext_value authorityKeyIdentifier | norm)
iski=$(openssl x509 -in "$ISSUING" -noout -ext subjectKeyIdentifier 2>/dev/null | sed -n '2,$p' | norm)
[ -n "$aki" ] && [ "$aki" = "$iski" ]
row "AKI == issuing CA SKI" $? "AKI '$aki', issuer SKI '$iski'"

# SKI == SHA-1 of the subjectPublicKey BIT STRING (RFC 5280 4.2.1.2 (1)),
# which for RSA is the DER RSAPublicKey.
ski=$(ext_value subjectKeyIdentifier | norm | tr -d ':')
calc=$(openssl x509 -in "$CERT" -noout -pubkey |
    openssl rsa -pubin -RSAPublicKey_out -outform DER 2>/dev/null |
    openssl dgst -sha1 -r | cut -d' ' -f1 | tr 'a-f' 'A-F')
[ -n "$ski" ] && [ "$ski" = "$calc" ]
row "SKI == SHA-1(subject public key)" $? "SKI '$ski', computed '$calc'"

if [ "$nfail" -gt 0 ]; then
	echo "profile: $nfail row(s) failed"
	exit 1
fi
echo "profile: all rows pass"
