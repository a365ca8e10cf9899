#!/bin/bash
# Integration test harness for pocket-docker.
#
# A test file tests/integration/t_NAME.sh sources this file, defines
# functions test_* and ends with `run_tests "$@"`.  Running the file runs
# every test in it (or only the ones named on the command line):
#
#   bash tests/integration/t_run.sh                 # all tests in the file
#   bash tests/integration/t_run.sh test_pid_one    # one test
#
# Each test runs in a fresh bash, under tests/integration/reaper.py (a child
# subreaper with a timeout), with:
#   T_ROOT   a fresh, empty pocket-docker state root (mktemp under /tmp)
#   T_TMP    a scratch directory for the test's own files (the cwd)
#   T_TAG    a unique word for names of host paths the test checks
# and prints one line: "PASS name", "FAIL name: reason" (followed by the
# test's log) or "SKIP name: reason".
#
# After each test the harness checks that nothing was left behind, and fails
# the test if something was: processes still alive (reparented to the
# reaper), mounts mentioning T_ROOT or T_TMP in /proc/self/mountinfo, entries
# in T_ROOT/containers/ (unless the test called allow_containers_left), stray
# entries in T_ROOT/cache/rootfs/, new pocket-docker temp entries in /tmp,
# /var/tmp, /run or /dev/shm, and a new ~/.pocket-docker.  Then it unmounts
# and removes what is left.  Every check looks at this test's own objects
# only (its state root, its tag, its processes, its new temp entries that
# carry no other running test's tag): other pocket-docker containers may
# run on the machine meanwhile, of a developer or of other test runs.
#
# Environment: PD (the binary, default ./pocket-docker at the repo root),
# PD_FIXTURES (default build/fixtures), PD_TEST_TIMEOUT (seconds per test,
# default 90), PD_CMD_TIMEOUT (seconds per pocket-docker command, default 60).
set -u

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LIB_DIR/../.." && pwd)
PD=${PD:-$REPO/pocket-docker}
FIXTURES=${PD_FIXTURES:-$REPO/build/fixtures}
BUSYBOX_DIR=$FIXTURES/busybox-rootfs
BUSYBOX_TAR=$FIXTURES/busybox.tar
BUSYBOX_TGZ=$FIXTURES/busybox.tar.gz
PYTHON_DIR=$FIXTURES/python-rootfs
PYTHON_TAR=$FIXTURES/python.tar
CASES_DIR=$REPO/tests/fixtures/cases
MK_BUSYBOX=$REPO/tests/fixtures/mk-busybox.sh
MK_HOSTILE=$REPO/tests/fixtures/mk-hostile.py
TEST_TIMEOUT=${PD_TEST_TIMEOUT:-90}
CMD_TIMEOUT=${PD_CMD_TIMEOUT:-60}
# Docker's default capability set (14 capabilities).
CAPS_DEFAULT=00000000a80425fb
# The host environment must not steer the runtime in tests.
unset SUDO_USER SUDO_UID SUDO_GID POCKET_DOCKER_ROOT

# ---------------------------------------------------------------------------
# Running pocket-docker from a test.
#
# pd ARGS...        runs "$PD --root $T_ROOT ARGS..." with stdin /dev/null and
#                   a timeout; sets RC, OUT, ERR (trailing newlines stripped)
#                   and OUT_FILE, ERR_FILE (exact bytes).
# pd_stdin DATA ARGS...   the same, with DATA on stdin.
# pd_noroot ARGS... the same without --root (for state-root selection tests).
# pd_as USER ARGS... the same, run as USER (setpriv, no PAM).
# show_last         prints the last command, its exit status and its output.

LAST_CMD=""
RC=""
OUT=""
ERR=""
OUT_FILE=""
ERR_FILE=""
PD_SEQ=0

