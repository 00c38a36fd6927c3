#!/usr/bin/env bash
# Install every Debian package kakuin needs to build, run and test.
# Idempotent: a machine that already has them all never touches apt.
# Works as root without a terminal (CI); uses sudo only when not root.
set -euo pipefail

BUILD_DEPS=(build-essential cmake pkg-config libssl-dev libp11-dev softhsm2
	libmicrohttpd-dev libjansson-dev libcjose-dev libcurl4-openssl-dev
	libldns-dev libsqlite3-dev libcmocka-dev)
# pkcs11-tool (opensc) is not used by kakuin itself; operators use it to
# inspect the SoftHSM token.
RUN_DEPS=(sqlite3 opensc)
TEST_DEPS=(certbot lego dnsmasq-base python3 python3-cryptography
	python3-requests python3-josepy openssl curl)

missing=()
for p in "${BUILD_DEPS[@]}" "${RUN_DEPS[@]}" "${TEST_DEPS[@]}"; do
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
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	--no-install-recommends -o Dpkg::Options::=--force-confdef \
	-o Dpkg::Options::=--force-confold "${missing[@]}" </dev/null
