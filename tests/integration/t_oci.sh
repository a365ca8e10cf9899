#!/bin/bash
# The OCI runtime spec face: `run --dump-spec` prints a container's config
# as a config.json, and that document is a real one: Debian's runc runs it
# with the same result as `pocket-docker run`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# What the probe command prints: the same for both runtimes.
PROBE='echo "uid=$(id -u) gid=$(id -g) A=$A host=$(hostname) cwd=$(pwd)"
grep -E "^(CapBnd|CapEff|NoNewPrivs):" /proc/self/status
cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max
cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max
ls /data; touch /data/x 2>/dev/null && echo data-writable || echo data-read-only
grep " /scratch " /proc/mounts | cut -d" " -f3,4 | tr , "\n" | grep -E "^tmpfs|^size=|^noexec|^nosuid" | sort | tr "\n" " "; echo'

# A copy of the busybox rootfs for a bundle: runc makes the mount points
# of a document's mounts inside the root it is given, and the shared
# fixture must not change.
private_rootfs() {
	local d
	d=$(mktemp -d "$T_TMP/rootfs.XXXXXX")
	cp -a "$BUSYBOX_DIR/." "$d/" || fail "copy the busybox rootfs"
	echo "$d"
}

test_dump_spec_runs_under_runc() {
	need_busybox
	need_cmd runc
	local flags bundle rootfs
	mkdir -p "$T_TMP/vol" && echo one >"$T_TMP/vol/file"
	rootfs=$(private_rootfs)
	flags=(--hostname web -w /tmp -e A=1 -m 64m --pids-limit 50 -v "$T_TMP/vol:/data:ro"
		--tmpfs /scratch:size=1m --cap-drop NET_RAW --rootfs "$rootfs")
	pd run --rm "${flags[@]}" /bin/sh -c "$PROBE"
	assert_ok "pocket-docker run"
	local ours=$OUT
	assert_contains "$ours" "uid=0 gid=0 A=1 host=web cwd=/tmp" "the probe ran"
	assert_contains "$ours" "67108864" "the memory limit"
	pd run --dump-spec "${flags[@]}" /bin/sh -c "$PROBE"
	assert_ok "run --dump-spec"
	bundle=$T_TMP/bundle
	mkdir -p "$bundle"
	printf '%s\n' "$OUT" >"$bundle/config.json"
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$bundle/config.json" ||
		fail "the spec is not JSON"
	local theirs
	theirs=$(cd "$bundle" && timeout 60 runc --root "$T_TMP/runc-state" run -b "$bundle" "pd-spec-$T_TAG" </dev/null 2>&1)
	assert_eq "$ours" "$theirs" "runc's run of the dumped spec"
}

# A user that is not root holds no capabilities (bounding only); a user
# given by name and the image a container comes from, which the spec has
# no field for, are annotations.
test_dump_spec_user_and_annotations() {
	need_busybox
	pd run --dump-spec -u 1000:1001 --rootfs "$BUSYBOX_DIR" true
	assert_ok
	printf '%s\n' "$OUT" >"$T_TMP/a.json"
	python3 - "$T_TMP/a.json" <<'PY' || fail "the spec of -u 1000:1001"
import json, sys
s = json.load(open(sys.argv[1]))
p = s["process"]
assert p["user"] == {"uid": 1000, "gid": 1001}, p["user"]
c = p["capabilities"]
assert "CAP_CHOWN" in c["bounding"] and c["effective"] == [] and c["permitted"] == [], c
assert p["noNewPrivileges"] is True
assert s["annotations"]["org.pocket-docker.seccomp"] == "default"
assert any(n["type"] == "network" for n in s["linux"]["namespaces"])
PY
	pd run --dump-spec -u nobody --network host --privileged --rootfs "$BUSYBOX_DIR" true
	assert_ok
	printf '%s\n' "$OUT" >"$T_TMP/b.json"
	python3 - "$T_TMP/b.json" <<'PY' || fail "the spec of -u nobody --network host --privileged"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["annotations"]["org.pocket-docker.user"] == "nobody", s["annotations"]
assert "org.pocket-docker.seccomp" not in s["annotations"]
assert not any(n["type"] == "network" for n in s["linux"]["namespaces"])
assert "maskedPaths" not in s["linux"] and "readonlyPaths" not in s["linux"]
c = s["process"]["capabilities"]
assert "CAP_SYS_ADMIN" in c["bounding"] and c["effective"] == [], c
PY
}

# --dump-spec runs nothing and records nothing; bad input is still a usage
# error.
test_dump_spec_creates_nothing() {
	need_busybox
	pd run --dump-spec --name spec-only --rootfs "$BUSYBOX_DIR" true
	assert_ok
	pd ps -a
	assert_not_contains "$OUT" "spec-only" "ps -a"
	[ -z "$(ls -A "$T_ROOT/containers" 2>/dev/null)" ] || fail "a container directory was made"
	pd run --dump-spec --rootfs "$BUSYBOX_DIR"
	assert_exit 125 "no command"
	pd run --dump-spec -m 1k --rootfs "$BUSYBOX_DIR" true
	assert_exit 125 "a memory limit below the minimum"
}

# ---------------------------------------------------------------------------
# pocket-runc (the same binary under runc's name): runc's command line.

PR=$(dirname "$PD")/pocket-runc

# pr ARGS...: pocket-runc with this test's state root (RC, OUT, ERR as pd).
pr() {
	_pd_exec /dev/null "$PR" --root "$T_ROOT" "$@"
}

# make_bundle DIR PYTHON: `pocket-runc spec` in DIR, then the busybox root
# and the python edits (s is the document; $BUNDLE_SH is a shell script
# for the process to run, when set).
make_bundle() {
	local dir=$1 edit=$2
	mkdir -p "$dir"
	pr spec --bundle "$dir"
	assert_ok "pocket-runc spec"
	BUNDLE_SH=${BUNDLE_SH:-} python3 - "$dir/config.json" "$(private_rootfs)" <<PY || fail "edit the bundle's config.json"
import json, os, sys
s = json.load(open(sys.argv[1]))
s["root"]["path"] = sys.argv[2]
s["process"]["terminal"] = False
if os.environ["BUNDLE_SH"]:
    s["process"]["args"] = ["/bin/sh", "-c", os.environ["BUNDLE_SH"]]
$edit
json.dump(s, open(sys.argv[1], "w"))
PY
}

