#!/bin/bash
# Files and archives the image controls are untrusted input: an image's
# /etc/passwd or /etc/group that is a FIFO, a link to a device or huge; a
# health check whose exec cannot run; import archives whose members are
# FIFOs or symlinks, with very many long directory names or very deep
# paths; temporary trees of failed extractions; and trees thousands of
# directories deep that `rm -f` and `prune` must remove with few fds.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# A private copy of the busybox rootfs in $T_TMP/rootfs.
_rootfs() {
	need_busybox
	copy_busybox_rootfs "$T_TMP/rootfs"
	ROOTFS=$T_TMP/rootfs
}

# Run pocket-docker with a shorter command timeout: a hang is the bug.
_quick() {
	local saved=$CMD_TIMEOUT
	CMD_TIMEOUT=20
	pd "$@"
	CMD_TIMEOUT=$saved
	case $RC in 124 | 137) fail "'$*' hung (timed out after 20s)" ;; esac
}

# With the limit of open files at 1024, as a user's shell often has.
_pd_few_fds() {
	_pd_exec /dev/null bash -c 'ulimit -n 1024 && exec "$@"' _ "$PD" --root "$T_ROOT" "$@"
}

_passwd_refused() {
	# _passwd_refused FILE WORDS: run -u root fails at once with one line.
	_quick run --rm -u root --rootfs "$ROOTFS" /bin/echo ran
	assert_exit 125 "run -u root with $1 $2"
	assert_error_line "run -u root with $1 $2"
	assert_contains "$ERR" "'$1' in the container" "the error names the file"
	assert_not_contains "$OUT" ran "the command must not run"
}

test_passwd_fifo_refused() {
	_rootfs
	rm "$ROOTFS/etc/passwd" && mkfifo "$ROOTFS/etc/passwd"
	_passwd_refused /etc/passwd "a FIFO"
	assert_contains "$ERR" "is not a regular file" "message"
}

test_group_fifo_refused() {
	_rootfs
	rm -f "$ROOTFS/etc/group" && mkfifo "$ROOTFS/etc/group"
	_passwd_refused /etc/group "a FIFO"
}

test_passwd_symlink_to_dev_zero_refused() {
	_rootfs
	rm "$ROOTFS/etc/passwd" && ln -s /dev/zero "$ROOTFS/etc/passwd"
	_passwd_refused /etc/passwd "a symlink to /dev/zero"
	assert_contains "$ERR" "is not a regular file" "message"
}

test_passwd_huge_refused() {
	_rootfs
	# Sparse: 200 MB of NULs on disk costs nothing.
	truncate -s 200M "$ROOTFS/etc/passwd"
	_passwd_refused /etc/passwd "of 200 MB"
	assert_contains "$ERR" "larger than 4 MiB" "message"
}

test_passwd_symlink_to_file_still_works() {
	# Some images keep the account files elsewhere and link them: a link to
	# a regular file inside the container is followed.
	_rootfs
	mkdir -p "$ROOTFS/usr/lib/accounts"
	mv "$ROOTFS/etc/passwd" "$ROOTFS/usr/lib/accounts/passwd"
	ln -s ../usr/lib/accounts/passwd "$ROOTFS/etc/passwd"
	local user
	user=$(awk -F: '$3 != 0 { print $1; exit }' "$ROOTFS/usr/lib/accounts/passwd")
	[ -n "$user" ] || skip "the busybox rootfs has no user but root"
	_quick run --rm -u "$user" --rootfs "$ROOTFS" /bin/sh -c 'id -u'
	assert_ok "run -u $user with /etc/passwd a symlink to a file"
	assert_out "$(awk -F: -v u="$user" '$1 == u { print $3 }' "$ROOTFS/usr/lib/accounts/passwd")"
}

test_exec_user_with_fifo_passwd_fails_fast() {
	need_busybox
	allow_containers_left
	# The running container swaps its own /etc/passwd for a FIFO.
	pd run -d --name swap --rootfs "$BUSYBOX_DIR" /bin/sh -c \
		'rm /etc/passwd && mkfifo /etc/passwd && touch /tmp/ready; sleep 100'
	assert_ok
	# Seen from the host (any exec now resolves the user in the FIFO).
	local i=0
	until [ -n "$(find "$T_ROOT/containers" -path '*/upper/tmp/ready' 2>/dev/null)" ]; do
		i=$((i + 1))
		[ "$i" -lt 100 ] || fail "the container did not swap its /etc/passwd"
		sleep 0.1
	done
	_quick exec -u root swap /bin/echo ran
	assert_exit 125 "exec -u root with a FIFO /etc/passwd"
	assert_error_line "exec -u root with a FIFO /etc/passwd"
	assert_contains "$ERR" "'/etc/passwd' in the container is not a regular file" "message"
	pd rm -f swap
	assert_ok
}

