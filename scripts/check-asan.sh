#!/bin/bash
# The whole test suite against a sanitizer build (make check-asan builds it):
#
#   scripts/check-asan.sh BUILD_DIR      e.g. build-asan
#
# BUILD_DIR holds pocket-docker and the unit tests built with SAN=1
# (-fsanitize=address,undefined).  Every sanitizer report is written to
# BUILD_DIR/san-logs/ (ASAN_OPTIONS / UBSAN_OPTIONS log_path) and counts as
# one failure, whatever the exit status of the process that made it; leaks
# too (PD_ASAN_LEAKS=0 turns that off).  The fuzzing pass is skipped here:
# the harnesses are sanitized builds already.
# Ends with the suite's "N passed, N failed, N skipped" line, reports
# included.
set -u
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
build=${1:-build-asan}
case $build in /*) abs=$build ;; *) abs=$repo/$build ;; esac
if [ ! -x "$abs/pocket-docker" ]; then
	echo "check-asan: no sanitizer build in $abs (run: make check-asan)" >&2
	exit 2
fi
logs=$abs/san-logs
rm -rf "$logs"
mkdir -p "$logs"
# Rootless tests run the binary as another user: it must write here too.
chmod 1777 "$logs"
export ASAN_OPTIONS="detect_leaks=${PD_ASAN_LEAKS:-1}:log_path=$logs/asan:print_summary=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan"
out=$(mktemp /tmp/pd-check-asan.XXXXXX)
start=$(date +%s)
PD=$abs/pocket-docker BUILD=$build PD_FUZZ_SECONDS=0 bash tests/run-all.sh 2>&1 | tee "$out"
totals=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
rm -f "$out"
passed=$(echo "$totals" | awk '{print $1}')
failed=$(echo "$totals" | awk '{print $3}')
skipped=$(echo "$totals" | awk '{print $5}')
[ -n "$passed" ] || { passed=0; failed=1; skipped=0; echo "FAIL check-asan: the suite printed no totals"; }
shopt -s nullglob
reports=("$logs"/*)
if [ ${#reports[@]} -eq 0 ]; then
	echo "PASS sanitizers: no ASan or UBSan report"
	passed=$((passed + 1))
else
	for r in "${reports[@]}"; do
		echo "FAIL sanitizers: $(basename "$r"): $(grep -m1 -E 'ERROR|runtime error' "$r")"
		head -n 30 "$r" | sed 's/^/    | /'
		failed=$((failed + 1))
	done
fi
echo "== check-asan took $(($(date +%s) - start))s"
echo "$passed passed, $failed failed, ${skipped:-0} skipped"
[ "$failed" -eq 0 ]
