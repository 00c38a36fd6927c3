#!/usr/bin/env bash
# Signatures per second (issue #7 item 5, docs/performance.md), in one run:
# kakuin's signer (kk_signer_sign, issuing CA key in SoftHSM) against raw libp11 on the
# same key, 1 and 2 threads (kakuin-bench-signer), and `openssl speed rsa2048` on the
# CPU as the physical limit (RSA-2048 sign/s, one core and both).
# Usage: bench/signer.sh [BUILD_DIR]
# Env: SECONDS_EACH (3), ROUNDS (3), BENCH_KEEP=1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ -x "$BENCH_BUILD/kakuin-bench-signer" ] || die "build kakuin-bench-signer first"
echo "bench/signer.sh: $(machine)"
"$KAKUIN" init --data-dir "$BENCH_WORK/data" >"$BENCH_WORK/init.log" 2>&1 || die "kakuin init"
"$BENCH_BUILD/kakuin-bench-signer" --data-dir "$BENCH_WORK/data" \
    --seconds "${SECONDS_EACH:-3}" --rounds "${ROUNDS:-3}" 2>"$BENCH_WORK/signer.log" ||
    die "kakuin-bench-signer: $(tail -3 "$BENCH_WORK/signer.log")"
for m in 1 2; do
	multi=()
	[ "$m" -eq 1 ] || multi=(-multi "$m")
	openssl speed -seconds 3 "${multi[@]}" rsa2048 2>/dev/null |
	    awk -v m="$m" '$1 == "rsa" && $2 == "2048" {
	        printf "openssl speed rsa2048, %d process(es): %s sign/s\n", m, $6 }'
done
