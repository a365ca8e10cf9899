#!/bin/bash
# Images made and shared locally (#18): commit of a container that added,
# changed and deleted files and made a directory opaque (the committed
# image runs with the same files, a deleted one stays deleted), --change
# CMD/ENV, a --rootfs container and a running one; export (exited and
# running: the merged files, no /proc inside); history; save read by
# `podman load` and run by podman, `podman save` read by our load; tag and
# rmi of one name; image prune (dangling only, then -a); bad input.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CHANGES='echo new >/new; echo x >>/etc/passwd; rm /bin/ls; mkdir -p /d/e; echo f >/d/e/f;
rm -rf /home; mkdir /home; echo y >/home/fresh'

# bb:1 (the busybox tarball) and container c1 with CHANGES made, exited.
base_and_changed() {
	need_root
	need_busybox
	pd import --name bb:1 "$BUSYBOX_TGZ"
	assert_ok
	pd run --name c1 bb:1 /bin/sh -c "$CHANGES"
	assert_ok
}

# What a container of the committed image sees of CHANGES.
CHECK='cat /new; test -e /bin/ls && echo ls-back || echo ls-gone; echo /home/*; cat /d/e/f; tail -n1 /etc/passwd'
CHECK_OUT=$'new\nls-gone\n/home/fresh\nf\nx'

