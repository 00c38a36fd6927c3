#!/usr/bin/env bash
# Error paths over raw ACME (acme_negative.py): bad nonces, a failed
# http-01 validation, bad CSRs, an oversized body, bad JWS; the server
# keeps answering and its store stays consistent after each.
# Usage: test_negative.sh BUILD_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "${1:-}"
start_dns
start_server

run_client acme_negative.py --server "$IT_SERVER" \
    --kakuin "$IT_KAKUIN" --data-dir "$IT_DATA"
kakuin_check
[ "$IT_FAILED" -eq 0 ]