RUNC_PROBE='echo "uid=$(id -u) gid=$(id -g) A=$A host=$(hostname) cwd=$(pwd)"
grep -E "^(CapBnd|CapEff|CapPrm|NoNewPrivs):" /proc/self/status
cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max
cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max
touch /x 2>/dev/null && echo root-writable || echo root-read-only
exit 7'

# `pocket-runc spec` then `run`: the bundle's command runs, its status is
# ours, and runc runs the same bundle with the same output and status.
test_runc_run_matches_runc() {
	need_busybox
	need_cmd runc
	local bundle=$T_TMP/bundle
	BUNDLE_SH=$RUNC_PROBE make_bundle "$bundle" "s['process']['env'].append('A=1')
s['process']['cwd'] = '/tmp'"
	pr run --bundle "$bundle" "pr-$T_TAG"
	assert_exit 7 "pocket-runc run"
	local ours=$OUT
	assert_contains "$ours" "uid=0 gid=0 A=1 host=pocket cwd=/tmp" "the probe ran"
	assert_contains "$ours" "root-read-only" "root.readonly"
	local theirs rc
	theirs=$(timeout 60 runc --root "$T_TMP/runc-state" run -b "$bundle" "pr-$T_TAG" </dev/null 2>&1)
	rc=$?
	assert_eq "$rc" 7 "runc's exit status"
	assert_eq "$ours" "$theirs" "runc's run of the same bundle"
	# The container is removed at exit, as `runc run` without -d does.
	[ ! -e "$T_ROOT/pr-$T_TAG" ] || fail "a container was left in the state root"
	assert_no_group "pr-$T_TAG"
	pr run --bundle "$bundle" "pr-$T_TAG"
	assert_exit 7 "the same id again, once the first is gone"
}

# The document's limits are enforced: read back inside the container.
test_runc_run_limits() {
	need_busybox
	local bundle=$T_TMP/bundle
	BUNDLE_SH='cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max
cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max' make_bundle "$bundle" \
		"s['linux'].setdefault('resources', {})['memory'] = {'limit': 67108864}
s['linux']['resources']['pids'] = {'limit': 42}"
	pr run -b "$bundle" "lim-$T_TAG"
	assert_ok "pocket-runc run with limits"
	assert_line "$OUT" "67108864" "the memory limit"
	assert_line "$OUT" "42" "the pids limit"
}

# A field this phase cannot honour fails `run` with exit 1 and its name,
# on stderr and, with --log --log-format json, as runc's json line; nothing
# is made.
test_runc_unsupported_field() {
	need_busybox
	local bundle=$T_TMP/bundle
	make_bundle "$bundle" "s['process']['args'] = ['/bin/true']
s['linux']['intelRdt'] = {'closID': 'x'}"
	pr run -b "$bundle" "rl-$T_TAG"
	assert_exit 1 "a bundle with intelRdt"
	assert_contains "$ERR" "linux.intelRdt: not supported yet" "the error names the field"
	rm -f "$bundle/config.json"
	make_bundle "$bundle" "s['process']['args'] = ['/bin/true']
s['hooks'] = {'createContainer': [{'path': '/bin/true'}]}"
	_pd_exec /dev/null "$PR" --root "$T_ROOT" --log "$T_TMP/log.json" --log-format=json run -b "$bundle" "hk-$T_TAG"
	assert_exit 1 "a bundle with a hook"
	assert_contains "$ERR" "hooks.createContainer: hooks run inside the container are not supported yet"
	python3 - "$T_TMP/log.json" <<'PY' || fail "the json log line"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
e = json.loads(lines[0])
assert e["level"] == "error", e
assert "hooks.createContainer: hooks run inside" in e["msg"], e
assert e["time"].endswith("Z"), e
PY
	_pd_exec /dev/null "$PR" --root "$T_ROOT" --log "$T_TMP/log.txt" run --bundle="$bundle" "hk-$T_TAG"
	assert_exit 1 "--log in text"
	grep -q 'level=error msg="hooks.createContainer: hooks run inside' "$T_TMP/log.txt" || fail "the text log line"
	[ -z "$(ls -A "$T_ROOT" 2>/dev/null)" ] || fail "a refused bundle made a container: $(ls -A "$T_ROOT")"
}

# spec never overwrites a bundle's document; features and --version.
test_runc_spec_features_version() {
	need_busybox
	local bundle=$T_TMP/bundle
	make_bundle "$bundle" ""
	pr spec -b "$bundle"
	assert_exit 1 "spec over an existing config.json"
	assert_contains "$ERR" "exists"
	pr --systemd-cgroup --debug features
	assert_ok "features"
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["ociVersionMax"]' "$OUT" ||
		fail "features is not the spec's JSON"
	pr --version
	assert_ok
	# runc's three lines, which go-runc (containerd's shim) parses.
	[ "$(echo "$OUT" | wc -l)" = 3 ] || fail "--version is not three lines"
	assert_contains "$OUT" "pocket-runc version"
	assert_contains "$OUT" "spec: 1."
	pr nonsense
	assert_exit 1 "an unknown command"
}

