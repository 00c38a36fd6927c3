# DNS layer for the DNS validation tests (issue #3); sourced after lib.sh:
#
#   source "$(dirname "$0")/lib.sh"; source "$(dirname "$0")/dns_lib.sh"
#   it_init "${1:-}"; start_authdns; start_resolver; start_server
#
# Makes real the "How it is tested" layout of docs/dns-validation.md, on
# 127.0.0.1 only (scripts/dns-sandbox runs the same for a try-out):
#   knotd    authoritative, RFC 2136 updates signed with TSIG key
#            kakuin-test (hmac-sha256), online DNSSEC signing (ECDSA P-256)
#   unbound  validating resolver in front of it: stub zones to Knot, the
#            trust anchors below, no root anchor, no cache, EDE on
# Zones on Knot (every one updatable with the key):
#   jp.                          unsigned parent, a TLD in the PSL's ICANN
#                                section (the lint and newOrder refuse
#                                reserved TLDs such as test., BR 4.2.2);
#                                CAA climbing (RFC 8659 3) ends here
#   secure.jp.                   signed; unbound trusts its KSK -> AD=1
#   insecure.jp.                 unsigned, no anchor -> NOERROR, AD=0
#   bogus.jp.                    signed; unbound's anchor is another key
#                                -> SERVFAIL
#   _acme-challenge.x.broken.jp. served; broken.jp. is configured in
#                                Knot without a zone file, so Knot answers
#                                SERVFAIL for it -> CAA x.broken.jp
#                                SERVFAILs while the dns-01 TXT resolves
# Ports are free ones the kernel picks, or IT_KNOT_PORT_WANT /
# IT_UNBOUND_PORT_WANT when those are free.
# Variables set: IT_KNOT_PORT IT_UNBOUND_PORT IT_TSIG_SECRET (exported),
# IT_RESOLVER_PORT (= IT_UNBOUND_PORT; start_server hands it to the ACME
# server) and IT_DNS (the private dir: configs, zones, keys, logs).
# Both daemons are in IT_PIDS, so lib.sh's EXIT trap stops them; on failure
# it shows the tails of knot.log and unbound.log.

IT_TSIG_NAME=kakuin-test
IT_DNS_ZONES=(jp. secure.jp. insecure.jp. bogus.jp.
	_acme-challenge.x.broken.jp.)

# kdig_r ARGS...: kdig through the resolver (unbound), DNSSEC OK bit set.
kdig_r() {
	kdig @127.0.0.1 -p "$IT_UNBOUND_PORT" +dnssec +timeout=3 +retry=0 "$@"
}

# kdig_a ARGS...: kdig straight to Knot.
kdig_a() {
	kdig @127.0.0.1 -p "$IT_KNOT_PORT" +timeout=2 +retry=0 "$@"
}

# knot_zones: one zone file per zone. TTLs 1 s and SOA minimum 0, so no
# resolver keeps an answer (unbound caches nothing anyway). jp. delegates
# its children to ns.jp. (Knot itself).
knot_zones() {
	local z f
	for z in "${IT_DNS_ZONES[@]}"; do
		f=$IT_DNS/zones/${z}zone
		{
			echo "\$ORIGIN $z"
			echo "\$TTL 1"
			echo "@ SOA ns.jp. hostmaster.jp. 1 60 60 3600 0"
			echo "@ NS ns.jp."
		} >"$f"
	done
	{
		echo "ns A 127.0.0.1"
		for z in secure insecure bogus broken; do
			echo "$z NS ns.jp."
		done
	} >>"$IT_DNS/zones/test.zone"
}

