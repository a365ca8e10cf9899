#!/bin/bash
# The limit tests on a pure cgroup v2 host: a QEMU guest (Debian's kernel,
# the host's /usr shared in) boots with cgroup_no_v1=all and runs
# tests/vm/v2-tests.sh against the built binary, all in one boot.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

test_limits_on_pure_cgroup_v2() {
	need_root
	need_busybox
	local out rc
	out=$(cd "$REPO" && VM_TIMEOUT=240 bash tests/vm/run-v2.sh bash tests/vm/v2-tests.sh 2>&1)
	rc=$?
	echo "$out" >&2
	[ "$rc" = 77 ] && skip "QEMU cannot run here: $(echo "$out" | tail -n 1)"
	if echo "$out" | grep -q '^FAIL'; then
		fail "in the v2 guest: $(echo "$out" | grep '^FAIL' | head -n 5 | tr '\n' ';')"
	fi
	[ "$rc" = 0 ] || fail "the v2 guest run exited $rc: $(echo "$out" | tail -n 3 | tr '\n' ';')"
	echo "$out" | grep -q '^PASS pd-v2-memory-oom' || fail "the pocket-docker v2 tests did not run"
}

run_tests "$@"