# Rootless: `spec --rootless` then `run` as a user with a subordinate
# range; the runtime makes its own mapping (the caller as root).  As root,
# the same document (a user namespace) is refused, naming why.
test_runc_rootless() {
	need_busybox
	rootless_prepare pdtest yes
	ln -s pocket-docker "$T_TMP/bin/pocket-runc"
	local bundle=$T_TMP/rl
	mkdir -p "$bundle" "$T_TMP/rl-state" && chown pdtest: "$bundle" "$T_TMP/rl-state"
	_pd_exec /dev/null setpriv --reuid=pdtest --regid=pdtest --init-groups \
		env HOME=/home/pdtest XDG_RUNTIME_DIR= "$T_TMP/bin/pocket-runc" --root "$T_TMP/rl-state" spec --rootless -b "$bundle"
	assert_ok "spec --rootless"
	python3 - "$bundle/config.json" "$(private_rootfs)" <<'PY' || fail "edit the rootless bundle"
import json, sys
s = json.load(open(sys.argv[1]))
s["root"]["path"] = sys.argv[2]
s["process"]["terminal"] = False
s["process"]["args"] = ["/bin/sh", "-c", "echo uid=$(id -u); exit 4"]
json.dump(s, open(sys.argv[1], "w"))
PY
	_pd_exec /dev/null setpriv --reuid=pdtest --regid=pdtest --init-groups \
		env HOME=/home/pdtest XDG_RUNTIME_DIR= "$T_TMP/bin/pocket-runc" --root "$T_TMP/rl-state" run -b "$bundle" "rl-$T_TAG"
	assert_exit 4 "rootless pocket-runc run"
	assert_line "$OUT" "uid=0" "root in the user namespace"
	# The split, rootless: create, state, start, exec, kill, delete.
	python3 - "$bundle/config.json" <<'PY' || fail "edit the rootless bundle"
import json, sys
s = json.load(open(sys.argv[1]))
s["process"]["args"] = ["/bin/sleep", "100"]
json.dump(s, open(sys.argv[1], "w"))
PY
	local rl=(setpriv --reuid=pdtest --regid=pdtest --init-groups env HOME=/home/pdtest XDG_RUNTIME_DIR=
		"$T_TMP/bin/pocket-runc" --root "$T_TMP/rl-state")
	_pd_exec /dev/null "${rl[@]}" create -b "$bundle" "rc-$T_TAG"
	assert_ok "rootless create"
	_pd_exec /dev/null "${rl[@]}" start "rc-$T_TAG"
	assert_ok "rootless start"
	_pd_exec /dev/null "${rl[@]}" exec "rc-$T_TAG" /bin/sh -c 'echo uid=$(id -u) ppid1=$(cat /proc/1/cmdline | tr "\0" " ")'
	assert_ok "rootless exec"
	assert_eq "$OUT" "uid=0 ppid1=/bin/sleep 100" "rootless exec in the container"
	_pd_exec /dev/null "${rl[@]}" state "rc-$T_TAG"
	assert_contains "$OUT" '"status": "running"'
	_pd_exec /dev/null "${rl[@]}" delete --force "rc-$T_TAG"
	assert_ok "rootless delete --force"
	[ -z "$(ls -A "$T_TMP/rl-state")" ] || fail "rootless state left: $(ls -A "$T_TMP/rl-state")"
	_pd_exec /dev/null "$T_TMP/bin/pocket-runc" --root "$T_TMP/root-state" run -b "$bundle" "rl-$T_TAG"
	assert_exit 1 "the rootless document as root"
	assert_contains "$ERR" "user namespace"
}

# The document's bind (read-only, relative to the bundle) and tmpfs mounts.
test_runc_run_mounts() {
	need_busybox
	local bundle=$T_TMP/bundle
	mkdir -p "$bundle/vol" && echo one >"$bundle/vol/file"
	BUNDLE_SH='cat /data/file; touch /data/x 2>/dev/null && echo data-writable || echo data-read-only
grep " /scratch " /proc/mounts | cut -d" " -f3,4 | tr , "\n" | grep -E "^tmpfs|^size=|^noexec" | sort | tr "\n" " "; echo' \
		make_bundle "$bundle" "s['mounts'].append({'destination': '/data', 'type': 'bind', 'source': 'vol', 'options': ['rbind', 'ro']})
s['mounts'].append({'destination': '/scratch', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['size=1m', 'noexec']})"
	pr run -b "$bundle" "mnt-$T_TAG"
	assert_ok "pocket-runc run with mounts"
	assert_line "$OUT" "one" "the bind mount's file"
	assert_line "$OUT" "data-read-only" "the bind mount is read-only"
	assert_contains "$OUT" "noexec size=1024k tmpfs" "the tmpfs"
}

# A bundle's config.json is read once, bounded: a FIFO, an endless device
# or a huge file is refused at once, never waited on or read without end.
test_runc_hostile_config() {
	need_busybox
	local bundle=$T_TMP/bundle
	mkdir -p "$bundle"
	mkfifo "$bundle/config.json"
	pr run -b "$bundle" "fifo-$T_TAG"
	assert_exit 1 "config.json a FIFO"
	assert_contains "$ERR" "not a regular file of at most 1 MiB"
	rm -f "$bundle/config.json"
	ln -s /dev/zero "$bundle/config.json"
	pr run -b "$bundle" "zero-$T_TAG"
	assert_exit 1 "config.json a link to /dev/zero"
	assert_contains "$ERR" "not a regular file of at most 1 MiB"
	rm -f "$bundle/config.json"
	head -c 2M /dev/zero | tr '\0' ' ' >"$bundle/config.json"
	pr run -b "$bundle" "big-$T_TAG"
	assert_exit 1 "a 2 MiB config.json"
	assert_contains "$ERR" "not a regular file of at most 1 MiB"
}

# --- The create/start split and the commands around it ---------------------