# knot_conf: the private knotd configuration (rundir, databases and zone
# files under IT_DNS; the TSIG key; one listen address).
knot_conf() {
	local z
	cat >"$IT_DNS/knot.conf" <<-EOF
	server:
	    rundir: "$IT_DNS/run"
	    listen: 127.0.0.1@$IT_KNOT_PORT
	    identity: kakuin-it
	log:
	  - target: stdout
	    any: info
	database:
	    storage: "$IT_DNS/db"
	key:
	  - id: $IT_TSIG_NAME
	    algorithm: hmac-sha256
	    secret: $IT_TSIG_SECRET
	acl:
	  - id: tsig_update
	    address: 127.0.0.1
	    key: $IT_TSIG_NAME
	    action: update
	policy:
	  - id: p256
	    algorithm: ecdsap256sha256
	    ksk-lifetime: 0
	    zsk-lifetime: 0
	    nsec3: off
	template:
	  - id: default
	    storage: "$IT_DNS/zones"
	    file: "%s.zone"
	    zonefile-sync: -1
	    journal-content: changes
	    acl: tsig_update
	  - id: signed
	    storage: "$IT_DNS/zones"
	    file: "%s.zone"
	    zonefile-sync: -1
	    journal-content: changes
	    acl: tsig_update
	    dnssec-signing: on
	    dnssec-policy: p256
	zone:
	EOF
	for z in "${IT_DNS_ZONES[@]}"; do
		echo "  - domain: $z"
		case $z in
		secure.jp. | bogus.jp.) echo "    template: signed" ;;
		esac
	done >>"$IT_DNS/knot.conf"
	# broken.jp.: its zone file never exists, so the zone never loads and
	# Knot answers SERVFAIL for every name in it not covered by a more
	# specific zone. (A referral from jp. or NXDOMAIN would not do: unbound
	# turns those into NOERROR/NXDOMAIN, and a REFUSED would need a second
	# server, as Knot here is authoritative for the parent jp.) The load
	# error in knot.log is expected.
	cat >>"$IT_DNS/knot.conf" <<-EOF
	  - domain: broken.jp.
	    file: "$IT_DNS/zones/broken.jp.absent"
	EOF
}

# start_authdns: knotd in the foreground on 127.0.0.1:IT_KNOT_PORT; returns
# once the signed zones answer their DNSKEY RRsets (signed at load).
start_authdns() {
	local i z ok
	IT_DNS=$IT_WORK/dns
	mkdir -p "$IT_DNS/run" "$IT_DNS/db" "$IT_DNS/zones"
	IT_KNOT_PORT=$(free_port "${IT_KNOT_PORT_WANT:-0}")
	IT_TSIG_SECRET=$(openssl rand -base64 32)
	export IT_TSIG_SECRET IT_KNOT_PORT
	knot_zones
	knot_conf
	knotc -c "$IT_DNS/knot.conf" conf-check >"$IT_DNS/conf-check.log" 2>&1 ||
	    { cat "$IT_DNS/conf-check.log"; die "knot.conf does not check"; }
	knotd -c "$IT_DNS/knot.conf" >"$IT_WORK/knot.log" 2>&1 &
	IT_PIDS+=($!)
	for i in $(seq 100); do
		ok=1
		for z in secure.jp bogus.jp; do
			grep -q '^257 3 13 ' <<<"$(kdig_a +short "$z" DNSKEY 2>/dev/null)" ||
			    ok=0
		done
		for z in jp insecure.jp _acme-challenge.x.broken.jp; do
			grep -q hostmaster <<<"$(kdig_a +short "$z" SOA 2>/dev/null)" || ok=0
		done
		[ "$ok" = 1 ] && break
		kill -0 "${IT_PIDS[-1]}" 2>/dev/null || die "knotd exited"
		sleep 0.1
	done
	[ "$ok" = 1 ] || die "knotd did not serve the signed zones within 10 s"
	dns_listens_local "${IT_PIDS[-1]}" "$IT_KNOT_PORT" knotd
	info "knotd on 127.0.0.1:$IT_KNOT_PORT (zones ${IT_DNS_ZONES[*]})"
}

# dns_listens_local PID PORT NAME: every socket PID listens on is
# 127.0.0.1:PORT (UDP and TCP both there).
dns_listens_local() {
	local pid=$1 port=$2 name=$3 socks bad
	socks=$(ss -H -lnptu 2>/dev/null | grep "pid=$pid,") ||
	    die "$name (pid $pid) has no listening socket"
	bad=$(echo "$socks" | awk -v want="127.0.0.1:$port" '$5 != want')
	[ -z "$bad" ] || { echo "$bad"; die "$name listens beyond 127.0.0.1:$port"; }
	grep -q '^udp' <<<"$socks" && grep -q '^tcp' <<<"$socks" ||
	    die "$name does not listen on both UDP and TCP $port"
}

