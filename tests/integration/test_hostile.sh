#!/usr/bin/env bash
# Hostile input (acme_hostile.py): a seeded, bounded stream of malformed and
# nonsensical requests; each gets a 4xx problem document, the server (ASan
# build in scripts/test) keeps serving and the store stays consistent.
# kakuin only. Usage: test_hostile.sh BUILD_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ "${KAKUIN_IT_SERVER:-kakuin}" != kakuin ]; then
	echo "SKIP: test_hostile.sh checks kakuin's own behaviour"
	exit 0
fi
it_init "${1:-}"
start_dns
start_server
run_client acme_hostile.py --kakuin "$IT_KAKUIN" --data-dir "$IT_DATA"
kakuin_check
[ "$IT_FAILED" -eq 0 ]
