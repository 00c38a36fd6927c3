#!/usr/bin/env bash
# The reviewer web UI (issue #4) end to end: `kakuin serve --review-listen`, reviewers
# and organizations made with `kakuin review`, then
#   - headless Chromium (ui/review_ui.mjs, puppeteer-core from npm ci): a reviewer
#     verifies, may not approve, an approver approves, the page names both; the
#     two-person rule; a <script> name renders as text; a wrong password is 401;
#   - curl: posts without or with a wrong CSRF token, from another site, or without a
#     session change nothing (`kakuin review org show` before and after), bad forms
#     get 400/413/415, every page carries the security headers.
# Usage: test_review_ui.sh BUILD_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}"
[ "$IT_SERVER" = kakuin ] || { info "the review UI is kakuin's own: skipped"; exit 0; }

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || die "$CHROMIUM not found (scripts/deps.sh installs chromium)"
command -v npm >/dev/null || die "npm not found (scripts/deps.sh installs nodejs/npm)"

UI_PORT=$(free_port 14001)
UI=https://127.0.0.1:$UI_PORT
IT_SERVE_ARGS=(--review-listen "127.0.0.1:$UI_PORT")
start_dns
start_server

PW_A='reviewer-A-passphrase'
PW_B='approver-B-passphrase'
CURL=(curl -sS --noproxy '*' --cacert "$IT_CACERT")

# review ARGS...: the review CLI on the test's data directory.
review() { "$IT_KAKUIN" review "$@" --data-dir "$IT_DATA"; }

# new_org NAME: creates an organization with identity and authority evidence (added
# by reviewer alice) and prints its id.
new_org() {
	local id
	id=$(review org create --name "$1" --locality Minato-ku --state Tokyo \
	    --reg-number 1234567890123 | sed -n 's/^org \([0-9][0-9]*\)$/\1/p')
	[ -n "$id" ] || return 1
	KAKUIN_REVIEW_PASSWORD=$PW_A review org evidence "$id" --as alice --kind registry \
	    --source 'National Tax Agency corporate number site' \
	    --reference 'record 1234567890123' >/dev/null || return 1
	KAKUIN_REVIEW_PASSWORD=$PW_A review org evidence "$id" --as alice --kind authority \
	    --source 'call to the registered number' \
	    --reference 'authorizer confirmed the request' >/dev/null || return 1
	echo "$id"
}

info "reviewers and organizations"
KAKUIN_REVIEW_NEW_PASSWORD=$PW_A review user add alice --role reviewer >/dev/null ||
    die "kakuin review user add alice"
KAKUIN_REVIEW_NEW_PASSWORD=$PW_B review user add bob --role approver >/dev/null ||
    die "kakuin review user add bob"
ORG=$(new_org 'Kakuin Test K.K.') || die "organization 1"
ORG2=$(new_org 'Second Test K.K.') || die "organization 2"
XSS=$(new_org '<script>alert(1)</script> & "Quotes" K.K.') || die "organization 3"
CSRF_ORG=$(new_org 'CSRF Target K.K.') || die "organization 4"
pass "users alice (reviewer), bob (approver); organizations $ORG $ORG2 $XSS $CSRF_ORG"

info "browser (headless Chromium)"
ui_node review_ui.mjs KK_UI_BASE="$UI" KK_UI_ORG="$ORG" KK_UI_ORG2="$ORG2" KK_UI_XSS="$XSS" \
    KK_UI_A=alice KK_UI_A_PASS="$PW_A" KK_UI_B=bob KK_UI_B_PASS="$PW_B" CHROMIUM="$CHROMIUM"

info "forged and malformed posts (curl)"
JAR=$IT_WORK/cookies
# post PATH DATA [CURL ARGS...]: prints the status and the redirect target.
post() {
	local path=$1 data=$2
	shift 2
	"${CURL[@]}" -o "$IT_WORK/resp.html" -w '%{http_code} %{redirect_url}' "$@" \
	    --data-raw "$data" "$UI$path"
}
code=$(post /login 'name=alice&password=wrong-password-here' -c "$JAR")
[ "${code%% *}" = 401 ] && grep -q 'Invalid name or password' "$IT_WORK/resp.html" &&
    pass "wrong password: 401 and a generic message" || fail "wrong password: $code"
code=$(post /login "name=nobody&password=$PW_A" -c "$JAR")
[ "${code%% *}" = 401 ] && pass "unknown name: 401" || fail "unknown name: $code"
code=$(post /login "name=alice&password=$PW_A" -c "$JAR")
[ "$code" = "303 $UI/" ] && grep -q kk_session "$JAR" &&
    pass "curl logs in as alice" || die "curl login: $code"
