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
# pocket-runc (the same binary under runc's name), phase 1: spec, run.

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
	[ -z "$(ls -A "$T_ROOT/containers" 2>/dev/null)" ] || fail "a container was left in the state root"
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
s['process']['rlimits'] = [{'type': 'RLIMIT_NOFILE', 'hard': 64, 'soft': 64}]"
	pr run -b "$bundle" "rl-$T_TAG"
	assert_exit 1 "a bundle with rlimits"
	assert_contains "$ERR" "process.rlimits: not supported yet" "the error names the field"
	rm -f "$bundle/config.json"
	make_bundle "$bundle" "s['process']['args'] = ['/bin/true']
s['hooks'] = {'prestart': [{'path': '/bin/true'}]}"
	_pd_exec /dev/null "$PR" --root "$T_ROOT" --log "$T_TMP/log.json" --log-format=json run -b "$bundle" "hk-$T_TAG"
	assert_exit 1 "a bundle with a hook"
	assert_contains "$ERR" "hooks.prestart: not supported yet"
	python3 - "$T_TMP/log.json" <<'PY' || fail "the json log line"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
e = json.loads(lines[0])
assert e["level"] == "error", e
assert "hooks.prestart: not supported yet" in e["msg"], e
assert e["time"].endswith("Z"), e
PY
	_pd_exec /dev/null "$PR" --root "$T_ROOT" --log "$T_TMP/log.txt" run --bundle="$bundle" "hk-$T_TAG"
	assert_exit 1 "--log in text"
	grep -q 'level=error msg="hooks.prestart: not supported yet"' "$T_TMP/log.txt" || fail "the text log line"
	[ -z "$(ls -A "$T_ROOT/containers" 2>/dev/null)" ] || fail "a refused bundle made a container"
}

# The commands of the next phase say so; spec never overwrites a bundle's
# document; run -d is refused.
test_runc_face_refusals() {
	need_busybox
	local c
	for c in create start state kill delete exec ps pause resume update list events; do
		pr "$c" x
		assert_exit 1 "pocket-runc $c"
		assert_eq "$ERR" "pocket-runc: '$c' is not supported yet (this build runs bundles with 'run' only)"
	done
	local bundle=$T_TMP/bundle
	make_bundle "$bundle" ""
	pr spec -b "$bundle"
	assert_exit 1 "spec over an existing config.json"
	assert_contains "$ERR" "exists"
	pr run -d -b "$bundle" "d-$T_TAG"
	assert_exit 1 "run -d"
	pr --systemd-cgroup --debug features
	assert_ok "features"
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["ociVersionMax"]' "$OUT" ||
		fail "features is not the spec's JSON"
	pr --version
	assert_ok
	assert_contains "$OUT" "pocket-runc version"
}

# Rootless: `spec --rootless` then `run` as a user with a subordinate
# range; the runtime makes its own mapping (the caller as root).  As root,
# the same document (a user namespace) is refused, naming why.
test_runc_rootless() {
	need_busybox
	rootless_prepare pdtest yes
	ln -s pocket-docker "$T_TMP/bin/pocket-runc"
	local bundle=$T_TMP/rl
	mkdir -p "$bundle" && chown pdtest: "$bundle"
	_pd_exec /dev/null setpriv --reuid=pdtest --regid=pdtest --init-groups \
		env HOME=/home/pdtest XDG_RUNTIME_DIR= "$T_TMP/bin/pocket-runc" --root "$T_ROOT" spec --rootless -b "$bundle"
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
		env HOME=/home/pdtest XDG_RUNTIME_DIR= "$T_TMP/bin/pocket-runc" --root "$T_ROOT" run -b "$bundle" "rl-$T_TAG"
	assert_exit 4 "rootless pocket-runc run"
	assert_line "$OUT" "uid=0" "root in the user namespace"
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

run_tests "$@"
