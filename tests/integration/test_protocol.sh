#!/usr/bin/env bash
# RFC 8555 section 7 over raw ACME (acme_protocol.py): directory and nonces,
# accounts (create, find, update, keyChange, deactivate), the orders list,
# newOrder identifier rules, authorizations (shape, deactivation, reuse),
# methods and media types, finalize before ready, and `kakuin org set` on
# the live store reaching the next certificate's subject; the store stays
# consistent. kakuin only. Usage: test_protocol.sh BUILD_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ "${KAKUIN_IT_SERVER:-kakuin}" != kakuin ]; then
	echo "SKIP: test_protocol.sh checks kakuin's own behaviour (org set, kakuin check)"
	exit 0
fi
it_init "${1:-}"
start_dns
start_server

run_client acme_protocol.py --kakuin "$IT_KAKUIN" --data-dir "$IT_DATA"
kakuin_check
[ "$IT_FAILED" -eq 0 ]