# assert_no_group ID: no cgroup of the container is left in any hierarchy.
assert_no_group() {
	local d
	for d in /sys/fs/cgroup/pocket-runc/"$1" /sys/fs/cgroup/*/pocket-runc/"$1"; do
		[ -d "$d" ] && fail "group '$d' left behind"
	done
	return 0
}

# state_of ID: the status field of `pocket-runc state ID`.
state_of() {
	pr state "$1"
	[ "$RC" = 0 ] || {
		echo "error"
		return
	}
	python3 -c 'import json,sys; print(json.loads(sys.argv[1])["status"])' "$OUT"
}

# wait_status ID STATUS: until the container reaches it (5 s at most).
wait_status() {
	local i
	for i in $(seq 50); do
		[ "$(state_of "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	fail "container $1 did not become $2 (is $(state_of "$1"))"
}

pr_stdin() {
	_bin_stdin "$PR" "$@"
}

# pr_detached OUTFILE ARGS...: pocket-runc with its stdio (and so the
# container's) on OUTFILE and /dev/null.
pr_detached() {
	local out=$1
	shift
	_pd_exec /dev/null sh -c 'exec "$@" >"$0" 2>&1 </dev/null' "$out" "$PR" --root "$T_ROOT" "$@"
}

# A long-running container: it counts in /tmp/count and says "started".
LOOP_SH='trap "echo got-term; exit 3" TERM; echo started; i=0; while :; do i=$((i+1)); echo $i >/tmp/count; sleep 0.1; done'

# create_loop ID [SCRIPT [PYTHON]]: a bundle $T_TMP/b-ID (writable root),
# created with its output in $T_TMP/ID.out and its pid in $T_TMP/ID.pid.
create_loop() {
	local id=$1 bundle=$T_TMP/b-$1
	BUNDLE_SH=${2:-$LOOP_SH} make_bundle "$bundle" "s['root']['readonly'] = False
${3:-}"
	pr_detached "$T_TMP/$id.out" create --bundle "$bundle" --pid-file "$T_TMP/$id.pid" "$id"
	assert_ok "create $id"
}

# The counter file of create_loop's command, seen from the host (the
# container's root is the bundle's rootfs, written in place).
count_of() {
	cat "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["root"]["path"])' \
		"$T_TMP/b-$1/config.json")/tmp/count"
}

# create leaves the init waiting: the pid file names it, `state` says
# created, the command has not run; start runs it; kill, then delete
# removes the state and the group.
test_runc_create_start_kill_delete() {
	need_busybox
	local id=cs-$T_TAG pid
	create_loop "$id"
	pid=$(cat "$T_TMP/$id.pid")
	[[ "$pid" =~ ^[0-9]+$ ]] || fail "the pid file holds '$pid' (decimal, no newline)"
	[ -d "/proc/$pid" ] || fail "the init $pid is not alive"
	pr state "$id"
	assert_ok
	python3 - "$OUT" "$pid" "$T_TMP/b-$id" <<'PY' || fail "the state document"
import json, sys
s = json.loads(sys.argv[1])
assert s["status"] == "created", s
assert s["pid"] == int(sys.argv[2]), s
assert s["bundle"] == sys.argv[3], s
assert s["id"].startswith("cs-") and s["ociVersion"], s
PY
	sleep 0.3
	[ ! -s "$T_TMP/$id.out" ] || fail "the command ran before start: $(cat "$T_TMP/$id.out")"
	pr start "$id"
	assert_ok "start"
	wait_for_output "$T_TMP/$id.out" started
	assert_eq "$(state_of "$id")" running "after start"
	pr start "$id"
	assert_exit 1 "start again"
	assert_contains "$ERR" "cannot start a container that is running"
	pr delete "$id"
	assert_exit 1 "delete of a running container"
	assert_contains "$ERR" "running"
	pr kill "$id" TERM
	assert_ok "kill TERM"
	wait_status "$id" stopped
	grep -q got-term "$T_TMP/$id.out" || fail "the trap did not see SIGTERM"
	pr kill "$id" KILL
	assert_exit 1 "kill of a stopped container"
	pr delete "$id"
	assert_ok "delete"
	[ ! -e "$T_ROOT/$id" ] || fail "the state directory is left"
	assert_no_group "$id"
	pr state "$id"
	assert_exit 1 "state of a deleted container"
	assert_contains "$ERR" "does not exist"
	pr delete "$id"
	assert_exit 1 "delete of a missing container"
	pr delete --force "$id"
	assert_ok "delete --force of a missing container is not an error"
}

# A created container can be deleted (its init never runs the command);
# `run -d` starts at once; `list` shows both; ids are checked; a second
# create of one id fails and leaves the first alone.
test_runc_delete_created_list_ids() {
	need_busybox
	local a=la-$T_TAG b=lb-$T_TAG pid st
	create_loop "$a"
	pid=$(cat "$T_TMP/$a.pid")
	pr_detached "$T_TMP/$b.out" run -d --bundle "$T_TMP/b-$a" "$b"
	assert_ok "run -d"
	wait_for_output "$T_TMP/$b.out" started
	pr create --bundle "$T_TMP/b-$a" "$a"
	assert_exit 1 "create of an existing id"
	assert_contains "$ERR" "already exists"
	assert_eq "$(state_of "$a")" created "the first is untouched"
	pr list
	assert_ok
	assert_match "$OUT" "^ID +PID +STATUS +BUNDLE +CREATED +OWNER" "the table's header"
	assert_contains "$OUT" "$a"
	pr list --format json
	assert_ok
	python3 - "$OUT" "$a" "$b" <<'PY' || fail "list --format json"
import json, sys
l = {s["id"]: s["status"] for s in json.loads(sys.argv[1])}
assert l == {sys.argv[2]: "created", sys.argv[3]: "running"}, l
PY
	pr list -q
	assert_eq "$OUT" "$(printf '%s\n%s' "$a" "$b")" "list -q"
	pr delete "$a"
	assert_ok "delete of a created container"
	# Read once: the harness's reaper may reap the zombie at any moment.
	st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ] && fail "the created init $pid is alive (state $st)"
	[ ! -s "$T_TMP/$a.out" ] || fail "the deleted container's command ran"
	pr delete --force "$b"
	assert_ok "delete --force of a running container"
	assert_no_group "$a"
	assert_no_group "$b"
	local bad
	for bad in "../x" "a/b" ".x" "" "$(printf 'x%.0s' $(seq 65))"; do
		pr create --bundle "$T_TMP/b-$a" "$bad"
		assert_exit 1 "create with id '$bad'"
	done
	[ -z "$(ls -A "$T_ROOT" | grep -v '^cache$')" ] || fail "state left: $(ls -A "$T_ROOT")"
}

# exec: output and status pass through; --process (a process.json, as
# podman and containerd write it); -d with a pid file; the process is in
# the container (its hostname, its group).
test_runc_exec() {
	need_busybox
	local id=ex-$T_TAG
	create_loop "$id"
	pr start "$id"
	assert_ok
	pr exec "$id" /bin/sh -c 'echo in-$(hostname); grep -c pocket-runc /proc/self/cgroup; exit 5'
	assert_exit 5 "exec's status"
	assert_line "$OUT" "in-pocket" "the container's hostname"
	pr exec --env X=42 --cwd /tmp "$id" /bin/sh -c 'echo "X=$X pwd=$(pwd)"'
	assert_ok
	assert_eq "$OUT" "X=42 pwd=/tmp"
	cat >"$T_TMP/process.json" <<'JSON'
{"terminal": false, "user": {"uid": 1000, "gid": 1000}, "args": ["/bin/sh", "-c", "echo uid=$(id -u) Y=$Y; exit 4"],
 "env": ["PATH=/bin:/usr/bin", "Y=7"], "cwd": "/", "noNewPrivileges": true,
 "capabilities": {"bounding": ["CAP_KILL"]}}
JSON
	pr exec --process "$T_TMP/process.json" "$id"
	assert_exit 4 "exec --process"
	assert_eq "$OUT" "uid=1000 Y=7"
	pr_detached "$T_TMP/exec-d.out" exec -d --pid-file "$T_TMP/exec.pid" "$id" /bin/sh -c 'echo detached; sleep 0.2'
	assert_ok "exec -d"
	[ -s "$T_TMP/exec.pid" ] || fail "no pid file for exec -d"
	wait_for_output "$T_TMP/exec-d.out" detached
	pr exec "$id" /nonexistent
	assert_exit 255 "exec of a missing command"
	assert_contains "$ERR" "no such file or directory"
	pr delete --force "$id"
	assert_ok
}

# pause freezes every process (the counter stops), ps lists them, resume
# thaws; a paused container takes SIGKILL.
test_runc_pause_resume_ps() {
	need_busybox
	local id=pz-$T_TAG pid a b
	create_loop "$id"
	pid=$(cat "$T_TMP/$id.pid")
	pr start "$id"
	assert_ok
	wait_for_output "$T_TMP/$id.out" started
	pr ps --format json "$id"
	assert_ok
	python3 -c 'import json,sys; p=json.loads(sys.argv[1]); assert int(sys.argv[2]) in p, p' "$OUT" "$pid" ||
		fail "ps --format json does not list the init"
	pr ps "$id"
	assert_ok
	assert_match "$OUT" "^PID +CMD" "ps's table"
	pr pause "$id"
	assert_ok "pause"
	assert_eq "$(state_of "$id")" paused
	a=$(count_of "$id")
	sleep 0.5
	b=$(count_of "$id")
	assert_eq "$a" "$b" "the counter while paused"
	pr pause "$id"
	assert_exit 1 "pause of a paused container"
	pr resume "$id"
	assert_ok "resume"
	assert_eq "$(state_of "$id")" running
	sleep 0.5
	b=$(count_of "$id")
	[ "$b" -gt "$a" ] || fail "the counter did not move after resume ($a, $b)"
	pr pause "$id"
	assert_ok
	pr kill "$id" KILL
	assert_ok "SIGKILL to a paused container"
	wait_status "$id" stopped
	pr delete "$id"
	assert_ok
}

# update changes the limits on the host (flags, and a resources document on
# stdin); events --stats reports the group's usage; cgroupsPath places the
# group.
test_runc_update_events_cgroups_path() {
	need_busybox
	local id=up-$T_TAG parent=pdtest-$T_TAG mem pids d
	create_loop "$id" "" "s['linux']['cgroupsPath'] = '/$parent/$id'
s['linux'].setdefault('resources', {})['memory'] = {'limit': 67108864}"
	pr start "$id"
	assert_ok
	if [ -d /sys/fs/cgroup/memory ]; then
		mem=/sys/fs/cgroup/memory/$parent/$id/memory.limit_in_bytes
		pids=/sys/fs/cgroup/pids/$parent/$id/pids.max
	else
		mem=/sys/fs/cgroup/$parent/$id/memory.max
		pids=/sys/fs/cgroup/$parent/$id/pids.max
	fi
	assert_file_content "$mem" 67108864 "the group is at cgroupsPath, with the limit"
	pr update --memory 100663296 "$id"
	assert_ok "update --memory"
	assert_file_content "$mem" 100663296 "the limit after update"
	pr_stdin '{"pids": {"limit": 33}}' update --resources - "$id"
	assert_ok "update --resources -"
	assert_file_content "$pids" 33 "the pids limit after update"
	pr events --stats "$id"
	assert_ok "events --stats"
	python3 - "$OUT" <<'PY' || fail "the stats line"
import json, sys
e = json.loads(sys.argv[1])
assert e["type"] == "stats", e
assert e["data"]["memory"]["usage"]["limit"] == 100663296, e
assert e["data"]["pids"]["current"] >= 1, e
PY
	pr delete --force "$id"
	assert_ok
	for d in /sys/fs/cgroup/*/"$parent"/"$id" /sys/fs/cgroup/"$parent"/"$id"; do
		[ -d "$d" ] && fail "group '$d' left behind"
	done
	rmdir /sys/fs/cgroup/*/"$parent" /sys/fs/cgroup/"$parent" 2>/dev/null
	return 0
}

# Hooks run with the state on stdin, in the runtime's namespaces: prestart
# and createRuntime at create, poststart after start, poststop at delete;
# a failing createRuntime hook fails create and leaves nothing.
test_runc_hooks() {
	need_busybox
	local id=hk-$T_TAG h=$T_TMP/hook.sh
	cat >"$h" <<HOOK
#!/bin/sh
cat >"$T_TMP/hook-\$1.json"
echo "\$1 \$HOOKVAR" >>"$T_TMP/hooks.log"
HOOK
	chmod +x "$h"
	create_loop "$id" "" "s['hooks'] = {k: [{'path': '$h', 'args': ['hook.sh', k], 'env': ['HOOKVAR=v']}] for k in ('prestart', 'createRuntime', 'poststart', 'poststop')}"
	assert_eq "$(cat "$T_TMP/hooks.log")" "$(printf 'prestart v\ncreateRuntime v')" "hooks at create"
	python3 - "$T_TMP/hook-createRuntime.json" "$(cat "$T_TMP/$id.pid")" <<'PY' || fail "the state a hook reads"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["status"] == "created" and s["pid"] == int(sys.argv[2]), s
PY
	pr start "$id"
	assert_ok
	pr delete --force "$id"
	assert_ok
	assert_eq "$(cat "$T_TMP/hooks.log")" "$(printf 'prestart v\ncreateRuntime v\npoststart v\npoststop v')" \
		"every hook, in order"
	local id2=hf-$T_TAG
	BUNDLE_SH=true make_bundle "$T_TMP/b-$id2" "s['hooks'] = {'createRuntime': [{'path': '/bin/sh', 'args': ['sh', '-c', 'echo hook-said-no >&2; exit 3']}]}"
	pr create --bundle "$T_TMP/b-$id2" "$id2"
	assert_exit 1 "a failing createRuntime hook"
	assert_contains "$ERR" "hook-said-no"
	[ ! -e "$T_ROOT/$id2" ] || fail "the failed create left its state"
	assert_no_group "$id2"
}

# process.terminal: the pty master reaches --console-socket by SCM_RIGHTS,
# and the container's stdio is the pty.
test_runc_console_socket() {
	need_busybox
	local id=tt-$T_TAG recv
	BUNDLE_SH='tty; echo done' make_bundle "$T_TMP/b-$id" "s['process']['terminal'] = True"
	python3 - "$T_TMP/console.sock" "$T_TMP/console.out" <<'PY' &
import array, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
s.settimeout(30)
c, _ = s.accept()
fds = array.array("i")
msg, anc, _, _ = c.recvmsg(1024, socket.CMSG_LEN(4))
for level, kind, data in anc:
    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
        fds.frombytes(data[:4])
out = b""
while b"done" not in out:
    try:
        b = os.read(fds[0], 4096)
    except OSError:
        break
    if not b:
        break
    out += b
open(sys.argv[2], "wb").write(msg + b"|" + out)
PY
	recv=$!
	for _ in $(seq 50); do
		[ -S "$T_TMP/console.sock" ] && break
		sleep 0.1
	done
	pr create --bundle "$T_TMP/b-$id" --console-socket "$T_TMP/console.sock" "$id"
	assert_ok "create with a console socket"
	pr start "$id"
	assert_ok
	wait "$recv"
	assert_contains "$(cat "$T_TMP/console.out")" "/dev/pts/0" "the command's terminal"
	pr delete --force "$id"
	assert_ok
	BUNDLE_SH=true make_bundle "$T_TMP/b-x$id" "s['process']['terminal'] = True"
	pr create --bundle "$T_TMP/b-x$id" "x$id"
	assert_exit 1 "a terminal without a console socket"
	assert_contains "$ERR" "console-socket"
}

# The bundle's rootfs is used in place but nodev: a node the container
# makes there (it holds CAP_MKNOD here) cannot open a host device; the
# runtime's own /dev/null still works.
test_runc_rootfs_nodev() {
	need_busybox
	local id=nd-$T_TAG
	BUNDLE_SH='mknod /dn c 1 3 && echo made; echo x >/dn 2>/dev/null && echo opened || echo refused; echo y >/dev/null && echo null-ok' \
		make_bundle "$T_TMP/b-$id" "s['root']['readonly'] = False
for k in ('bounding', 'effective', 'permitted'):
    s['process']['capabilities'][k].append('CAP_MKNOD')
s['process']['capabilities']['ambient'] = []"
	pr run --bundle "$T_TMP/b-$id" "$id"
	assert_ok
	assert_eq "$OUT" "$(printf 'made\nrefused\nnull-ok')" "a device node in the rootfs"
}

# A hostile bundle and a careless caller: a container that exits before
# start cannot be started (and says why); a symlink in the rootfs cannot
# send a bind mount's destination or a masked path out of the root.
test_runc_hostile_bundle() {
	need_busybox
	local id=hb-$T_TAG rootfs pid
	create_loop "$id" 'exit 0'
	wait_status "$id" created
	pid=$(cat "$T_TMP/$id.pid")
	kill -9 "$pid"
	wait_status "$id" stopped
	pr start "$id"
	assert_exit 1 "start of a container whose init died"
	assert_contains "$ERR" "stopped"
	pr delete "$id"
	assert_ok
	mkdir -p "$T_TMP/outside" "$T_TMP/src"
	echo secret >"$T_TMP/outside/f"
	BUNDLE_SH='ls /etc/evil; ls /proc/evil 2>&1 | head -1' make_bundle "$T_TMP/b-s$id" "s['mounts'].append({'destination': '/etc/evil', 'type': 'bind', 'source': '$T_TMP/src', 'options': ['rbind']})
s['linux']['maskedPaths'] = ['/proc/kcore', '/etc/passwd-link']"
	rootfs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["root"]["path"])' "$T_TMP/b-s$id/config.json")
	rm -rf "$rootfs/etc/evil"
	ln -s "$T_TMP/outside" "$rootfs/etc/evil"
	ln -s "$T_TMP/outside/f" "$rootfs/etc/passwd-link"
	pr run --bundle "$T_TMP/b-s$id" "s$id"
	[ "$(cat "$T_TMP/outside/f")" = secret ] || fail "a file outside the root changed"
	grep -qF "$T_TMP/outside" /proc/self/mountinfo && fail "a mount landed outside the root"
	return 0
}

# A pod, as Kubernetes makes one through the CRI: a sandbox container, and
# a second that joins its network, IPC and UTS namespaces by path (its
# hostname is the sandbox's).  A path of the wrong kind is refused by name.
test_runc_join_namespaces() {
	need_busybox
	local a=sb-$T_TAG b=app-$T_TAG pid ns want
	create_loop "$a" "" "s['hostname'] = 'sandbox'"
	pr start "$a"
	assert_ok
	pid=$(cat "$T_TMP/$a.pid")
	want=$(for ns in net ipc uts; do readlink "/proc/$pid/ns/$ns"; done)
	BUNDLE_SH='hostname; for ns in net ipc uts; do readlink /proc/self/ns/$ns; done' make_bundle "$T_TMP/b-$b" "
s.pop('hostname', None)
for n in s['linux']['namespaces']:
    if n['type'] in ('network', 'ipc', 'uts'):
        n['path'] = '/proc/$pid/ns/' + {'network': 'net'}.get(n['type'], n['type'])
if not any(n['type'] == 'network' for n in s['linux']['namespaces']):
    s['linux']['namespaces'].append({'type': 'network', 'path': '/proc/$pid/ns/net'})"
	pr run --bundle "$T_TMP/b-$b" "$b"
	assert_ok "run in the sandbox's namespaces"
	assert_eq "$OUT" "$(printf 'sandbox\n%s' "$want")" "the joined namespaces"
	python3 - "$T_TMP/b-$b/config.json" "$pid" <<'PY' || fail "edit"
import json, sys
s = json.load(open(sys.argv[1]))
for n in s["linux"]["namespaces"]:
    if n["type"] == "network":
        n["path"] = "/proc/%s/ns/uts" % sys.argv[2]
json.dump(s, open(sys.argv[1], "w"))
PY
	pr run --bundle "$T_TMP/b-$b" "x$b"
	assert_exit 1 "a uts namespace given as the network's"
	assert_contains "$ERR" "is not a network namespace"
	[ ! -e "$T_ROOT/x$b" ] || fail "the refused container left its state"
	pr delete --force "$a"
	assert_ok
}

# Two `start`s at once: one starts the container, the other says it is
# running (the directory's lock); the command runs once.
test_runc_concurrent_start() {
	need_busybox
	local id=cc-$T_TAG ok=0 i
	create_loop "$id" 'echo started; exec sleep 100'
	local pids=()
	for i in 1 2 3 4; do
		"$PR" --root "$T_ROOT" start "$id" >/dev/null 2>"$T_TMP/start$i.err" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" && ok=$((ok + 1))
	done
	assert_eq "$ok" 1 "starts that succeeded"
	wait_for_output "$T_TMP/$id.out" started
	sleep 0.3
	assert_eq "$(grep -c started "$T_TMP/$id.out")" 1 "the command ran once"
	pr delete --force "$id"
	assert_ok
}

# Until `start` the init is the runtime's own image as the container's
# PID 1: nothing may be run in the container then (a process there could
# open /proc/1/exe and overwrite the runtime's binary, the CVE-2019-5736
# class), nor in a paused one (it would hang in the frozen group).
test_runc_exec_only_when_running() {
	need_busybox
	local id=xr-$T_TAG bin=$T_TMP/bin2 sum
	mkdir -p "$bin"
	cp "$PD" "$bin/pocket-docker"
	ln -s pocket-docker "$bin/pocket-runc"
	sum=$(sha256sum <"$bin/pocket-docker")
	create_loop "$id"
	_pd_exec /dev/null "$bin/pocket-runc" --root "$T_ROOT" exec -d "$id" /bin/sh -c \
		'exec 5</proc/1/exe; until echo PWNED >>/proc/self/fd/5; do sleep .1; done'
	assert_exit 255 "exec into a created container"
	assert_contains "$ERR" "cannot exec in a container that is created"
	pr start "$id"
	assert_ok
	wait_for_output "$T_TMP/$id.out" started
	sleep 0.5
	assert_eq "$(sha256sum <"$bin/pocket-docker")" "$sum" "the runtime's binary after start"
	pr pause "$id"
	assert_ok
	pr exec "$id" /bin/true
	assert_exit 255 "exec into a paused container"
	assert_contains "$ERR" "cannot exec in a container that is paused"
	pr delete --force "$id"
	assert_ok
}

# A created container ends on SIGTERM (its init has no handler yet: the
# kernel would drop it); `create` with stdin closed gives the container
# /dev/null there, never a file of the runtime's.
test_runc_created_term_and_closed_stdin() {
	need_busybox
	local id=ct-$T_TAG
	create_loop "$id"
	pr kill "$id" TERM
	assert_ok
	wait_status "$id" stopped
	pr delete "$id"
	assert_ok
	BUNDLE_SH='readlink /proc/self/fd/0; exec sleep 100' make_bundle "$T_TMP/b-c$id" "s['root']['readonly'] = False"
	_pd_exec /dev/null sh -c 'exec "$@" >"$0" 2>&1 <&-' "$T_TMP/c$id.out" \
		"$PR" --root "$T_ROOT" create --bundle "$T_TMP/b-c$id" "c$id"
	assert_ok "create with stdin closed"
	pr start "c$id"
	assert_ok "start (no lock held by the init)"
	wait_for_output "$T_TMP/c$id.out" /dev/null
	pr delete --force "c$id"
	assert_ok
}

# What a `create` that died leaves (a directory with no state, or a state
# with no init yet) is removed by `delete --force`; a namespace path that is
# a FIFO is refused at once, never opened.
test_runc_leftovers_and_fifo_namespace() {
	need_busybox
	mkdir -p "$T_ROOT/dead1-$T_TAG"
	pr delete --force "dead1-$T_TAG"
	assert_ok "delete --force of a directory with no state"
	[ ! -e "$T_ROOT/dead1-$T_TAG" ] || fail "the directory is left"
	local id=ff-$T_TAG
	mkfifo "$T_TMP/netns-fifo"
	BUNDLE_SH=true make_bundle "$T_TMP/b-$id" "
for n in s['linux']['namespaces']:
    if n['type'] == 'network':
        n['path'] = '$T_TMP/netns-fifo'"
	pr create --bundle "$T_TMP/b-$id" "$id"
	assert_exit 1 "a FIFO as the network namespace"
	assert_contains "$ERR" "is not a network namespace"
	[ ! -e "$T_ROOT/$id" ] || fail "the refused create left its state"
}

# A foreground `run` passes SIGTERM on to the container and removes it
# after; exec's oomScoreAdj applies; exec -d with a pid file it cannot write
# fails at once and leaves no process.
test_runc_run_signals_exec_oom_pidfile() {
	need_busybox
	local id=rs-$T_TAG pr_pid i
	BUNDLE_SH='trap "echo got-term; exit 3" TERM; echo started; while :; do sleep 0.1; done' \
		make_bundle "$T_TMP/b-$id" "s['root']['readonly'] = False"
	"$PR" --root "$T_ROOT" run --bundle "$T_TMP/b-$id" "$id" >"$T_TMP/$id.out" 2>&1 </dev/null &
	pr_pid=$!
	wait_for_output "$T_TMP/$id.out" started
	kill -TERM "$pr_pid"
	wait "$pr_pid"
	assert_eq "$?" 3 "run's status after SIGTERM"
	grep -q got-term "$T_TMP/$id.out" || fail "the container did not get SIGTERM"
	[ ! -e "$T_ROOT/$id" ] || fail "the container is left after run"
	create_loop "o$id" 'echo started; exec sleep 1000'
	pr start "o$id"
	assert_ok
	cat >"$T_TMP/p.json" <<'JSON'
{"args": ["/bin/cat", "/proc/self/oom_score_adj"], "cwd": "/", "user": {"uid": 0, "gid": 0}, "oomScoreAdj": 500}
JSON
	pr exec --process "$T_TMP/p.json" "o$id"
	assert_ok
	assert_eq "$OUT" 500 "exec's oomScoreAdj"
	SECONDS=0
	pr exec -d --pid-file "$T_TMP/no/such/dir/pid" "o$id" /bin/sh -c 'echo exec-ran; exec sleep 30'
	assert_exit 255 "exec -d with an unwritable pid file"
	[ "$SECONDS" -le 3 ] || fail "exec -d waited for the command ($SECONDS s)"
	for i in $(seq 20); do
		pr ps --format json "o$id"
		[ "$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$OUT")" = 1 ] && break
		sleep 0.1
	done
	assert_eq "$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$OUT")" 1 \
		"processes in the container after the failed exec"
	pr delete --force "o$id"
	assert_ok
}


# Namespaced sysctls are set in the container's namespaces, the host's
# stay as they were; a host-wide one is refused.  The domain name too.
test_runc_sysctl_domainname() {
	need_busybox
	local id=sy-$T_TAG host_shm host_port
	host_shm=$(cat /proc/sys/kernel/shmmni)
	host_port=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
	BUNDLE_SH='cat /proc/sys/kernel/shmmni /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/domainname' \
		make_bundle "$T_TMP/b-$id" "s['linux']['sysctl'] = {'kernel.shmmni': '1234', 'net.ipv4.ip_unprivileged_port_start': '80'}
s['domainname'] = 'pod.example'"
	pr run --bundle "$T_TMP/b-$id" "$id"
	assert_ok
	assert_eq "$OUT" "$(printf '1234\n80\npod.example')" "the sysctls and the domain name inside"
	assert_file_content /proc/sys/kernel/shmmni "$host_shm" "the host's kernel.shmmni"
	assert_file_content /proc/sys/net/ipv4/ip_unprivileged_port_start "$host_port" "the host's port start"
	BUNDLE_SH=true make_bundle "$T_TMP/b-x$id" "s['linux']['sysctl'] = {'kernel.panic': '1'}"
	pr run --bundle "$T_TMP/b-x$id" "x$id"
	assert_exit 1 "a host-wide sysctl"
	assert_contains "$ERR" "'kernel.panic' is not namespaced"
}


# process.user.umask, linux.personality LINUX32, a device of the host's by
# number (podman's --device), and --systemd-cgroup's slice:prefix:name.
test_runc_umask_personality_device_systemd() {
	need_busybox
	local id=up2-$T_TAG made=""
	BUNDLE_SH='umask; uname -m; echo x >/dev/mynull && echo wrote-null; ls -l /dev/mynull | cut -c1' \
		make_bundle "$T_TMP/b-$id" "s['process']['user']['umask'] = 0o77
s['linux']['personality'] = {'domain': 'LINUX32'}
s['linux']['devices'] = [{'path': '/dev/mynull', 'type': 'c', 'major': 1, 'minor': 3, 'fileMode': 0o20666, 'uid': 0, 'gid': 0}]
s['linux']['resources'] = {'memory': {'limit': 50331648}}
s['linux']['cgroupsPath'] = 'pdt$T_TAG.slice:pdt:$id'"
	[ -d /sys/fs/cgroup/memory ] && [ ! -d "/sys/fs/cgroup/memory/pdt$T_TAG.slice" ] && made=1
	_pd_exec /dev/null "$PR" --root "$T_ROOT" --systemd-cgroup run --bundle "$T_TMP/b-$id" "$id"
	assert_ok
	assert_eq "$OUT" "$(printf '0077\ni686\nwrote-null\nc')" "umask, personality and the device"
	BUNDLE_SH='cat /proc/self/cgroup | grep -c memory; exec sleep 100' make_bundle "$T_TMP/b-s$id" \
		"s['linux']['resources'] = {'memory': {'limit': 50331648}}
s['linux']['cgroupsPath'] = 'pdt$T_TAG.slice:pdt:s$id'"
	_pd_exec /dev/null sh -c 'exec "$@" >/dev/null 2>&1 </dev/null' x "$PR" --root "$T_ROOT" --systemd-cgroup \
		run -d --bundle "$T_TMP/b-s$id" "s$id"
	assert_ok "run -d --systemd-cgroup"
	if [ -d /sys/fs/cgroup/memory ]; then
		assert_file_content "/sys/fs/cgroup/memory/pdt$T_TAG.slice/pdt-s$id.scope/memory.limit_in_bytes" \
			50331648 "the group of slice:prefix:name"
	else
		assert_file_content "/sys/fs/cgroup/pdt$T_TAG.slice/pdt-s$id.scope/memory.max" 50331648
	fi
	pr delete --force "s$id"
	assert_ok
	rmdir /sys/fs/cgroup/*/"pdt$T_TAG.slice" /sys/fs/cgroup/"pdt$T_TAG.slice" 2>/dev/null
	return 0
}