_pd_exec() {
	# _pd_exec STDIN_FILE COMMAND...
	local stdin_file=$1
	shift
	PD_SEQ=$((PD_SEQ + 1))
	OUT_FILE=$T_STATE/cmd$PD_SEQ.out
	ERR_FILE=$T_STATE/cmd$PD_SEQ.err
	LAST_CMD=$(printf '%q ' "$@")
	echo "+ $LAST_CMD" >&2
	timeout -k 5 "$CMD_TIMEOUT" "$@" <"$stdin_file" >"$OUT_FILE" 2>"$ERR_FILE"
	RC=$?
	OUT=$(cat "$OUT_FILE")
	ERR=$(cat "$ERR_FILE")
	if [ "$RC" -eq 124 ]; then
		echo "  (command timed out after ${CMD_TIMEOUT}s)" >&2
	fi
	{
		echo "  exit $RC"
		[ -s "$OUT_FILE" ] && sed 's/^/  stdout| /' "$OUT_FILE" | head -n 40
		[ -s "$ERR_FILE" ] && sed 's/^/  stderr| /' "$ERR_FILE" | head -n 40
	} >&2
	return 0
}

pd() {
	_pd_exec /dev/null "$PD" --root "$T_ROOT" "$@"
}

pd_stdin() {
	_bin_stdin "$PD" "$@"
}

# _bin_stdin BINARY DATA ARGS...: BINARY --root T_ROOT ARGS with DATA on stdin.
_bin_stdin() {
	local bin=$1 data=$2
	shift 2
	printf '%s' "$data" >"$T_STATE/stdin"
	_pd_exec "$T_STATE/stdin" "$bin" --root "$T_ROOT" "$@"
}

pd_noroot() {
	_pd_exec /dev/null "$PD" "$@"
}

pd_as() {
	local user=$1
	shift
	local home
	home=$(getent passwd "$user" | cut -d: -f6)
	_pd_exec /dev/null setpriv --reuid="$user" --regid="$user" --init-groups \
		env HOME="$home" USER="$user" LOGNAME="$user" \
		"$PD" --root "$T_ROOT" "$@"
}

show_last() {
	echo "command: $LAST_CMD"
	echo "exit status: $RC"
	echo "stdout:"
	sed 's/^/  | /' "$OUT_FILE" 2>/dev/null
	echo "stderr:"
	sed 's/^/  | /' "$ERR_FILE" 2>/dev/null
}

# ---------------------------------------------------------------------------
# Outcomes and assertions.  Each assertion fails the test at once with a
# reason and the last command's output.

fail() {
	local reason=$1
	echo "$reason" >"$T_STATE/reason"
	{
		echo "FAILED: $reason"
		[ -n "$LAST_CMD" ] && show_last
	} >&2
	exit 1
}

skip() {
	echo "$1" >"$T_STATE/skip"
	exit 77
}

_short() {
	# A value cut to 300 characters, newlines shown as '\n', for reasons.
	local v=${1//$'\n'/\\n}
	if [ "${#v}" -gt 300 ]; then
		v="${v:0:300}..."
	fi
	printf '%s' "$v"
}

assert_eq() {
	# assert_eq EXPECTED ACTUAL WHAT
	if [ "$1" != "$2" ]; then
		fail "$3: expected '$(_short "$1")', got '$(_short "$2")'"
	fi
}

assert_contains() {
	# assert_contains HAYSTACK NEEDLE WHAT
	case $1 in
	*"$2"*) ;;
	*) fail "$3: expected to contain '$(_short "$2")', got '$(_short "$1")'" ;;
	esac
}

assert_line() {
	# assert_line TEXT LINE WHAT: TEXT has a line that is exactly LINE.
	if ! printf '%s\n' "$1" | grep -qxF -- "$2"; then
		fail "$3: expected a line '$(_short "$2")', got '$(_short "$1")'"
	fi
}

assert_not_contains() {
	case $1 in
	*"$2"*) fail "$3: expected not to contain '$(_short "$2")', got '$(_short "$1")'" ;;
	esac
}

