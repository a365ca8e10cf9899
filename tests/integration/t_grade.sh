#!/bin/bash
# scripts/grade.sh, the grader built on judge mode: a directory of submissions against a
# directory of tests, a table of verdicts.  tests/fixtures/grading/ holds submissions made to
# earn each verdict (right, wrong answer, endless loop, memory hog, output flood, exception,
# abort, fork bomb) and the verdicts they must get (expected).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GRADE=$REPO/scripts/grade.sh
GRADING=$REPO/tests/fixtures/grading

# grade ARGS...: scripts/grade.sh with this test's binary and state root; sets RC, OUT, ERR.
grade() {
	_pd_exec /dev/null bash "$GRADE" --pd "$PD" --root "$T_ROOT" "$@"
}

# verdict_of SUB TEST: the VERDICT column of that row of the last table.
verdict_of() {
	printf '%s\n' "$OUT" | awk -v s="$1" -v t="$2" '$1 == s && $2 == t {print $3}'
}
# field_of SUB TEST N: column N of that row.
field_of() {
	printf '%s\n' "$OUT" | awk -v s="$1" -v t="$2" -v n="$3" '$1 == s && $2 == t {print $n}'
}

test_grade_every_verdict() {
	need_root
	need_python_fixture
	# 3 s and 128m: the memory hog fills 128m well within 3 s even on a busy machine (page
	# faults are slow in a VM: about 200 MB per CPU second here).
	grade --rootfs "$PYTHON_DIR" --timeout 3s --memory 128m --output-limit 64k --jobs 2 \
		"$GRADING/submissions" "$GRADING/tests"
	assert_ok "grading works even when submissions fail"
	local sub test want got n=0
	while read -r sub test want; do
		case $sub in '#'* | '') continue ;; esac
		got=$(verdict_of "$sub" "$test")
		assert_eq "$want" "$got" "verdict of $sub on $test"
		n=$((n + 1))
	done <"$GRADING/expected"
	[ "$n" -ge 18 ] || fail "only $n expected rows read from $GRADING/expected"
	# One row per submission and test, and no more.
	assert_eq "$n" "$(printf '%s\n' "$OUT" | grep -cE ' (AC|WA|TLE|MLE|OLE|RE|IE) ')" "rows in the table"
	# The summary lines.
	assert_line "$OUT" "right: 2/2 passed" "summary of right"
	assert_line "$OUT" "packaged: 2/2 passed" "summary of the directory submission"
	assert_line "$OUT" "wrong: 1/2 passed" "summary of wrong"
	assert_line "$OUT" "loop: 0/2 passed" "summary of loop"
	# The figures come from the reports: an endless loop ran about 3 s; the memory hog peaked
	# at the limit, not above it.
	local t m
	t=$(field_of loop sums 4)
	awk -v t="${t%s}" 'BEGIN {exit !(t >= 2.9 && t < 6)}' || fail "loop's time '$t', expected about 3 s"
	m=$(field_of memhog sums 6)
	awk -v m="${m%M}" 'BEGIN {exit !(m > 64 && m <= 128.1)}' || fail "memhog's peak '$m', expected near 128M"
	assert_contains "$(field_of wrong sums 7) $(field_of wrong sums 8) $(field_of wrong sums 9)" "line 1 differs" "the WA row says where"
}

test_grade_runtime_failure_is_ie() {
	# A runtime that fails is the grader's failure (IE, exit 1), never the submission's.
	need_root
	need_python_fixture
	mkdir -p subs tests
	cp "$GRADING/submissions/right.py" subs/
	cp "$GRADING/tests/sums.in" "$GRADING/tests/sums.out" tests/
	_pd_exec /dev/null bash "$GRADE" --pd /bin/false --rootfs "$PYTHON_DIR" subs tests
	assert_exit 1 "grading with a runtime that fails"
	assert_eq IE "$(verdict_of right sums)" "verdict when the runtime fails"
	# A root filesystem pocket-docker cannot use: its own error is in the row.
	echo "not a tarball" >bad.tar
	grade --rootfs "$T_TMP/bad.tar" subs tests
	assert_exit 1 "grading on a broken root filesystem"
	assert_eq IE "$(verdict_of right sums)" "verdict on a broken root filesystem"
	assert_contains "$OUT" "pocket-docker" "the runtime's error in the note"
}

test_grade_usage() {
	need_python_fixture
	mkdir -p subs tests empty
	cp "$GRADING/submissions/right.py" subs/
	cp "$GRADING/tests/sums.in" "$GRADING/tests/sums.out" tests/
	local args
	for args in "" "subs" "subs tests extra" "--bogus subs tests" "--jobs 0 subs tests" \
		"--jobs x subs tests" "--timeout 2x subs tests" "--memory lots subs tests" \
		"--cpu-time soon subs tests" "empty tests" "subs empty" "subs missing" \
		"--rootfs /nonexistent subs tests" "--pd /nonexistent/pd subs tests" "--timeout"; do
		# shellcheck disable=SC2086 # the words of each case
		grade --rootfs "$PYTHON_DIR" $args
		assert_exit 2 "bad usage: '$args'"
		assert_contains "$ERR" "grade.sh: " "the error names the script ('$args')"
	done
	# A test without its expected output.
	echo "1 1" >tests/orphan.in
	grade --rootfs "$PYTHON_DIR" subs tests
	assert_exit 2 "a .in without .out"
	assert_contains "$ERR" "orphan" "the error names the test"
	grade --help
	assert_ok "--help"
	assert_contains "$OUT" "Usage:" "--help"
}

