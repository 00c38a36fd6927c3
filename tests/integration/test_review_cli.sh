#!/usr/bin/env bash
# OV vetting from the command line (kakuin review ...): reviewers, an
# organization with evidence (a document among it), the two-person rule
# (the verifier cannot approve; a second approver can), EAB keys, a wrong
# password, a rejection, and a consistent store at the end. No server.
# Usage: test_review_cli.sh BUILD_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}"
[ -x "$IT_KAKUIN" ] || die "$IT_KAKUIN not built"

PW_ALICE="alice's long password"
PW_BOB="bob's long password!"
PW_ROOT="root's long password"

# rv ARGS...: kakuin review ARGS on the data dir; output in $IT_WORK/out
rv() {
	"$IT_KAKUIN" review "$@" --data-dir "$IT_DATA" >"$IT_WORK/out" 2>"$IT_WORK/err"
}
# as USER PASSWORD ARGS...: rv signed in as USER (password on stdin)
as() {
	local user=$1 pw=$2
	shift 2
	printf '%s\n' "$pw" | rv "$@" --as "$user"
}
out() { cat "$IT_WORK/out" "$IT_WORK/err"; }

"$IT_KAKUIN" init --data-dir "$IT_DATA" >"$IT_WORK/init.log" 2>&1 ||
    { cat "$IT_WORK/init.log"; die "kakuin init failed"; }

info "reviewers"
KAKUIN_REVIEW_NEW_PASSWORD=$PW_ALICE rv user add alice --role reviewer ||
    die "user add alice: $(out)"
printf '%s\n' "$PW_BOB" | rv user add bob --role approver || die "user add bob: $(out)"
KAKUIN_REVIEW_NEW_PASSWORD=$PW_ROOT rv user add root --role admin || die "user add root: $(out)"
KAKUIN_REVIEW_NEW_PASSWORD=short rv user add eve --role reviewer &&
    fail "a short password was accepted" || pass "short password refused: $(out)"
rv user list && [ "$(grep -c . "$IT_WORK/out")" -eq 3 ] && grep -q '^3 root admin$' "$IT_WORK/out" &&
    pass "user list" || fail "user list: $(out)"
# options may come before the words too (as the README writes it)
if "$IT_KAKUIN" review --data-dir "$IT_DATA" user list >"$IT_WORK/out2" 2>&1 &&
    cmp -s "$IT_WORK/out" "$IT_WORK/out2"; then
	pass "review --data-dir DIR user list works too"
else
	fail "options before the command: $(cat "$IT_WORK/out2")"
fi

info "organization and evidence"
rv org create --name 'Example <Shoji> K.K.' --locality Minato-ku --state Tokyo \
    --reg-number 1234567890123 --applicant 'Hanako Sato' --applicant-email hanako@example.jp ||
    die "org create: $(out)"
ORG=$(sed -n 's/^org \([0-9][0-9]*\)$/\1/p' "$IT_WORK/out")
[ -n "$ORG" ] && pass "org create printed org $ORG" || die "no org id: $(out)"
rv org create --name "$(printf 'Bad\001Name')" --locality L --state ST &&
    fail "a control character was accepted" || pass "control character refused: $(out)"
printf '%%PDF-1.4 registered matters\n' >"$IT_WORK/touki.pdf"
as alice "$PW_ALICE" org evidence "$ORG" --kind document --source 'Legal Affairs Bureau' \
    --document "$IT_WORK/touki.pdf" || die "evidence document: $(out)"
SHA=$(sha256sum "$IT_WORK/touki.pdf" | cut -d' ' -f1)
cmp -s "$IT_WORK/touki.pdf" "$IT_DATA/documents/$SHA" &&
    pass "document stored as documents/<sha256>" || fail "document not stored"
as alice "$PW_ALICE" org evidence "$ORG" --kind authority \
    --source 'call to the authorizer' --reference 'representative director confirmed' ||
    die "evidence authority: $(out)"
grep -q '^evidence [0-9]' "$IT_WORK/out" && pass "evidence added" || fail "evidence: $(out)"