test_commit_runs_with_whiteouts() {
	base_and_changed
	pd commit -c 'CMD ["/bin/cat","/new"]' -c 'ENV FOO=bar' -m 'the msg' -a 'Me <me@x>' c1 mine:1
	assert_ok
	assert_match "$OUT" '^sha256:[0-9a-f]{64}$' "commit prints the new image id"
	local id=$OUT
	pd images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
	assert_line "$OUT" "mine:1 ${id:7:12}" "images lists the committed image"
	pd run --rm mine:1
	assert_ok
	assert_out new "--change CMD is the image's command"
	pd run --rm mine:1 /bin/sh -c "$CHECK; echo \$FOO"
	assert_ok
	assert_out "$CHECK_OUT"$'\nbar' "the committed image's files and --change ENV"
	pd image inspect --format '{{json .Config.Cmd}}' mine:1
	assert_out '["/bin/cat","/new"]' "Config.Cmd"
	# The layer itself: OCI whiteout and opaque entries.
	pd save -o "$T_TMP/mine.tar" mine:1
	assert_ok
	local top
	top=$(tar -xOf "$T_TMP/mine.tar" manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Layers"][-1])')
	tar -xOf "$T_TMP/mine.tar" "$top" | tar -t >"$T_TMP/top.list" || fail "the top layer is not a tar"
	assert_line "$(cat "$T_TMP/top.list")" "bin/.wh.ls" "the deleted file's whiteout"
	assert_line "$(cat "$T_TMP/top.list")" "home/.wh..wh..opq" "the opaque directory's marker"
	assert_not_contains "$(cat "$T_TMP/top.list")" "etc/hosts" "the runtime's own files are left out"
	pd rm c1
	assert_ok
}

test_commit_rootfs_and_running() {
	need_root
	need_busybox
	pd run --name r1 --rootfs "$BUSYBOX_DIR" /bin/sh -c 'echo one >/one; rm /bin/cat'
	assert_ok
	pd commit r1 fromdir
	assert_ok
	pd run --rm fromdir /bin/sh -c 'read l </one; echo $l; test -e /bin/cat || echo cat-gone'
	assert_ok
	assert_out $'one\ncat-gone' "a --rootfs container commits as rootfs + its layer"
	pd history -q fromdir
	assert_eq 2 "$(printf '%s\n' "$OUT" | grep -c .)" "the rootfs layer and the commit's"
	pd run -d --name r2 --rootfs "$BUSYBOX_DIR" /bin/sh -c 'echo two >/two; echo ready; sleep 60'
	assert_ok
	wait_for_output "$T_ROOT/logs/$OUT.log" ready || fail "r2 never printed ready"
	pd commit r2 running:1
	assert_ok
	pd ps --format '{{.Names}} {{.State}}'
	assert_line "$OUT" "r2 running" "the container runs on (thawed) after the commit"
	pd run --rm running:1 /bin/cat /two
	assert_out two "a running container's file is in its commit"
	pd rm -f r1 r2
	assert_ok
}

test_export() {
	base_and_changed
	pd export -o "$T_TMP/c1.tar" c1
	assert_ok
	tar -tf "$T_TMP/c1.tar" >"$T_TMP/list" || fail "export's output is not a tar"
	local l
	l=$(cat "$T_TMP/list")
	assert_line "$l" new "an added file"
	assert_line "$l" home/fresh "a file in the opaque directory"
	assert_line "$l" bin/sh "a file of the image"
	assert_not_contains "$l" "bin/ls"$'\n' "a deleted file"
	assert_not_contains "$l" home/app "what the opaque directory hides"
	assert_eq "x" "$(tar -xOf "$T_TMP/c1.tar" etc/passwd | tail -n1)" "a changed file's content"
	pd run -d --name c2 bb:1 /bin/sh -c 'echo hi >/run1; echo ready; sleep 60'
	assert_ok
	wait_for_output "$T_ROOT/logs/$OUT.log" ready || fail "c2 never printed ready"
	"$PD" --root "$T_ROOT" export c2 >"$T_TMP/c2.tar" || fail "export of a running container failed"
	l=$(tar -tf "$T_TMP/c2.tar")
	assert_line "$l" run1 "a running container's new file"
	assert_line "$l" proc/ "the /proc mount point"
	assert_not_contains "$l" proc/1/ "what is mounted on /proc"
	pd rm -f c1 c2
	assert_ok
}

test_history() {
	base_and_changed
	pd commit -m 'the msg' c1 mine:1
	assert_ok
	local id=$OUT
	pd history mine:1
	assert_ok
	assert_match "$(printf '%s\n' "$OUT" | sed -n 1p)" '^IMAGE +CREATED +CREATED BY +SIZE +COMMENT$' "header"
	assert_match "$(printf '%s\n' "$OUT" | sed -n 2p)" "^${id:7:12} +.* ago +/bin/sh -c echo new >/new; echo x >>/etc/pas… +[0-9.]+k?B +the msg$" "the commit's line"
	assert_match "$(printf '%s\n' "$OUT" | sed -n 3p)" '^<missing> +.* ago +pocket-docker import +[0-9.]+MB' "the base's line"
	pd history -q --no-trunc mine:1
	assert_out "$id"$'\n<missing>' "-q --no-trunc"
	pd history --format '{{.Comment}}|{{.CreatedBy}}' --no-trunc mine:1
	assert_line "$OUT" "the msg|/bin/sh -c $CHANGES" "--format, --no-trunc"
	pd rm c1
	assert_ok
}

# podman with its own storage under $T_TMP; crun refuses a hybrid cgroup
# host, so `podman run` goes into a private mount namespace without the
# cgroup2 mount (as bench/lib.sh does).
P=
podman_setup() {
	need_cmd podman unshare
	local d=$T_TMP/podman
	mkdir -p "$d/root" "$d/run" "$d/tmp" "$d/volumes" "$d/net"
	P="podman --root $d/root --runroot $d/run --tmpdir $d/tmp --volumepath $d/volumes --network-config-dir $d/net --cgroup-manager cgroupfs --events-backend none --storage-driver overlay"
	LIBPOD_NEW=1
	ls -d /sys/fs/cgroup/*/libpod_parent >/dev/null 2>&1 && LIBPOD_NEW=0
	trap podman_cleanup EXIT
}

podman_cleanup() {
	# shellcheck disable=SC2086
	timeout 120 $P system reset -f >/dev/null 2>&1
	if [ "$LIBPOD_NEW" = 1 ]; then
		local h
		for h in /sys/fs/cgroup/*/libpod_parent; do
			[ -d "$h" ] && find "$h" -depth -type d -exec rmdir {} \; 2>/dev/null
		done
		unshare -m --propagation private -- sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null &&
			[ "$(stat -f -c %T /sys/fs/cgroup/unified)" = tmpfs ] &&
			rm -rf --one-file-system /sys/fs/cgroup/unified/libpod_parent' 2>/dev/null
	fi
	return 0
}

podman_run() {
	# shellcheck disable=SC2086
	_pd_exec /dev/null unshare -m --propagation private -- sh -c \
		'[ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] &&
		 [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ] && umount /sys/fs/cgroup/unified; exec "$@"' \
		sh $P run --rm --network none --log-driver k8s-file \
		--ulimit "nofile=$(ulimit -Sn):$(ulimit -Hn)" --ulimit nproc=4096:4096 "$@"
}

test_save_podman_load() {
	base_and_changed
	podman_setup
	pd commit -c 'CMD ["/bin/cat","/new"]' -c 'ENV FOO=bar' c1 localhost/mine:2
	assert_ok
	local id=$OUT
	pd save -o "$T_TMP/s.tar" localhost/mine:2
	assert_ok
	# shellcheck disable=SC2086
	_pd_exec /dev/null $P load -i "$T_TMP/s.tar"
	assert_ok
	assert_contains "$OUT" "Loaded image: localhost/mine:2" "podman load"
	# shellcheck disable=SC2086
	_pd_exec /dev/null $P image inspect --format '{{.Id}} {{json .Config.Cmd}} {{len .RootFS.Layers}}' localhost/mine:2
	assert_ok
	assert_out "${id:7} [\"/bin/cat\",\"/new\"] 2" "podman's view of the saved image"
	podman_run localhost/mine:2
	assert_ok
	assert_out new "podman runs the image's Cmd"
	podman_run localhost/mine:2 /bin/sh -c "$CHECK; echo \$FOO"
	assert_ok
	assert_out "$CHECK_OUT"$'\nbar' "podman sees the committed files (whiteouts applied)"
	pd rm c1
	assert_ok
}

test_podman_save_our_load() {
	need_root
	need_busybox
	podman_setup
	# shellcheck disable=SC2086
	_pd_exec /dev/null $P import "$BUSYBOX_TGZ" localhost/pbase:1
	assert_ok
	# shellcheck disable=SC2086
	_pd_exec /dev/null $P save --format docker-archive -o "$T_TMP/p.tar" localhost/pbase:1
	assert_ok
	pd load -i "$T_TMP/p.tar"
	assert_ok
	assert_out "Loaded image: localhost/pbase:1" "load's output"
	pd run --rm localhost/pbase:1 /bin/echo loaded
	assert_ok
	assert_out loaded "a podman-saved image runs"
	# From stdin too, and an oci-archive.
	_pd_exec "$T_TMP/p.tar" "$PD" --root "$T_ROOT" load
	assert_ok
	assert_out "Loaded image: localhost/pbase:1" "load from stdin"
	# shellcheck disable=SC2086
	_pd_exec /dev/null $P save --format oci-archive -o "$T_TMP/o.tar" localhost/pbase:1
	assert_ok
	pd load -i "$T_TMP/o.tar"
	assert_ok
	assert_match "$OUT" '^Loaded image' "load of an oci-archive"
}

test_tag_rmi_prune() {
	need_root
	need_busybox
	pd import --name bb:1 "$BUSYBOX_TGZ"
	assert_ok
	pd tag bb:1 other/name:x
	assert_ok
	pd rmi bb:1
	assert_ok
	assert_out "Untagged: bb:1" "rmi of one name only untags"
	pd run --rm other/name:x /bin/echo still
	assert_out still "the other name still runs"
	pd run --name keep other/name:x /bin/sh -c 'echo 1 >/a'
	assert_ok
	pd commit keep
	assert_ok
	local dangling=$OUT
	pd commit keep named:1
	assert_ok
	local named=$OUT
	pd images -q
	assert_eq 3 "$(printf '%s\n' "$OUT" | grep -c .)" "three images before prune"
	pd image prune -f
	assert_ok
	assert_line "$OUT" "deleted: $dangling" "prune removes the dangling image"
	assert_not_contains "$OUT" "$named" "prune leaves a named image"
	pd images -q
	assert_line "$OUT" "${named:7:12}" "prune keeps the named image"
	pd image prune -a -f
	assert_ok
	assert_contains "$OUT" "deleted: $named" "prune -a removes an unused image"
	assert_not_contains "$OUT" "Untagged: other/name:x" "prune -a keeps the image a container uses"
	pd images --format '{{.Repository}}:{{.Tag}}'
	assert_out "other/name:x" "only the image in use is left"
	pd rm keep
	assert_ok
}

test_bad_input() {
	need_root
	need_busybox
	pd import --name bb:1 "$BUSYBOX_TGZ"
	assert_ok
	pd run --name c1 bb:1 /bin/true
	assert_ok
	local args
	for args in "tag nosuch x" "tag bb:1 Bad_Name:" "tag bb:1" "commit nosuch" "commit -c FROB c1" \
		"commit -c EXPOSE\ abc c1" "commit c1 bad::name" "history nosuch" "export nosuch" \
		"save -o $T_TMP/x.tar nosuch" "load -i /nonexistent" "load -i /etc/passwd" \
		"load -i $BUSYBOX_TGZ" "image prune extra"; do
		# shellcheck disable=SC2086
		pd $args
		assert_exit 125 "$args"
		assert_error_line "$args"
	done
	assert_absent "$T_TMP/x.tar" "a failed save's output"
	pd rm c1
	assert_ok
}

run_tests "$@"
