#!/usr/bin/env bash
# ctest's fuzz_<target> (tests/fuzz/CMakeLists.txt): runs the regression inputs of
# tests/fuzz/regressions/<target>/ once each, then fuzzes a copy of the seed corpus
# tests/fuzz/corpus/<target>/ in a temporary directory (the source tree is never
# written) for KAKUIN_FUZZ_SECONDS seconds (default 30). Fails on any crash, sanitizer
# report, leak, timeout (10 s an input) or out-of-memory, printing the report and the
# offending input in base64. Prints libFuzzer's executions count either way.
# Usage: run.sh FUZZER_EXECUTABLE TARGET
set -euo pipefail

exe=$1
target=$2
src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
secs=${KAKUIN_FUZZ_SECONDS:-30}
case "$secs" in
'' | *[!0-9]*) echo "fuzz_$target: KAKUIN_FUZZ_SECONDS=$secs is not a number" >&2; exit 2 ;;
esac

tmp=$(mktemp -d /tmp/kk_fuzzrun_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/corpus" "$tmp/artifacts"
cp "$src/corpus/$target/"* "$tmp/corpus/"
# Sanitizer settings of our own: scripts/test's are for the gcc build.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$src/lsan.supp:print_suppressions=0"
dict=()
[ -f "$src/$target.dict" ] && dict=("-dict=$src/$target.dict")

# The artifacts of a failed run: the report's tail and each input, in base64.
failed() {
	echo "fuzz_$target: FAILED ($1)" >&2
	tail -n 60 "$2" >&2
	for a in "$tmp/artifacts/"*; do
		[ -e "$a" ] || continue
		echo "--- $(basename "$a") (base64):" >&2
		base64 -w 76 "$a" >&2
	done
	exit 1
}

regs=()
if [ -d "$src/regressions/$target" ]; then
	for f in "$src/regressions/$target/"*; do
		[ -f "$f" ] && regs+=("$f")
	done
fi
if [ ${#regs[@]} -gt 0 ]; then
	if ! "$exe" -timeout=10 -rss_limit_mb=2048 "${regs[@]}" >"$tmp/regressions.log" 2>&1; then
		failed "a regression input fails again" "$tmp/regressions.log"
	fi
	echo "fuzz_$target: ${#regs[@]} regression inputs pass"
fi

rc=0
"$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$tmp/artifacts/" "${dict[@]}" "$tmp/corpus" >"$tmp/fuzz.log" 2>&1 || rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/fuzz.log")
cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$tmp/fuzz.log" | tail -n 1 || true)
[ "$rc" -eq 0 ] || failed "libFuzzer exit status $rc after ${execs:-?} executions" "$tmp/fuzz.log"
[ -n "$execs" ] || failed "no executions count in libFuzzer's output" "$tmp/fuzz.log"
echo "fuzz_$target: stat::number_of_executed_units: $execs"
echo "fuzz_$target: total executions $execs in ${secs} s, $cov, no crash"
