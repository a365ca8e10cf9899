#!/bin/bash
# The seed's use case end to end: a Python test runner.  A submission's
# folder (main.py, in.txt, out.txt) is mounted read-only at /mnt; the run
# exits 0 when the program's output matches out.txt and non-zero otherwise.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SEED_CMD="/bin/sh -c 'python3 /mnt/main.py < /mnt/in.txt > /tmp/out && diff -u /mnt/out.txt /tmp/out'"

test_python_right_answer() {
	need_python_fixture
	pd run --rm --rootfs "$PYTHON_DIR" -v "$CASES_DIR/right:/mnt:ro" --cmd "$SEED_CMD"
	assert_exit 0 "right answer"
	assert_out "" "diff output for the right answer"
}

test_python_wrong_answer() {
	need_python_fixture
	pd run --rm --rootfs "$PYTHON_DIR" -v "$CASES_DIR/wrong:/mnt:ro" --cmd "$SEED_CMD"
	[ "$RC" != 0 ] || fail "wrong answer exited 0"
	[ "$RC" != 125 ] && [ "$RC" != 126 ] && [ "$RC" != 127 ] || fail "wrong answer gave a runtime exit status $RC"
	assert_contains "$OUT" "+-1" "diff shows the wrong line"
}

test_python_from_tarball() {
	need_python_fixture
	pd run --rm --rootfs "$PYTHON_TAR" -v "$CASES_DIR/right:/mnt:ro" --cmd "$SEED_CMD"
	assert_exit 0 "right answer from the python tarball"
	pd run --rm --rootfs "$PYTHON_TAR" -v "$CASES_DIR/wrong:/mnt:ro" --cmd "$SEED_CMD"
	[ "$RC" != 0 ] || fail "wrong answer from the tarball exited 0"
}

test_python_cases_read_only() {
	# The submission cannot change its own expected output.
	need_python_fixture
	cp -a "$CASES_DIR/right" "$T_TMP/case"
	pd run --rm --rootfs "$PYTHON_DIR" -v "$T_TMP/case:/mnt:ro" /usr/bin/python3 -c '
try:
    open("/mnt/out.txt", "w").write("hacked\n")
    print("WROTE")
except OSError as e:
    print("denied", e.errno)'
	assert_ok
	assert_contains "$OUT" "denied" "writing /mnt/out.txt"
	cmp -s "$CASES_DIR/right/out.txt" "$T_TMP/case/out.txt" || fail "out.txt changed on the host"
}

test_python_exception_exit_status() {
	need_python_fixture
	pd run --rm --rootfs "$PYTHON_DIR" /usr/bin/python3 -c 'import sys; print("partial"); sys.exit(5)'
	assert_exit 5 "python sys.exit(5)"
	assert_out partial
	pd run --rm --rootfs "$PYTHON_DIR" /usr/bin/python3 -c 'raise SystemExit("boom")'
	assert_exit 1 "uncaught SystemExit with a message"
	assert_contains "$ERR" boom "the program's stderr"
}

run_tests "$@"
