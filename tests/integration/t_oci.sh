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

test_dump_spec_runs_under_runc() {
	need_busybox
	need_cmd runc
	local flags bundle
	mkdir -p "$T_TMP/vol" && echo one >"$T_TMP/vol/file"
	flags=(--hostname web -w /tmp -e A=1 -m 64m --pids-limit 50 -v "$T_TMP/vol:/data:ro"
		--tmpfs /scratch:size=1m --cap-drop NET_RAW --rootfs "$BUSYBOX_DIR")
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

run_tests "$@"