info "two-person rule"
as bob "wrong password here" org verify "$ORG" &&
    fail "a wrong password was accepted" || {
	grep -q 'invalid name or password' "$IT_WORK/err" && pass "wrong password refused" ||
	    fail "wrong password: $(out)"
}
as bob "$PW_BOB" org verify "$ORG" --note 'registry matches' || die "verify: $(out)"
as bob "$PW_BOB" org approve "$ORG" && fail "the verifier approved too" || {
	grep -q 'two-person' "$IT_WORK/err" && pass "verifier cannot approve: $(out)" ||
	    fail "verify+approve: $(out)"
}
as alice "$PW_ALICE" org approve "$ORG" && fail "a reviewer approved" || {
	grep -q 'needs the approver role' "$IT_WORK/err" && pass "reviewer role cannot approve" ||
	    fail "reviewer approve: $(out)"
}
rv org show "$ORG"
grep -q 'status: *in_review' "$IT_WORK/out" && pass "still in_review" || fail "state: $(out)"
as root "$PW_ROOT" org approve "$ORG" --note 'second look' || die "approve: $(out)"
rv org show "$ORG"
grep -q 'status: *approved' "$IT_WORK/out" && grep -q 'verified by: *bob' "$IT_WORK/out" &&
    grep -q 'approved by: *root' "$IT_WORK/out" &&
    grep -q 'O: *Example <Shoji> K.K.' "$IT_WORK/out" &&
    grep -q 'root org.approve' "$IT_WORK/out" &&
    pass "org show: approved, verified by bob, approved by root" || fail "org show: $(out)"

info "EAB"
as bob "$PW_BOB" eab create --org "$ORG" && fail "a non-admin created an EAB key" || {
	grep -q 'needs the admin role' "$IT_WORK/err" && pass "eab create needs admin" ||
	    fail "eab create by bob: $(out)"
}
as root "$PW_ROOT" eab create --org "$ORG" || die "eab create: $(out)"
KID=$(sed -n 's/^kid: //p' "$IT_WORK/out")
HMAC=$(sed -n 's/^hmac: //p' "$IT_WORK/out")
[ "${#KID}" -eq 24 ] && [ "${#HMAC}" -eq 43 ] && pass "eab create printed kid and hmac" ||
    fail "eab create: $(out)"
rv eab list --org "$ORG" && grep -q "^$KID org $ORG " "$IT_WORK/out" &&
    ! grep -q "$HMAC" "$IT_WORK/out" && pass "eab list (no key shown)" || fail "eab list: $(out)"
as root "$PW_ROOT" eab revoke "$KID" && rv eab list && grep -q "$KID.*revoked" "$IT_WORK/out" &&
    pass "eab revoke" || fail "eab revoke: $(out)"

info "rejection"
rv org create --name 'Shell Company' --locality Osaka-shi --state Osaka || die "org 2: $(out)"
ORG2=$(sed -n 's/^org \([0-9][0-9]*\)$/\1/p' "$IT_WORK/out")
as alice "$PW_ALICE" org reject "$ORG2" && fail "reject without a reason" || {
	grep -q 'needs --reason' "$IT_WORK/err" && pass "reject needs --reason" ||
	    fail "reject without reason: $(out)"
}
as alice "$PW_ALICE" org reject "$ORG2" --reason 'no registry record' || die "reject: $(out)"
rv org show "$ORG2"
grep -q 'status: *rejected' "$IT_WORK/out" && grep -q 'no registry record' "$IT_WORK/out" &&
    pass "rejected with its reason" || fail "reject: $(out)"
as alice "$PW_ALICE" org revet "$ORG2" && fail "a reviewer re-vetted" || {
	grep -q 'needs the approver role' "$IT_WORK/err" && pass "revet needs approver" ||
	    fail "revet by alice: $(out)"
}
rv org list --status rejected && grep -q "^$ORG2 rejected Shell Company" "$IT_WORK/out" &&
    pass "org list --status rejected" || fail "org list: $(out)"
rv org list --search shoji && grep -q "^$ORG approved " "$IT_WORK/out" &&
    pass "org list --search" || fail "org list --search: $(out)"
rv task list && pass "task list (empty)" || fail "task list: $(out)"

info "store"
"$IT_KAKUIN" check --data-dir "$IT_DATA" >"$IT_WORK/out" 2>&1 && pass "kakuin check" ||
    fail "kakuin check: $(cat "$IT_WORK/out")"
[ "$IT_FAILED" -eq 0 ]