# dns_ksk ZONE: ZONE's KSK (flags 257) as "257 3 13 BASE64", from Knot.
dns_ksk() {
	kdig_a +short "$1" DNSKEY | awk '$1 == 257 { $1 = $1; print; exit }'
}

# unbound_conf: the private unbound configuration. No root anchor and a
# root stub at Knot (which refuses it), so nothing leaves 127.0.0.1.
unbound_conf() {
	local secure_ksk=$1 bogus_anchor=$2 z
	cat >"$IT_DNS/unbound.conf" <<-EOF
	server:
	    verbosity: 1
	    interface: 127.0.0.1@$IT_UNBOUND_PORT
	    port: $IT_UNBOUND_PORT
	    do-ip6: no
	    access-control: 127.0.0.0/8 allow
	    do-not-query-localhost: no
	    username: ""
	    chroot: ""
	    directory: "$IT_DNS"
	    pidfile: "$IT_DNS/unbound.pid"
	    logfile: "$IT_WORK/unbound.log"
	    use-syslog: no
	    log-servfail: yes
	    do-daemonize: no
	    module-config: "validator iterator"
	    cache-max-ttl: 0
	    cache-max-negative-ttl: 0
	    val-bogus-ttl: 0
	    infra-host-ttl: 1
	    infra-keep-probing: yes
	    prefetch: no
	    qname-minimisation: no
	    aggressive-nsec: no
	    ede: yes
	    val-log-level: 2
	    trust-anchor: "secure.jp. DNSKEY $secure_ksk"
	    trust-anchor: "bogus.jp. DNSKEY $bogus_anchor"
	stub-zone:
	    name: "."
	    stub-addr: 127.0.0.1@$IT_KNOT_PORT
	    stub-prime: no
	EOF
	for z in jp. secure.jp. insecure.jp. bogus.jp. broken.jp. \
	    _acme-challenge.x.broken.jp.; do
		printf 'stub-zone:\n    name: "%s"\n    stub-addr: 127.0.0.1@%s\n    stub-prime: no\n    stub-no-cache: yes\n' \
		    "$z" "$IT_KNOT_PORT"
	done >>"$IT_DNS/unbound.conf"
}

# start_resolver: unbound in the foreground on 127.0.0.1:IT_UNBOUND_PORT
# (needs start_authdns). Trust anchors: secure.jp.'s real KSK; for
# bogus.jp. secure.jp.'s KSK again, which cannot verify bogus.jp.'s
# DNSKEY RRset. Then checks the layout answers as the spec says.
start_resolver() {
	local i ksk
	IT_UNBOUND_PORT=$(free_port "${IT_UNBOUND_PORT_WANT:-0}")
	export IT_UNBOUND_PORT
	IT_RESOLVER_PORT=$IT_UNBOUND_PORT
	ksk=$(dns_ksk secure.jp)
	[ -n "$ksk" ] || die "no KSK for secure.jp from Knot"
	[ "$ksk" != "$(dns_ksk bogus.jp)" ] || die "bogus.jp has secure.jp's key"
	unbound_conf "$ksk" "$ksk"
	unbound-checkconf "$IT_DNS/unbound.conf" >"$IT_DNS/checkconf.log" 2>&1 ||
	    { cat "$IT_DNS/checkconf.log"; die "unbound.conf does not check"; }
	unbound -d -c "$IT_DNS/unbound.conf" >>"$IT_WORK/unbound.log" 2>&1 &
	IT_PIDS+=($!)
	for i in $(seq 100); do
		grep -q hostmaster <<<"$(kdig_r +short jp SOA 2>/dev/null)" && break
		kill -0 "${IT_PIDS[-1]}" 2>/dev/null || die "unbound exited"
		sleep 0.1
	done
	grep -q hostmaster <<<"$(kdig_r +short jp SOA 2>/dev/null)" ||
	    die "unbound did not answer on 127.0.0.1:$IT_UNBOUND_PORT"
	dns_listens_local "${IT_PIDS[-1]}" "$IT_UNBOUND_PORT" unbound
	info "unbound on 127.0.0.1:$IT_UNBOUND_PORT"
	dns_selfcheck
}