assert_match() {
	# assert_match STRING EXTENDED_REGEX WHAT
	if ! printf '%s\n' "$1" | grep -Eq -- "$2"; then
		fail "$3: expected to match /$2/, got '$(_short "$1")'"
	fi
}

assert_exit() {
	# assert_exit STATUS [WHAT]: the last pd command exited STATUS.
	if [ "$RC" != "$1" ]; then
		fail "${2:-exit status}: expected $1, got $RC"
	fi
}

assert_ok() {
	assert_exit 0 "${1:-exit status}"
}

assert_out() {
	# assert_out EXPECTED [WHAT]: the last command's stdout (trailing
	# newlines stripped) is EXPECTED.
	assert_eq "$1" "$OUT" "${2:-stdout}"
}

assert_error_line() {
	# The last command failed with exactly one line on stderr that starts
	# with "pocket-docker: ".
	local lines
	lines=$(printf '%s\n' "$ERR" | grep -c .)
	if [ "$lines" -ne 1 ]; then
		fail "${1:-error}: expected exactly one line on stderr, got $lines"
	fi
	case $ERR in
	"pocket-docker: "*) ;;
	*) fail "${1:-error}: stderr does not start with 'pocket-docker: '" ;;
	esac
}

assert_absent() {
	# assert_absent PATH [WHAT]: PATH does not exist (not even a dangling link).
	if [ -e "$1" ] || [ -L "$1" ]; then
		fail "${2:-host path} '$1' exists: $(ls -ld "$1" 2>&1)"
	fi
}

assert_file_content() {
	# assert_file_content PATH EXPECTED [WHAT]
	if [ ! -f "$1" ]; then
		fail "${3:-file} '$1' missing"
	fi
	assert_eq "$2" "$(cat "$1")" "${3:-content of $1}"
}

# ---------------------------------------------------------------------------
# Requirements: a test that cannot run here says why, as a visible skip.

need_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
}

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "needs command '$c'"
	done
}

need_busybox() {
	[ -x "$BUSYBOX_DIR/bin/busybox" ] && [ -f "$BUSYBOX_TAR" ] && [ -f "$BUSYBOX_TGZ" ] ||
		skip "busybox fixture missing in $FIXTURES (run: bash tests/fixtures/mk-busybox.sh $FIXTURES)"
}

need_python_fixture() {
	[ -x "$PYTHON_DIR/usr/bin/python3" ] && [ -f "$PYTHON_TAR" ] ||
		skip "python fixture missing in $FIXTURES (run: bash tests/fixtures/mk-python.sh $FIXTURES)"
}

# ---------------------------------------------------------------------------
# Helpers for tests.

# cg_file ID CONTROLLER FILE: the host path of a container's cgroup file
# (v2: one hierarchy; v1 and hybrid: CONTROLLER's).
cg_file() {
	if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
		echo "/sys/fs/cgroup/pocket-docker/$1/$3"
	else
		echo "/sys/fs/cgroup/$2/pocket-docker/$1/$3"
	fi
}

allow_containers_left() {
	# This test runs containers without --rm: their records may stay in
	# T_ROOT/containers/.
	touch "$T_STATE/allow-containers"
}

copy_busybox_rootfs() {
	# copy_busybox_rootfs DEST: a private copy of the busybox root filesystem.
	cp -a "$BUSYBOX_DIR" "$1" || fail "cannot copy $BUSYBOX_DIR to $1"
}

make_save_archive() {
	# make_save_archive OUT TAG CMD [CONFIG_JSON]: an archive in `docker
	# save` layout with the busybox layer, RepoTags TAG (none when empty),
	# the command `sh -c CMD`, and CONFIG_JSON's keys added to the image
	# config's "config" object (ExposedPorts, Volumes, ...).
	local extra=${4:-}
	[ -n "$extra" ] || extra='{}'
	python3 - "$1" "$BUSYBOX_TAR" "$2" "$3" "$extra" <<'EOF'
import hashlib, io, json, sys, tarfile
out, bb, tag, cmd, extra = sys.argv[1:6]
layer = open(bb, "rb").read()
config = {"Cmd": ["/bin/sh", "-c", cmd]}
config.update(json.loads(extra))
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": config,
                  "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]}}).encode()
name = hashlib.sha256(cfg).hexdigest() + ".json"
man = json.dumps([{"Config": name, "RepoTags": [tag] if tag else None, "Layers": ["l/layer.tar"]}]).encode()
with tarfile.open(out, "w") as tf:
    for n, data in (("manifest.json", man), (name, cfg), ("l/layer.tar", layer)):
        ti = tarfile.TarInfo(n)
        ti.size, ti.mtime = len(data), 0
        tf.addfile(ti, io.BytesIO(data))
EOF
}