test_grade_jobs_in_parallel() {
	# --jobs 2 runs two at a time: two 5 s loops take about 5 s, not 10 (the
	# margin is wide: a loaded or sanitized build's start-up never costs 4 s).
	need_root
	need_python_fixture
	mkdir -p subs tests
	cp "$GRADING/submissions/loop.py" subs/a.py
	cp "$GRADING/submissions/loop.py" subs/b.py
	cp "$GRADING/tests/sums.in" "$GRADING/tests/sums.out" tests/
	local t0 t1
	t0=$(date +%s%N)
	grade --rootfs "$PYTHON_DIR" --timeout 5s --jobs 2 subs tests
	t1=$(date +%s%N)
	assert_ok "two at a time"
	assert_eq TLE "$(verdict_of a sums)" "a"
	assert_eq TLE "$(verdict_of b sums)" "b"
	[ $(((t1 - t0) / 1000000)) -lt 9000 ] || fail "--jobs 2 took $(((t1 - t0) / 1000000)) ms for two 5 s runs"
	t0=$(date +%s%N)
	grade --rootfs "$PYTHON_DIR" --timeout 5s --jobs 1 subs tests
	t1=$(date +%s%N)
	assert_ok "one at a time"
	[ $(((t1 - t0) / 1000000)) -ge 10000 ] || fail "--jobs 1 took $(((t1 - t0) / 1000000)) ms for two 5 s runs"
}

test_grade_cpu_time_is_tle() {
	need_root
	need_python_fixture
	mkdir -p subs tests
	cp "$GRADING/submissions/loop.py" subs/
	cp "$GRADING/tests/sums.in" "$GRADING/tests/sums.out" tests/
	grade --rootfs "$PYTHON_DIR" --timeout 10s --cpu-time 500ms subs tests
	assert_ok
	assert_eq TLE "$(verdict_of loop sums)" "a CPU time limit"
	assert_contains "$OUT" "CPU" "the note says it was the CPU time"
	local t
	t=$(field_of loop sums 4)
	awk -v t="${t%s}" 'BEGIN {exit !(t < 5)}' || fail "the CPU limit of 0.5 s ended the run only after $t"
}

test_grade_output_comparison() {
	# Trailing blanks and empty lines at the end are forgiven, unless --exact.
	need_root
	need_python_fixture
	mkdir -p subs tests
	printf 'print("3  ")\nprint("30")\nprint("0")\nprint()\n' >subs/spaces.py
	printf 'print(3)\nprint(30)\n' >subs/short.py
	cp "$GRADING/tests/sums.in" "$GRADING/tests/sums.out" tests/
	grade --rootfs "$PYTHON_DIR" subs tests
	assert_ok
	assert_eq AC "$(verdict_of spaces sums)" "trailing blanks"
	assert_eq WA "$(verdict_of short sums)" "missing line"
	assert_contains "$OUT" "output ends before line 3" "where the short output ends"
	grade --rootfs "$PYTHON_DIR" --exact subs tests
	assert_ok
	assert_eq WA "$(verdict_of spaces sums)" "trailing blanks with --exact"
}

test_grade_other_command() {
	# --cmd and a submission that is not Python: a shell script on the busybox rootfs, seen as
	# /sub/main.sh; its stdin is the test's input.
	need_root
	need_busybox
	mkdir -p subs tests
	# shellcheck disable=SC2016 # the container's shell expands them
	printf 'while read a b; do echo $((a * b)); done\n' >subs/mul.sh
	# shellcheck disable=SC2016
	printf 'while read a b; do echo $((a + b)); done\n' >subs/add.sh
	printf '2 3\n4 5\n' >tests/t1.in
	printf '6\n20\n' >tests/t1.out
	grade --rootfs "$BUSYBOX_DIR" --cmd "/bin/sh /sub/main.sh" subs tests
	assert_ok
	assert_eq AC "$(verdict_of mul t1)" "the right shell script"
	assert_eq WA "$(verdict_of add t1)" "the wrong shell script"
}

test_grade_submission_read_only() {
	# A submission cannot change its own files: /sub is mounted read-only.
	need_root
	need_python_fixture
	mkdir -p subs/cheat tests
	printf 'open("/sub/main.py", "w").write("hacked")\n' >subs/cheat/main.py
	cp subs/cheat/main.py saved.py
	cp "$GRADING/tests/sums.in" "$GRADING/tests/sums.out" tests/
	grade --rootfs "$PYTHON_DIR" subs tests
	assert_ok
	assert_eq RE "$(verdict_of cheat sums)" "writing into /sub"
	cmp -s saved.py subs/cheat/main.py || fail "the submission changed its own file on the host"
}

run_tests "$@"