# dns_update ZONE CMD...: one RFC 2136 update of ZONE at Knot, signed with
# the TSIG key; each CMD is a knsupdate line, e.g.
#   dns_update insecure.jp "add _acme-challenge.a.insecure.jp. 0 TXT \"abc\""
#   dns_update insecure.jp "del _acme-challenge.a.insecure.jp. TXT"
dns_update() {
	local zone=$1 cmd
	shift
	{
		echo "server 127.0.0.1 $IT_KNOT_PORT"
		echo "key hmac-sha256:$IT_TSIG_NAME:$IT_TSIG_SECRET"
		echo "zone $zone"
		echo "origin $zone"
		for cmd in "$@"; do
			echo "$cmd"
		done
		echo "send"
		echo "answer"
	} | knsupdate -t 5 >"$IT_DNS/update.log" 2>&1 || {
		cat "$IT_DNS/update.log"
		return 1
	}
	grep -q 'status: NOERROR' "$IT_DNS/update.log" ||
	    { cat "$IT_DNS/update.log"; return 1; }
}

# dns_expect LABEL PATTERN KDIG_ARGS...: kdig through unbound; PASS if the
# answer matches the extended regex PATTERN.
dns_expect() {
	local label=$1 pat=$2 out
	shift 2
	out=$(kdig_r "$@" 2>&1)
	if grep -E -q "$pat" <<<"$out"; then
		pass "dns layout: $label"
	else
		echo "$out" | sed 's/^/  /'
		fail "dns layout: $label"
		return 1
	fi
}

# dns_ad ARGS...: succeeds if the resolver's answer has the AD flag.
dns_ad() {
	kdig_r "$@" 2>/dev/null | grep -E -q '^;; Flags:.* ad( |;|$)'
}

# dns_selfcheck: the layout answers through unbound as the spec says, or
# the test stops here (every DNS test depends on it).
dns_selfcheck() {
	local rc=0 v=_acme-challenge.x.broken.jp. s=_selfcheck.secure.jp. txt
	txt="selfcheck-$RANDOM"
	dns_expect "SOA secure.jp: NOERROR" 'status: NOERROR' secure.jp SOA || rc=1
	if dns_ad secure.jp SOA; then
		pass "dns layout: SOA secure.jp has AD"
	else
		rc=1
		fail "dns layout: SOA secure.jp has no AD"
	fi
	dns_expect "SOA insecure.jp: NOERROR" 'status: NOERROR' insecure.jp SOA || rc=1
	if dns_ad insecure.jp SOA; then
		rc=1
		fail "dns layout: SOA insecure.jp has AD"
	else
		pass "dns layout: SOA insecure.jp without AD"
	fi
	dns_expect "SOA bogus.jp: SERVFAIL" 'status: SERVFAIL' bogus.jp SOA || rc=1
	dns_expect "CAA x.broken.jp: SERVFAIL" 'status: SERVFAIL' x.broken.jp CAA || rc=1
	dns_update _acme-challenge.x.broken.jp "add $v 1 TXT \"$txt\"" ||
	    { rc=1; fail "dns layout: update of $v"; }
	dns_expect "TXT $v answers after an update" "\"$txt\"" "$v" TXT || rc=1
	dns_update _acme-challenge.x.broken.jp "del $v TXT" ||
	    { rc=1; fail "dns layout: delete in $v"; }
	if grep -q "\"$txt\"" <<<"$(kdig_r "$v" TXT 2>&1)"; then
		rc=1
		fail "dns layout: TXT $v still answers after the delete"
	else
		pass "dns layout: TXT $v gone after the delete"
	fi
	# Knot signs dynamic updates of secure.jp at once.
	dns_update secure.jp "add $s 1 TXT \"$txt\"" ||
	    { rc=1; fail "dns layout: update of $s"; }
	if dns_ad "$s" TXT && grep -q "\"$txt\"" <<<"$(kdig_r "$s" TXT)"; then
		pass "dns layout: TXT $s answers, signed (AD), after an update"
	else
		kdig_r "$s" TXT | sed 's/^/  /'
		rc=1
		fail "dns layout: TXT $s not answered with AD after an update"
	fi
	dns_update secure.jp "del $s TXT" || { rc=1; fail "dns layout: delete in $s"; }
	[ "$rc" = 0 ] || die "the test DNS layout is not as the spec says"
}
