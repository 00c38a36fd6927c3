#!/usr/bin/env bash
# Install every Debian package kakuin needs to build, run and test.
# Usage: scripts/deps.sh [--bench]
# --bench also installs what the benchmarks in bench/ use (docs/performance.md).
# Idempotent: a machine that already has them all never touches apt.
# Works as root without a terminal (CI); uses sudo only when not root.
set -euo pipefail

BUILD_DEPS=(build-essential cmake pkg-config libssl-dev libp11-dev softhsm2
	libmicrohttpd-dev libjansson-dev libcjose-dev libcurl4-openssl-dev
	libldns-dev libsqlite3-dev libcmocka-dev libpsl-dev)
# pkcs11-tool (opensc) is not used by kakuin itself; operators use it to
# inspect the SoftHSM token.
# publicsuffix: the newest Public Suffix List for libpsl (registrable domains of
# orders held for review, issue #4).
# procps: pgrep, with which scripts/run sees a weak-key generation already running.
RUN_DEPS=(sqlite3 opensc publicsuffix procps)
TEST_DEPS=(certbot lego dnsmasq-base python3 python3-cryptography
	python3-requests python3-josepy openssl curl)
# DNS validation tests (issue #3): Knot (authoritative, RFC 2136 updates,
# online DNSSEC signing) behind unbound (validating resolver), kdig/knsupdate
# (knot-dnsutils), certbot's and the Python client's RFC 2136 updates.
# iproute2: ss, which checks what the daemons listen on.
TEST_DEPS+=(knot knot-dnsutils unbound python3-certbot-dns-rfc2136
	python3-dnspython iproute2)
# The reviewer web UI test (issue #4) drives headless Chromium with puppeteer-core,
# installed by npm from tests/integration/ui/package-lock.json. Debian's nodejs comes
# without npm (a package of its own); a nodejs that bundles npm must not get Debian's.
TEST_DEPS+=(chromium nodejs)
command -v npm >/dev/null 2>&1 || TEST_DEPS+=(npm)
# Fuzzing (tests/fuzz/, part of scripts/test): clang-14 with its sanitizer and libFuzzer
# runtimes (libclang-rt-14-dev is only a recommendation of clang-14, which this script
# does not install), libFuzzer itself, and llvm-symbolizer (llvm-14) for readable reports.
TEST_DEPS+=(clang-14 libclang-rt-14-dev libfuzzer-14-dev llvm-14)

# Benchmarks (issue #7), only with --bench: wrk (HTTP load), nginx-light (the static
# file ceiling for OCSP GET), gnuplot-nox (plots), linux-perf (perf record on the server).
BENCH_DEPS=(wrk nginx-light gnuplot-nox linux-perf)
WANT=("${BUILD_DEPS[@]}" "${RUN_DEPS[@]}" "${TEST_DEPS[@]}")
case "${1:-}" in
"") ;;
--bench) WANT+=("${BENCH_DEPS[@]}") ;;
*) echo "usage: $0 [--bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${WANT[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all packages present"
	exit 0
fi

echo "deps: installing ${missing[*]}"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# knot and unbound ship system services whose postinst starts them (on the
# default port 53, and unbound's start-up would fetch the root trust anchor).
# The tests run their own private instances on high ports, so the system
# services must not start: while apt runs, a policy-rc.d that exits 101
# ("action forbidden") makes invoke-rc.d skip them; so does nginx's (bench/ocsp.sh
# starts its own on a free port). A policy-rc.d already
# there (Docker images ship one) is left alone.
POLICY_RC=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY_RC" ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY_RC" >/dev/null
	$SUDO chmod 755 "$POLICY_RC"
	trap '$SUDO rm -f "$POLICY_RC"' EXIT
fi
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	--no-install-recommends -o Dpkg::Options::=--force-confdef \
	-o Dpkg::Options::=--force-confold "${missing[@]}" </dev/null