manifest() {
	# manifest DIR: a listing of DIR that changes when any file, link,
	# owner or mode in it changes (directory mtimes ignored).
	(
		cd "$1" || exit 1
		find . -printf '%p %y %m %U:%G %s %l\n' | LC_ALL=C sort
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
	)
}

wait_for_output() {
	# wait_for_output FILE TEXT [SECONDS]: wait until FILE contains TEXT.
	local file=$1 text=$2 limit=${3:-15} i=0
	while [ "$i" -lt $((limit * 20)) ]; do
		grep -qF -- "$text" "$file" 2>/dev/null && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

pd_bg() {
	# pd_bg ARGS...: start "$PD --root $T_ROOT ARGS..." in the background,
	# with default signal dispositions (a background job of a script starts
	# with SIGINT and SIGQUIT ignored; a user's terminal would not), stdin
	# /dev/null, output in BG_OUT and BG_ERR.  Sets BG_PID.
	PD_SEQ=$((PD_SEQ + 1))
	BG_OUT=$T_STATE/bg$PD_SEQ.out
	BG_ERR=$T_STATE/bg$PD_SEQ.err
	LAST_CMD=$(printf '%q ' "$PD" --root "$T_ROOT" "$@")
	echo "+ (background) $LAST_CMD" >&2
	env --default-signal=INT,QUIT,TERM,HUP "$PD" --root "$T_ROOT" "$@" \
		</dev/null >"$BG_OUT" 2>"$BG_ERR" &
	BG_PID=$!
	OUT_FILE=$BG_OUT
	ERR_FILE=$BG_ERR
}

wait_bg() {
	# wait_bg SECONDS: wait for BG_PID to exit; sets RC, OUT, ERR.  Fails
	# the test (after killing it) when it is still running after SECONDS.
	local limit=$1 i=0 state
	while [ "$i" -lt $((limit * 20)) ]; do
		state=$(awk '{print $3}' "/proc/$BG_PID/stat" 2>/dev/null)
		if [ -z "$state" ] || [ "$state" = Z ]; then
			break
		fi
		sleep 0.05
		i=$((i + 1))
	done
	if [ "$i" -ge $((limit * 20)) ]; then
		kill -KILL "$BG_PID" 2>/dev/null
		wait "$BG_PID" 2>/dev/null
		RC=killed
		OUT=$(cat "$BG_OUT")
		ERR=$(cat "$BG_ERR")
		fail "pocket-docker still running ${limit}s later (killed it)"
	fi
	wait "$BG_PID"
	RC=$?
	OUT=$(cat "$BG_OUT")
	ERR=$(cat "$BG_ERR")
	{
		echo "  exit $RC"
		[ -s "$BG_OUT" ] && sed 's/^/  stdout| /' "$BG_OUT" | head -n 40
		[ -s "$BG_ERR" ] && sed 's/^/  stderr| /' "$BG_ERR" | head -n 40
	} >&2
	return 0
}

find_container_pid() {
	# find_container_pid COMM WORD: the host pid of a process named COMM
	# whose command line contains WORD; non-zero when none.
	local d
	for d in /proc/[0-9]*; do
		[ "$(cat "$d/comm" 2>/dev/null)" = "$1" ] || continue
		if tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -qF -- "$2"; then
			echo "${d#/proc/}"
			return 0
		fi
	done
	return 1
}

cache_entries() {
	# The names in T_ROOT/cache/rootfs/, one per line (none when absent).
	ls -A "$T_ROOT/cache/rootfs" 2>/dev/null
}

# ---------------------------------------------------------------------------
# The runner (outer side).

_leftover_checks() {
	# Print one line per leftover found after a test; clean them up.
	local name m
	if [ -s "$T_STATE/leftovers" ]; then
		echo "processes left running (killed): $(tr '\n' ';' <"$T_STATE/leftovers")"
	fi
	m=$(grep -F -e "$T_ROOT" -e "$T_TMP" /proc/self/mountinfo | awk '{print $5}')
	if [ -n "$m" ]; then
		echo "mounts left behind: $(echo "$m" | tr '\n' ' ')"
		echo "$m" | awk '{print length, $0}' | sort -rn | cut -d' ' -f2- |
			while read -r name; do umount -l "$name" 2>/dev/null; done
	fi
	if [ -d "$T_ROOT/containers" ] && [ ! -e "$T_STATE/allow-containers" ] &&
		[ -n "$(ls -A "$T_ROOT/containers")" ]; then
		echo "containers/ not empty after the test: $(ls -A "$T_ROOT/containers" | tr '\n' ' ')"
	fi
	# A user-defined network is a bridge and nft chains on the host: one
	# the test did not remove outlives its state root.  Reported, then
	# removed with the binary (its containers first: the reaper has ended
	# their processes by now).
	if [ -f "$T_ROOT/state.db" ]; then
		m=$(python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=30)
try:
    for n, b in c.execute("SELECT name, bridge FROM networks"): print(n + " (" + b + ")")
except sqlite3.OperationalError:
    pass' "$T_ROOT/state.db" 2>/dev/null)
		if [ -n "$m" ]; then
			echo "networks left behind: $(echo "$m" | tr '\n' ' ')"
			"$PD" --root "$T_ROOT" rm -f -v $("$PD" --root "$T_ROOT" ps -aq --no-trunc 2>/dev/null) >/dev/null 2>&1
			"$PD" --root "$T_ROOT" network prune -f >/dev/null 2>&1
		fi
	fi
	if [ -d "$T_ROOT/cache/rootfs" ]; then
		m=$(ls -A "$T_ROOT/cache/rootfs" | grep -Ev '^(\.lock|[0-9a-f]{64}(-[a-z0-9]+)?(\.lock)?)$')
		[ -n "$m" ] && echo "stray entries in cache/rootfs/: $(echo "$m" | tr '\n' ' ')"
	fi
	# New entries only, and none named with the tag of a test running
	# meanwhile (any harness's: each keeps its tag in its state directory
	# until its own entries are gone), nor the harness's own directories.
	cat /tmp/pd-t-state.*/tag 2>/dev/null | grep -E '^[0-9a-f]{12}$' >"$T_STATE/live-tags"
	echo "$T_TAG" >>"$T_STATE/live-tags"
	m=$(_temp_listing | LC_ALL=C comm -13 "$T_STATE/temp-before" - |
		grep -Ei 'pocket|/pd[-_.]' | grep -v -e '/pd-t-' -e '/pd-run-all' -e '/pd-bench' -e '/pd-fuzz' |
		grep -v -F -f "$T_STATE/live-tags")
	[ -n "$m" ] && echo "temporary entries left behind: $(echo "$m" | tr '\n' ' ')"
	if [ ! -e "$T_STATE/home-state-existed" ] && [ -e "${HOME:-/root}/.pocket-docker" ]; then
		echo "a state root appeared at '${HOME:-/root}/.pocket-docker' (tests always pass --root)"
	fi
}

_temp_listing() {
	local d
	for d in /tmp /var/tmp /run /dev/shm; do
		[ -d "$d" ] && find "$d" -mindepth 1 -maxdepth 1 2>/dev/null
	done | LC_ALL=C sort
}

_remove_test_cgroups() {
	local id d
	for id in $({
		ls "$T_ROOT/containers" 2>/dev/null
		[ -f "$T_ROOT/state.db" ] && python3 -c 'import sqlite3, sys
for (i,) in sqlite3.connect(sys.argv[1]).execute("SELECT id FROM containers"): print(i)' "$T_ROOT/state.db" 2>/dev/null
	} | grep -E '^[0-9a-f]{64}$' | sort -u); do
		for d in /sys/fs/cgroup/pocket-docker/"$id" /sys/fs/cgroup/*/pocket-docker/"$id"; do
			# Only empty groups go (rmdir refuses others); the
			# reaper has ended the test's processes by now.
			[ -d "$d" ] && rmdir "$d" 2>/dev/null
		done
	done
	return 0
}

_run_one() {
	local file=$1 name=$2
	local full rc reason leftovers status
	full="$(basename "$file" .sh).${name#test_}"
	T_ROOT=$(mktemp -d /tmp/pd-t-root.XXXXXX)
	T_TMP=$(mktemp -d /tmp/pd-t-tmp.XXXXXX)
	T_STATE=$(mktemp -d /tmp/pd-t-state.XXXXXX)
	T_TAG=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
	T_NAME=$full
	export T_ROOT T_TMP T_STATE T_TAG T_NAME
	echo "$T_TAG" >"$T_STATE/tag"
	_temp_listing >"$T_STATE/temp-before"
	[ -e "${HOME:-/root}/.pocket-docker" ] && touch "$T_STATE/home-state-existed"

	PD_INNER=1 python3 "$LIB_DIR/reaper.py" --timeout "$TEST_TIMEOUT" \
		--leftovers "$T_STATE/leftovers" -- \
		bash -c 'source "$1" || exit 125; cd "$T_TMP" || exit 125; "$2"' _ "$file" "$name" \
		</dev/null >"$T_STATE/log" 2>&1
	rc=$?

	if [ -e "$T_STATE/leftovers.timeout" ]; then
		status=FAIL
		reason="timed out after ${TEST_TIMEOUT}s"
	elif [ "$rc" -eq 77 ] && [ -f "$T_STATE/skip" ]; then
		status=SKIP
		reason=$(cat "$T_STATE/skip")
	elif [ "$rc" -eq 0 ]; then
		status=PASS
		reason=""
	else
		status=FAIL
		reason=$(cat "$T_STATE/reason" 2>/dev/null)
		[ -n "$reason" ] || reason="test exited with status $rc"
	fi
	leftovers=$(_leftover_checks)
	if [ -n "$leftovers" ]; then
		if [ "$status" = FAIL ]; then
			reason="$reason; $(echo "$leftovers" | tr '\n' ';')"
		else
			status=FAIL
			reason="left things behind: $(echo "$leftovers" | tr '\n' ';')"
		fi
	fi

	case $status in
	PASS) echo "PASS $full" ;;
	SKIP) echo "SKIP $full: $reason" ;;
	FAIL)
		echo "FAIL $full: $reason"
		tail -n 80 "$T_STATE/log" | sed 's/^/    | /'
		;;
	esac

	# Clean up: the cgroups of the test's containers (a test that failed
	# may have had its monitors killed, which leaves their groups empty
	# behind), the test's host targets (named with its tag), then its dirs.
	_remove_test_cgroups
	rm -rf --one-file-system /tmp/*"$T_TAG"* 2>/dev/null
	rm -rf --one-file-system "$T_ROOT" "$T_TMP" "$T_STATE"
	[ "$status" != FAIL ]
}

run_tests() {
	# Inside a test's own bash the file is only sourced for its functions.
	[ -n "${PD_INNER:-}" ] && return 0
	local file names name passed=0 failed=0 skipped=0 line
	file=$(realpath "$0")
	if [ $# -gt 0 ]; then
		names=("$@")
	else
		mapfile -t names < <(grep -oE '^test_[A-Za-z0-9_]+\(\)' "$file" | tr -d '()')
	fi
	for name in "${names[@]}"; do
		line=$(_run_one "$file" "$name")
		printf '%s\n' "$line"
		case $line in
		PASS*) passed=$((passed + 1)) ;;
		SKIP*) skipped=$((skipped + 1)) ;;
		*) failed=$((failed + 1)) ;;
		esac
	done
	if [ -z "${PD_RUN_ALL:-}" ]; then
		echo "$passed passed, $failed failed, $skipped skipped"
	fi
	[ "$failed" -eq 0 ]
}

# Unprivileged test users (pdtest with a subordinate id range, pdtest-nosub
# without), made on first use.
_next_free_subid() {
	# The first id after every range in /etc/subuid and /etc/subgid,
	# at least 100000.
	cat /etc/subuid /etc/subgid 2>/dev/null |
		awk -F: 'BEGIN {m = 100000} NF == 3 && $2 + $3 > m {m = $2 + $3} END {print m}'
}

make_test_user() {
	# make_test_user NAME yes|no: the user exists, with (yes) or without (no)
	# a subordinate id range; prints why and returns non-zero when that
	# cannot be arranged.  tests/run-all.sh makes both test users before
	# the integration tests, so no test depends on another having run.
	local user=$1 want_range=$2 start
	if ! id "$user" >/dev/null 2>&1; then
		if ! command -v useradd >/dev/null 2>&1; then
			echo "needs command 'useradd'"
			return 1
		fi
		# -K SUB_*_COUNT=0: useradd would otherwise allocate a range itself.
		if ! useradd -m -s /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$user" >&2; then
			echo "cannot create user $user"
			return 1
		fi
	fi
	if [ "$want_range" = yes ]; then
		if ! grep -q "^$user:" /etc/subuid 2>/dev/null || ! grep -q "^$user:" /etc/subgid 2>/dev/null; then
			start=$(_next_free_subid)
			grep -q "^$user:" /etc/subuid 2>/dev/null || echo "$user:$start:65536" >>/etc/subuid
			grep -q "^$user:" /etc/subgid 2>/dev/null || echo "$user:$start:65536" >>/etc/subgid
		fi
	else
		# Our own test user: make sure it has no range.
		sed -i "/^$user:/d" /etc/subuid /etc/subgid 2>/dev/null
	fi
	return 0
}

ensure_test_user() {
	# ensure_test_user NAME yes|no: make_test_user, or skip saying why (a
	# test file run on its own on a fresh machine makes the user itself).
	local why
	why=$(make_test_user "$1" "$2") || skip "$why"
}

rootless_prepare() {
	# rootless_prepare USER yes|no: what every rootless test needs.  The
	# user (with a subordinate range for "yes"; skipped, saying why, when
	# it cannot be had), user namespaces open to it, and a copy of the
	# binary it can run (the repository may sit in a directory it cannot
	# enter; PD then names the copy); T_TMP readable by it and T_ROOT its
	# own.
	local user=$1
	need_root
	need_cmd setpriv unshare
	ensure_test_user "$user" "$2"
	if ! setpriv --reuid="$user" --regid="$user" --init-groups unshare --user --map-root-user true 2>"$T_TMP/userns.err"; then
		skip "user namespaces unavailable to $user: $(cat "$T_TMP/userns.err")"
	fi
	if [ "$2" = yes ]; then
		[ -x /usr/bin/newuidmap ] && [ -x /usr/bin/newgidmap ] || skip "newuidmap/newgidmap missing (package uidmap)"
	fi
	chmod 0755 "$T_TMP"
	mkdir -p "$T_TMP/bin"
	cp "$PD" "$T_TMP/bin/pocket-docker"
	PD=$T_TMP/bin/pocket-docker
	chown "$user:" "$T_ROOT"
}

make_test_users() {
	# The suite's unprivileged users: pdtest (with a subordinate id range)
	# and pdtest-nosub (without).
	make_test_user pdtest yes && make_test_user pdtest-nosub no
}