"${CURL[@]}" -b "$JAR" -D "$IT_WORK/headers" -o "$IT_WORK/org.html" "$UI/org/$CSRF_ORG"
CSRF=$(grep -Eo 'name=csrf value="[0-9a-f]{64}"' "$IT_WORK/org.html" | head -n 1 | cut -d'"' -f2)
[ ${#CSRF} -eq 64 ] || die "no CSRF token on the organization page"
CSP="default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
hdr_ok=1
for h in "Content-Security-Policy: $CSP" 'X-Content-Type-Options: nosniff' \
    'Referrer-Policy: no-referrer' 'Cache-Control: no-store'; do
	grep -qiF "$h" "$IT_WORK/headers" || { hdr_ok=0; echo "  missing: $h"; }
done
[ "$hdr_ok" = 1 ] && pass "security headers (CSP, nosniff, no-referrer, no-store)" ||
    fail "security headers"

before=$(review org show "$CSRF_ORG")
# unchanged WHAT: the organization is as it was before the forged posts.
unchanged() {
	if [ "$(review org show "$CSRF_ORG")" = "$before" ]; then
		pass "$1"
	else
		fail "$1: the organization changed"
	fi
}
code=$(post "/org/$CSRF_ORG/verify" 'note=forged' -b "$JAR")
[ "${code%% *}" = 403 ] && pass "verify without csrf: 403" || fail "no csrf: $code"
unchanged "no csrf: org show unchanged"
code=$(post "/org/$CSRF_ORG/verify" "note=forged&csrf=$(tr 0-9a-f 1-9a-f0 <<<"$CSRF")" -b "$JAR")
[ "${code%% *}" = 403 ] && pass "verify with a wrong csrf: 403" || fail "wrong csrf: $code"
code=$(post "/org/$CSRF_ORG/verify" "note=forged&csrf=${CSRF}0" -b "$JAR")
[ "${code%% *}" = 403 ] && pass "verify with an over-long csrf: 403" || fail "long csrf: $code"
unchanged "wrong csrf: org show unchanged"
code=$(post "/org/$CSRF_ORG/verify" "note=forged&csrf=$CSRF" -b "$JAR" \
    -H 'Origin: https://evil.example')
[ "${code%% *}" = 403 ] && pass "post from another Origin: 403" || fail "origin: $code"
code=$(post "/org/$CSRF_ORG/verify" "note=forged&csrf=$CSRF" -b "$JAR" \
    -H 'Sec-Fetch-Site: cross-site')
[ "${code%% *}" = 403 ] && pass "cross-site post (Sec-Fetch-Site): 403" ||
    fail "cross-site: $code"
unchanged "other site: org show unchanged"
code=$(post "/org/$CSRF_ORG/approve" "note=forged&csrf=$CSRF")
[ "$code" = "303 $UI/login" ] && pass "approve without a session: redirect to /login" ||
    fail "no session: $code"
code=$(post "/org/$CSRF_ORG/approve" "csrf=$CSRF" \
    -H "Cookie: kk_session=$(printf '%064d' 7)")
[ "$code" = "303 $UI/login" ] && pass "approve with an unknown session: redirect to /login" ||
    fail "unknown session: $code"
unchanged "no session: org show unchanged"

for bad in 'note=%zz' 'note=%4' 'note=a%00b' 'note=a&note=b' '=x'; do
	code=$(post "/org/$CSRF_ORG/verify" "$bad&csrf=$CSRF" -b "$JAR")
	[ "${code%% *}" = 400 ] && pass "malformed form '$bad': 400" || fail "'$bad': $code"
done
code=$(post "/org/$CSRF_ORG/verify" "{\"csrf\":\"$CSRF\"}" -b "$JAR" \
    -H 'Content-Type: application/json')
[ "${code%% *}" = 415 ] && pass "JSON post: 415" || fail "JSON post: $code"
head -c 70000 /dev/zero | tr '\0' a >"$IT_WORK/big"
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -b "$JAR" --data-binary @"$IT_WORK/big" \
    "$UI/org/$CSRF_ORG/verify")
[ "$code" = 413 ] && pass "70 KB form: 413" || fail "big form: $code"
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -b "$JAR" "$UI/search?q=%zz")
[ "$code" = 400 ] && pass "bad query string: 400" || fail "bad query: $code"
for p in /org/0 /org/99999 /org/1x "/org/$CSRF_ORG/../1" /nothing; do
	code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -b "$JAR" --path-as-is "$UI$p")
	[ "$code" = 404 ] && pass "GET $p: 404" || fail "GET $p: $code"
done
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -b "$JAR" -X DELETE "$UI/")
[ "$code" = 405 ] && pass "DELETE: 405" || fail "DELETE: $code"
unchanged "malformed posts: org show unchanged"

# the control: the same post with the token does change it (the checks above can fail)
code=$(post "/org/$CSRF_ORG/verify" "note=checked&csrf=$CSRF" -b "$JAR" \
    -H "Origin: $UI" -H 'Sec-Fetch-Site: same-origin')
if [ "$code" = "303 $UI/org/$CSRF_ORG" ] && [ "$(review org show "$CSRF_ORG")" != "$before" ]; then
	pass "the same post with the token verifies (control)"
else
	fail "control post: $code"
fi
TOKEN=$(awk '$6 == "kk_session" { print $7 }' "$JAR")
code=$(post /logout "csrf=$CSRF" -b "$JAR")
[ "$code" = "303 $UI/login" ] && pass "logout" || fail "logout: $code"
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -H "Cookie: kk_session=$TOKEN" "$UI/")
[ "$code" = 303 ] && pass "the ended session no longer works" || fail "after logout: $code"
"${CURL[@]}" -o /dev/null "$IT_DIRURL" && pass "ACME listener still answers" ||
    fail "ACME listener"

kakuin_check
[ "$IT_FAILED" -eq 0 ]