# The resources beyond the first ones, on this host's hierarchies: the
# memory reservation, swappiness and the CFS burst at create, changed by
# update; a field the host cannot honour is refused by name.
test_runc_more_resources() {
	need_busybox
	[ -d /sys/fs/cgroup/memory ] || skip "needs the v1 memory controller (v2 is covered in the VM)"
	local id=mr-$T_TAG g
	create_loop "$id" 'echo started; exec sleep 100' "s['linux']['resources'] = {'memory': {'limit': 134217728, 'reservation': 67108864, 'swappiness': 10}, 'cpu': {'quota': 50000, 'period': 100000, 'burst': 10000}}"
	g=/sys/fs/cgroup/memory/pocket-runc/$id
	assert_file_content "$g/memory.soft_limit_in_bytes" 67108864 "memory.reservation"
	assert_file_content "$g/memory.swappiness" 10 "memory.swappiness"
	if [ -e "/sys/fs/cgroup/cpu/pocket-runc/$id/cpu.cfs_burst_us" ]; then
		assert_file_content "/sys/fs/cgroup/cpu/pocket-runc/$id/cpu.cfs_burst_us" 10000 "cpu.burst"
	fi
	pr start "$id"
	assert_ok
	pr_stdin '{"memory": {"reservation": 33554432}}' update --resources - "$id"
	assert_ok "update of the reservation"
	assert_file_content "$g/memory.soft_limit_in_bytes" 33554432 "memory.reservation after update"
	pr_stdin '{"unified": {"memory.high": "1000000"}}' update --resources - "$id"
	assert_exit 1 "unified on a host whose limits are v1"
	assert_contains "$ERR" "unified"
	pr delete --force "$id"
	assert_ok
	assert_no_group "$id"
}