test_health_check_with_fifo_passwd_turns_unhealthy() {
	need_busybox
	allow_containers_left
	# Every check's exec resolves the user "root" in /etc/passwd, which
	# the container makes a FIFO: the check cannot run, so it fails (it
	# used to hang in its setup, leaving the container "starting").
	pd run -d --name sick -u root --health-cmd true --health-interval 300ms --health-timeout 1s \
		--health-retries 2 --rootfs "$BUSYBOX_DIR" /bin/sh -c \
		'rm /etc/passwd && mkfifo /etc/passwd; sleep 100'
	assert_ok
	local i=0 status=
	while [ "$i" -lt 40 ]; do
		pd inspect sick
		status=$(echo "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["State"].get("Health", {}).get("Status", ""))' 2>/dev/null)
		[ "$status" = unhealthy ] && break
		sleep 0.25
		i=$((i + 1))
	done
	assert_eq unhealthy "$status" "health status with a FIFO /etc/passwd"
	echo "$OUT" | python3 -c '
import json, sys
h = json.load(sys.stdin)[0]["State"]["Health"]
assert h["FailingStreak"] >= 2, h
assert all(l["ExitCode"] != 0 for l in h["Log"]), h["Log"]
' || fail "State.Health is not as expected: $OUT"
	pd rm -f sick
	assert_ok
}

# _docker_archive OUT MODE: a docker-save archive of the busybox rootfs
# whose MODE member is hostile:
#   layer-fifo     layer.tar is a FIFO
#   config-fifo    config.json is a FIFO
#   layer-symlink  layer.tar is a symlink to a FIFO
#   oci-blob-fifo  (an OCI layout) the layer blob is a FIFO
#   longdirs       the layer holds 20,000 directories under a 1,900-deep prefix
#   deeppaths      the layer holds 60 files, each 1,900 directories deep
#   deeptree       the archive itself holds a tree 3,000 directories deep
#                  (through a symlink, as names stop at PATH_MAX)
_docker_archive() {
	python3 - "$1" "$2" "$BUSYBOX_TAR" <<'EOF'
import hashlib, io, json, sys, tarfile
out, mode, bb = sys.argv[1], sys.argv[2], sys.argv[3]
def member(t, name, data=None, kind=None, link=None):
    ti = tarfile.TarInfo(name)
    ti.mode = 0o644
    if kind:
        ti.type = kind
        if kind == tarfile.DIRTYPE:
            ti.mode = 0o755
        if link is not None:
            ti.linkname = link
        t.addfile(ti)
    else:
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
def layer(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        entries(t)
    return buf.getvalue()
deep = "a/" * 1900
def longdirs(t):
    for k in range(20000):
        member(t, deep + f"d{k}", kind=tarfile.DIRTYPE)
def deeppaths(t):
    for k in range(60):
        member(t, f"x{k}/" + deep + "f", b"")
lb = open(bb, "rb").read()
if mode == "longdirs":
    lb = layer(longdirs)
elif mode == "deeppaths":
    lb = layer(deeppaths)
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]},
                  "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(lb).hexdigest()]}}).encode()
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    if mode == "oci-blob-fifo":
        lh = hashlib.sha256(lb).hexdigest()
        ch = hashlib.sha256(cfg).hexdigest()
        man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + ch, "size": len(cfg)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + lh, "size": len(lb)}]}).encode()
        mh = hashlib.sha256(man).hexdigest()
        member(t, "oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
        member(t, "index.json", json.dumps({"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + mh, "size": len(man)}]}).encode())
        member(t, "blobs/sha256/" + ch, cfg)
        member(t, "blobs/sha256/" + mh, man)
        member(t, "blobs/sha256/" + lh, kind=tarfile.FIFOTYPE)
        sys.exit(0)
    if mode == "config-fifo":
        member(t, "config.json", kind=tarfile.FIFOTYPE)
    else:
        member(t, "config.json", cfg)
    if mode == "layer-fifo":
        member(t, "layer.tar", kind=tarfile.FIFOTYPE)
    elif mode == "layer-symlink":
        member(t, "fifo", kind=tarfile.FIFOTYPE)
        member(t, "layer.tar", kind=tarfile.SYMTYPE, link="fifo")
    else:
        member(t, "layer.tar", lb)
    if mode == "deeptree":
        member(t, "deep/" + "a/" * 1499 + "a", kind=tarfile.DIRTYPE)
        member(t, "s", kind=tarfile.SYMTYPE, link="deep/" + "a/" * 1499 + "a")
        member(t, "s/" + "b/" * 1499 + "b", kind=tarfile.DIRTYPE)
    member(t, "manifest.json", json.dumps([{"Config": "config.json", "Layers": ["layer.tar"],
                                            "RepoTags": ["hostile/" + mode + ":1"]}]).encode())
EOF
	[ $? -eq 0 ] || fail "could not build the $2 archive"
}

# Nothing of a failed import may stay: no temp tree, no blob, no layer.
_nothing_left() {
	local m
	m=$(find "$T_ROOT/images/tmp" "$T_ROOT/layers" -mindepth 1 -maxdepth 1 2>/dev/null | grep -v '\.lock$')
	[ -z "$m" ] || fail "$1: left behind: $m"
	m=$(find "$T_ROOT/images/blobs" -type f 2>/dev/null)
	[ -z "$m" ] || fail "$1: blobs left behind: $m"
}

test_import_fifo_members_refused() {
	need_busybox
	local mode
	for mode in layer-fifo config-fifo layer-symlink oci-blob-fifo; do
		_docker_archive "$T_TMP/$mode.tar" "$mode"
		_quick import "$T_TMP/$mode.tar"
		assert_exit 1 "import with $mode"
		assert_error_line "import with $mode"
		assert_contains "$ERR" "not a regular file" "import with $mode"
		_nothing_left "import with $mode"
	done
}

test_import_many_long_directory_names_is_bounded() {
	need_busybox
	need_cmd /usr/bin/time
	# 20,000 directories under a 1,900-deep prefix: some 80 MB of paths
	# were kept for the final metadata pass (100,000 such: 400 MB).
	_docker_archive "$T_TMP/longdirs.tar" longdirs
	_pd_exec /dev/null /usr/bin/time -f 'maxrss %M' "$PD" --root "$T_ROOT" import "$T_TMP/longdirs.tar"
	assert_exit 1 "import of 20,000 long directory names"
	assert_contains "$ERR" "MiB of directory metadata" "the error names the limit"
	local rss
	rss=$(sed -n 's/^maxrss //p' "$ERR_FILE")
	echo "peak RSS: $rss KB" >&2
	if [ -n "${ASAN_OPTIONS:-}" ]; then
		# An AddressSanitizer build's own shadow memory and quarantine
		# dwarf what is measured here: only the error is checked.
		echo "peak RSS not bounded under AddressSanitizer" >&2
	else
		[ "$rss" -lt 80000 ] || fail "the import used $rss KB"
	fi
	_nothing_left "failed import"
}

test_import_deep_paths_walk_is_linear() {
	need_busybox
	need_cmd strace
	# 60 files, each 1,900 directories deep: resolving every prefix of
	# every new path from the root again took 1,900 openat2 calls (and
	# 1,800,000 path components) per entry.
	_docker_archive "$T_TMP/deeppaths.tar" deeppaths
	# LeakSanitizer cannot run under ptrace: an ASan build's leak check is
	# off for this one traced command.
	_pd_exec /dev/null env ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0"} \
		strace -f -c -e trace=openat2 -o "$T_TMP/strace.out" \
		"$PD" --root "$T_ROOT" import "$T_TMP/deeppaths.tar"
	assert_ok "import of deep paths"
	local n
	n=$(awk '$NF == "openat2" { print $4 }' "$T_TMP/strace.out")
	echo "openat2 calls: $n" >&2
	[ -n "$n" ] && [ "$n" -lt 10000 ] || fail "openat2 calls for 60 deep entries: ${n:-?} ($(cat "$T_TMP/strace.out"))"
}

test_failed_extractions_leave_no_temp_trees() {
	need_busybox
	python3 "$MK_HOSTILE" "$T_TMP/hostile" "$T_TAG" "$BUSYBOX_DIR" || fail "mk-hostile failed"
	pd run --rm --rootfs "$T_TMP/hostile/traversal.tar" /bin/true
	assert_exit 125 "run of a traversal tarball"
	local m
	m=$(ls -A "$T_ROOT/cache/rootfs" 2>/dev/null | grep '^\.tmp-')
	[ -z "$m" ] || fail "temp trees left in cache/rootfs: $m"
	# An import whose layer fails to extract.
	_docker_archive "$T_TMP/ok.tar" plain
	python3 - "$T_TMP/ok.tar" "$T_TMP/bad.tar" "$T_TMP/hostile/traversal.tar" <<'EOF'
import hashlib, io, json, sys, tarfile
src, out, layer = sys.argv[1:4]
lb = open(layer, "rb").read()
with tarfile.open(src) as s, tarfile.open(out, "w") as t:
    for m in s.getmembers():
        data = s.extractfile(m).read() if m.isfile() else None
        if m.name == "layer.tar":
            data = lb
        if m.name == "config.json":
            c = json.loads(data)
            c["rootfs"]["diff_ids"] = ["sha256:" + hashlib.sha256(lb).hexdigest()]
            data = json.dumps(c).encode()
        if data is not None:
            m.size = len(data)
        t.addfile(m, io.BytesIO(data) if data is not None else None)
EOF
	pd import "$T_TMP/bad.tar"
	assert_exit 1 "import of an archive with a traversal layer"
	_nothing_left "failed layer extraction"
}

test_import_deep_tree_removed_with_few_fds() {
	need_busybox
	# The archive is unpacked into images/tmp/put-import-* and removed
	# after the import: 3,000 levels deep, with 1024 fds at most.
	_docker_archive "$T_TMP/deeptree.tar" deeptree
	_pd_few_fds import "$T_TMP/deeptree.tar"
	assert_ok "import of an archive holding a deep tree"
	local m
	m=$(find "$T_ROOT/images/tmp" -mindepth 1 -maxdepth 1 ! -name '*.lock' 2>/dev/null | head -n 3)
	[ -z "$m" ] || fail "the unpacked archive was left behind: $m"
}

test_prune_sweeps_temp_trees() {
	need_busybox
	# The locks exist once an import and a --rootfs extraction ran.
	pd import --name plain:1 "$BUSYBOX_TAR"
	assert_ok
	pd run --rm --rootfs "$BUSYBOX_TAR" /bin/true
	assert_ok
	# What killed extractors leave.
	mkdir -p "$T_ROOT/cache/rootfs/.tmp-dead1/etc" "$T_ROOT/layers/.tmp-dead2/usr/bin" \
		"$T_ROOT/images/tmp/put-import-dead3/blobs"
	chmod 0500 "$T_ROOT/cache/rootfs/.tmp-dead1/etc"
	pd prune
	assert_ok
	assert_absent "$T_ROOT/cache/rootfs/.tmp-dead1" "prune"
	assert_absent "$T_ROOT/layers/.tmp-dead2" "prune"
	assert_absent "$T_ROOT/images/tmp/put-import-dead3" "prune"
	pd run --rm plain:1 /bin/echo still
	assert_out still "the image survives prune"
}

# A container that leaves a tree 3,000 directories deep in its upper layer
# (built from the top, as no path may exceed PATH_MAX).
_deep_container() {
	need_busybox
	allow_containers_left
	CMD_TIMEOUT=80 pd run --name deep --rootfs "$BUSYBOX_DIR" /bin/sh -c \
		'cd / && mkdir x && i=0; while [ $i -lt 3000 ]; do mkdir t && mv x t/ && mv t x || exit 1; i=$((i+1)); done; echo $i'
	assert_ok "building the deep tree"
	assert_out 3000
}

_no_container_dirs() {
	local m
	m=$(ls -A "$T_ROOT/containers" 2>/dev/null)
	[ -z "$m" ] || fail "$1: containers/ still holds $m ($(find "$T_ROOT/containers" | wc -l) entries)"
}

test_rm_f_removes_deep_upper_tree() {
	_deep_container
	_pd_few_fds rm -f deep
	assert_ok "rm -f of the container with a deep tree"
	_no_container_dirs "rm -f"
}

test_prune_removes_deep_upper_tree() {
	_deep_container
	_pd_few_fds prune
	assert_ok "prune with a deep tree"
	_no_container_dirs "prune"
}

test_rm_reports_what_it_could_not_remove() {
	need_busybox
	need_root
	allow_containers_left
	pd run --name stuck --rootfs "$BUSYBOX_DIR" /bin/sh -c 'mkdir -p /m/x'
	assert_ok
	local dir
	dir=$(find "$T_ROOT/containers" -mindepth 1 -maxdepth 1 -type d | head -n 1)
	[ -d "$dir/upper/m/x" ] || fail "no upper directory to mount on"
	# A mount left inside the container's directory (a stale one, say)
	# is never crossed: removal stops short, and says so.
	mount -t tmpfs none "$dir/upper/m/x" || skip "cannot mount a tmpfs"
	pd rm -f stuck
	local rc=$RC err=$ERR
	umount "$dir/upper/m/x"
	[ "$rc" != 0 ] || fail "rm -f returned 0 with a mount point left inside"
	assert_contains "$err" "mount point" "the error names the mount point"
	pd ps -a
	assert_contains "$OUT" stuck "the record stays while its files do"
	pd rm -f stuck
	assert_ok "rm -f once the mount is gone"
	_no_container_dirs "rm -f"
}

run_tests "$@"
