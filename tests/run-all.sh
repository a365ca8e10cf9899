#!/bin/bash
# Run every test: the unit test binaries (build/tests/test_*, cmocka), then
# the fixtures are built once, then every integration test file
# (tests/integration/t_*.sh).  Ends with one line
#   N passed, N failed, N skipped
# and exits non-zero when anything failed.  Needs no terminal; the
# integration tests need root (they are skipped, visibly, without it).
# Before them the unprivileged test users are made (pdtest with an
# /etc/subuid range, pdtest-nosub without; see make_test_users in lib.sh).
#
# Environment: PD_FIXTURES (default build/fixtures), PD_TESTS (a
# space-separated list of integration files to run, e.g. "t_run t_volumes";
# default all; the word "fuzz" selects the fuzzing pass, which otherwise runs
# only with the whole suite), PD_FUZZ_SECONDS (per harness, default 5; 0
# skips), and lib.sh's PD, PD_TEST_TIMEOUT, PD_CMD_TIMEOUT.
set -u

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
build=${BUILD:-build}
case $build in /*) build_abs=$build ;; *) build_abs=$repo/$build ;; esac
fixtures=${PD_FIXTURES:-$build_abs/fixtures}
export PD_FIXTURES=$fixtures
export PD=${PD:-$repo/pocket-docker}
passed=0
failed=0
skipped=0
start=$(date +%s)

note() { echo "== $*"; }

count_line() {
	case $1 in
	PASS*) passed=$((passed + 1)) ;;
	FAIL*) failed=$((failed + 1)) ;;
	SKIP*) skipped=$((skipped + 1)) ;;
	esac
}

# --- unit tests (cmocka, TAP output) ------------------------------------------
note "unit tests"
shopt -s nullglob
unit_bins=("$build"/tests/test_*)
shopt -u nullglob
if [ ${#unit_bins[@]} -eq 0 ]; then
	echo "(no unit test binaries in $build/tests)"
fi
for bin in "${unit_bins[@]}"; do
	[ -x "$bin" ] && [ -f "$bin" ] || continue
	case $bin in *.d | *.o) continue ;; esac
	out=$(CMOCKA_MESSAGE_OUTPUT=TAP timeout -k 5 120 "$bin" </dev/null 2>&1)
	rc=$?
	# TAP: "ok N - name", "not ok N - name"; cmocka reports a skipped
	# test as "not ok N # SKIP name".
	skip=$(printf '%s\n' "$out" | grep -Eic '^(not )?ok [0-9]+.*# *skip')
	ok=$(printf '%s\n' "$out" | grep -E '^ok [0-9]+' | grep -Eicv '# *skip')
	notok=$(printf '%s\n' "$out" | grep -E '^not ok [0-9]+' | grep -Eicv '# *skip')
	passed=$((passed + ok))
	skipped=$((skipped + skip))
	failed=$((failed + notok))
	if [ "$rc" -ne 0 ] && [ "$notok" -eq 0 ]; then
		# Crashed or failed outside any test case.
		failed=$((failed + 1))
		echo "FAIL $(basename "$bin"): exited $rc with no failing test reported"
		printf '%s\n' "$out" | tail -n 30 | sed 's/^/    | /'
	elif [ "$notok" -gt 0 ]; then
		echo "FAIL $(basename "$bin"): $notok failing"
		printf '%s\n' "$out" | sed 's/^/    | /'
	else
		echo "PASS $(basename "$bin"): $ok passed, $skip skipped"
	fi
done

# --- fuzzing: a short pass -----------------------------------------------------
# Every libFuzzer harness (tests/fuzz/run.sh) for PD_FUZZ_SECONDS (default 5)
# each; `make fuzz` runs the long one.  Runs with the whole suite, or when
# PD_TESTS names "fuzz"; PD_FUZZ_SECONDS=0 skips it.
fuzz_secs=${PD_FUZZ_SECONDS:-5}
case " ${PD_TESTS:-fuzz} " in
*" fuzz "*)
	note "fuzz (short pass, ${fuzz_secs}s per harness)"
	if [ "$fuzz_secs" = 0 ]; then
		echo "SKIP fuzz: PD_FUZZ_SECONDS=0"
		skipped=$((skipped + 1))
	else
		fuzz_log=$(mktemp /tmp/pd-run-all-fuzz.XXXXXX)
		BUILD=$build bash tests/fuzz/run.sh "$fuzz_secs" </dev/null >"$fuzz_log" 2>&1
		rc=$?
		if [ "$rc" -eq 2 ]; then
			echo "SKIP fuzz: $(tail -n 1 "$fuzz_log")"
			skipped=$((skipped + 1))
		else
			before=$failed
			grep -E '^(PASS|FAIL|SKIP) |^    \|' "$fuzz_log"
			while IFS= read -r line; do
				count_line "$line"
			done <"$fuzz_log"
			if [ "$rc" -ne 0 ] && [ "$failed" -eq "$before" ]; then
				echo "FAIL fuzz: tests/fuzz/run.sh exited $rc"
				tail -n 20 "$fuzz_log" | sed 's/^/    | /'
				failed=$((failed + 1))
			fi
		fi
		rm -f "$fuzz_log"
	fi
	;;
esac

# --- fixtures -----------------------------------------------------------------
note "fixtures in $fixtures"
if [ "$(id -u)" -eq 0 ]; then
	if ! bash tests/fixtures/mk-busybox.sh "$fixtures"; then
		echo "FAIL fixtures.busybox: tests/fixtures/mk-busybox.sh failed"
		failed=$((failed + 1))
	fi
	if ! bash tests/fixtures/mk-python.sh "$fixtures"; then
		# The Python tests then skip, saying why.
		echo "FAIL fixtures.python: tests/fixtures/mk-python.sh failed"
		failed=$((failed + 1))
	fi
	if ! bash tests/fixtures/mk-gcc.sh "$fixtures"; then
		# The multi-stage C build test then skips, saying why.
		echo "FAIL fixtures.gcc: tests/fixtures/mk-gcc.sh failed"
		failed=$((failed + 1))
	fi
	if [ -x "$fixtures/busybox-rootfs/bin/busybox" ]; then
		# A smoke build of the hostile tarballs (each test builds its own,
		# named with its own tag).
		if python3 tests/fixtures/mk-hostile.py "$fixtures/hostile" check "$fixtures/busybox-rootfs"; then
			echo "PASS fixtures.hostile"
			passed=$((passed + 1))
		else
			echo "FAIL fixtures.hostile: tests/fixtures/mk-hostile.py failed"
			failed=$((failed + 1))
		fi
	fi
fi

# --- integration tests --------------------------------------------------------
note "integration tests"
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP integration: needs root (run as root or with sudo)"
	skipped=$((skipped + 1))
elif [ ! -x "$PD" ]; then
	echo "FAIL integration: no binary at $PD (run: make pocket-docker)"
	failed=$((failed + 1))
else
	# The unprivileged test users, before any test file: the rootless
	# tests of every file then run (none skips for want of a user that a
	# later file would have made).
	if why=$(bash -c 'source tests/integration/lib.sh && make_test_users' 2>&1); then
		echo "PASS setup.test_users"
		passed=$((passed + 1))
	else
		echo "FAIL setup.test_users: $why"
		failed=$((failed + 1))
	fi
	fixture_before=""
	[ -d "$fixtures/busybox-rootfs" ] && fixture_before=$(cd "$fixtures/busybox-rootfs" && find . -printf '%p %y %m %U:%G %s %l\n' | LC_ALL=C sort)
	if [ -n "${PD_TESTS:-}" ]; then
		files=()
		for t in $PD_TESTS; do
			[ "$t" = fuzz ] || files+=("tests/integration/${t%.sh}.sh")
		done
	else
		files=(tests/integration/t_*.sh)
	fi
	file_out=$(mktemp /tmp/pd-run-all.XXXXXX)
	for f in "${files[@]}"; do
		note "$f"
		PD_RUN_ALL=1 bash "$f" </dev/null 2>&1 | tee "$file_out"
		rc=${PIPESTATUS[0]}
		before=$failed
		while IFS= read -r line; do
			count_line "$line"
		done <"$file_out"
		if [ "$rc" -ne 0 ] && [ "$failed" -eq "$before" ]; then
			echo "FAIL $(basename "$f" .sh): exited $rc with no failing test reported"
			failed=$((failed + 1))
		fi
	done
	rm -f "$file_out"
	if [ -n "$fixture_before" ]; then
		fixture_after=$(cd "$fixtures/busybox-rootfs" && find . -printf '%p %y %m %U:%G %s %l\n' | LC_ALL=C sort)
		if [ "$fixture_before" = "$fixture_after" ]; then
			echo "PASS integration.fixture_unchanged"
			passed=$((passed + 1))
		else
			echo "FAIL integration.fixture_unchanged: the busybox rootfs directory changed during the tests:"
			diff <(echo "$fixture_before") <(echo "$fixture_after") | head -n 20 | sed 's/^/    | /'
			failed=$((failed + 1))
		fi
	fi
fi

echo "== took $(($(date +%s) - start))s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