# --preserve-fds N: the caller's fds 3..3+N-1 reach the command (systemd
# socket activation, podman run --preserve-fds), no other fd of theirs
# does; a number past what is open is refused.
test_runc_preserve_fds() {
	need_busybox
	local id=pf-$T_TAG
	BUNDLE_SH='echo via-fd3 >&3; [ -e /proc/self/fd/4 ] && echo fd4-leaked; [ -e /proc/self/fd/3 ] && echo has-fd3' \
		make_bundle "$T_TMP/b-$id" ""
	_pd_exec /dev/null sh -c 'exec "$@" 3>"$0.fd3" 4>"$0.fd4"' "$T_TMP/out" \
		"$PR" --root "$T_ROOT" run --preserve-fds 1 --bundle "$T_TMP/b-$id" "$id"
	assert_ok "run --preserve-fds 1"
	assert_file_content "$T_TMP/out.fd3" via-fd3 "what the container wrote to fd 3"
	assert_not_contains "$OUT" fd4-leaked "fd 4 was not preserved"
	assert_eq "$OUT" "has-fd3" "the command's fds"
	_pd_exec /dev/null sh -c 'exec "$@" 3>/dev/null' x "$PR" --root "$T_ROOT" run --preserve-fds 2 \
		--bundle "$T_TMP/b-$id" "x$id"
	assert_exit 1 "--preserve-fds past the open fds"
	assert_contains "$ERR" "fd 4 is not open"
}

run_tests "$@"
