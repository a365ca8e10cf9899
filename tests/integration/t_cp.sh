#!/bin/bash
# cp and diff: diff's A/C/D lines (added, changed, deleted, a directory made
# opaque) for a running and an exited container; cp both ways for a running
# and an exited container with Docker's path rules (file to file, file into
# a directory, a directory to a new name and into a directory, "/." for the
# contents, a trailing "/" that must be a directory), "-" as a tar stream
# both ways, -a keeping owners; and the attacks cp must stand: symlinks in
# the container pointing at host files (absolute and ../../..), a symlinked
# destination planted by the running container pointing at /, a hostile
# tar on stdin (../ names, a symlink then a file through it), a FIFO as the
# source (no hang).  Nothing is mounted on the host afterwards.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

wait_ready() {
	wait_for_output "$T_ROOT/logs/$1.log" ready || fail "container ${1:0:12} never printed ready"
}

mounts() { grep -c . /proc/self/mountinfo; }

# A container that made the changes diff should see, then waits.
CHANGES='echo new >/new; echo x >>/etc/passwd; rm /bin/ls; mkdir -p /d/e; echo f >/d/e/f;
rm -rf /home; mkdir /home; echo y >/home/fresh; echo ready'

start_changed() {
	pd run -d --name "$1" --rootfs "$BUSYBOX_DIR" /bin/sh -c "$CHANGES; $2"
	assert_ok
	CID=$OUT
	wait_ready "$CID"
}

check_diff() {
	pd diff "$1"
	assert_ok
	local want
	want=$(printf '%s\n' "C /bin" "D /bin/ls" "A /d" "A /d/e" "A /d/e/f" "C /etc/passwd" "C /home" \
		"D /home/app" "A /home/fresh" "A /new")
	assert_eq "$want" "$OUT" "diff of $1"
}

test_diff_running_and_exited() {
	need_busybox
	local before
	before=$(mounts)
	start_changed c1 'sleep 1000'
	check_diff c1
	# Path order: a directory right before what it holds, "/d" < "/d/e".
	pd stop -t 1 c1
	assert_ok
	check_diff c1
	assert_eq "$before" "$(mounts)" "mounts after diff"
	pd diff nosuch
	assert_exit 125
	assert_error_line "diff of no such container"
	pd rm c1
	assert_ok
}

test_cp_out_running_and_exited() {
	need_busybox
	local before
	before=$(mounts)
	start_changed c1 'mkdir -p /dir/sub; echo a >/dir/a; echo b >/dir/sub/b; sleep 1000'
	local when
	for when in running exited; do
		local out=$T_TMP/$when
		mkdir -p "$out/into"
		# file -> new file; file -> existing directory
		pd cp c1:/new "$out/copy"
		assert_ok
		assert_file_content "$out/copy" new
		pd cp c1:/new "$out/into"
		assert_ok
		assert_file_content "$out/into/new" new
		# file -> existing file: overwritten
		echo old >"$out/exists"
		pd cp c1:/etc/passwd "$out/exists"
		assert_ok
		assert_eq x "$(tail -n 1 "$out/exists")" "existing file overwritten with the container's"
		# dir -> new name: the new directory holds the contents
		pd cp c1:/dir "$out/newdir"
		assert_ok
		assert_file_content "$out/newdir/sub/b" b
		# dir -> existing dir: copied into it
		pd cp c1:/dir "$out/into"
		assert_ok
		assert_file_content "$out/into/dir/a" a
		# dir/. -> existing dir: the contents only
		mkdir "$out/contents"
		pd cp c1:/dir/. "$out/contents"
		assert_ok
		assert_file_content "$out/contents/a" a
		assert_absent "$out/contents/dir"
		# A trailing "/" on a file source, and a missing destination
		# directory for a file.
		pd cp c1:/new/ "$out/x"
		assert_exit 1
		assert_error_line "file source with a trailing slash"
		pd cp c1:/new "$out/nodir/"
		assert_exit 1
		assert_error_line "file into a missing directory"
		assert_contains "$ERR" "must exist" "says the directory must exist"
		# A directory onto a file.
		pd cp c1:/dir "$out/copy"
		assert_exit 125
		assert_contains "$ERR" "cannot copy a directory to a file" "dir onto a file"
		# "-": a tar on stdout.
		pd cp c1:/dir -
		assert_ok
		assert_eq "$(printf '%s\n' dir/ dir/a dir/sub/ dir/sub/b)" "$(tar -tf "$OUT_FILE")" "tar of /dir"
		if [ $when = running ]; then
			pd stop -t 1 c1
			assert_ok
		fi
	done
	assert_eq "$before" "$(mounts)" "mounts after cp"
	pd rm c1
	assert_ok
}

test_cp_in_running_and_exited() {
	need_busybox
	local before
	before=$(mounts)
	mkdir -p "$T_TMP/src/sub"
	echo hostfile >"$T_TMP/f"
	echo s >"$T_TMP/src/sub/s"
	chown 1234:5678 "$T_TMP/src/sub/s"
	pd run -d --name c1 --rootfs "$BUSYBOX_DIR" /bin/sh -c 'mkdir /in; echo ready; sleep 1000'
	assert_ok
	wait_ready "$OUT"
	local when
	for when in running exited; do
		local d=/in/$when
		pd cp "$T_TMP/src" "c1:$d"
		assert_ok
		pd cp "$T_TMP/f" "c1:$d/"
		assert_ok
		pd cp "$T_TMP/f" "c1:$d/renamed"
		assert_ok
		pd cp "$T_TMP/src" "c1:$d"
		assert_ok
		pd cp "$T_TMP/src/." "c1:$d/flat"
		assert_ok
		pd cp -a "$T_TMP/src" "c1:$d/arch"
		assert_ok
		tar -C "$T_TMP" -cf "$T_TMP/in.tar" f src
		_pd_exec "$T_TMP/in.tar" "$PD" --root "$T_ROOT" cp - "c1:$d/flat"
		assert_ok
		pd cp "$T_TMP/f" "c1:/nowhere/x"
		assert_exit 1
		assert_error_line "a missing destination directory"
		if [ $when = running ]; then
			pd stop -t 1 c1
			assert_ok
		fi
	done
	# Check from a fresh run of the same files: cp out, as tars.
	for when in running exited; do
		pd cp c1:/in/$when -
		assert_ok
		local list
		list=$(tar -tvf "$OUT_FILE")
		local names
		names=$(tar -tf "$OUT_FILE" | sort | tr '\n' ' ')
		# The first copy of src made $when (a new name: the contents),
		# the second went into it as $when/src.
		assert_eq "$when/ $when/arch/ $when/arch/sub/ $when/arch/sub/s $when/f $when/flat/ $when/flat/f $when/flat/src/ $when/flat/src/sub/ $when/flat/src/sub/s $when/flat/sub/ $when/flat/sub/s $when/renamed $when/src/ $when/src/sub/ $when/src/sub/s $when/sub/ $when/sub/s " \
			"$names" "what cp put in the $when container"
		assert_match "$list" "^-[rw-]+ 1234/5678 .* $when/arch/sub/s\$" "-a keeps the owner"
		assert_match "$list" "^-[rw-]+ 0/0 .* $when/src/sub/s\$" "without -a the container's root owns it"
	done
	assert_eq "$before" "$(mounts)" "mounts after cp"
	pd rm c1
	assert_ok
}

test_cp_symlinks_resolve_inside_the_container() {
	need_busybox
	echo "host secret $T_TAG" >"$T_TMP/secret"
	pd run -d --name c1 --rootfs "$BUSYBOX_DIR" /bin/sh -c "
		echo container-passwd >/etc/passwd; ln -s /etc/passwd /abs; ln -s ../../../../../etc/passwd /rel
		ln -s ../../../../..$T_TMP/secret /hostsecret; mkdir /tmp/t; ln -s / /tmp/t/evil
		ln -s /etc /tmp/t/etc; mkfifo /fifo; echo ready; sleep 1000"
	assert_ok
	wait_ready "$OUT"
	local hostpw
	hostpw=$(cat /etc/passwd)
	local out=$T_TMP/out pw=container-passwd
	mkdir "$out"
	for when in running exited; do
		# -L and a trailing component: the container's file, never the host's.
		pd cp -L c1:/abs "$out/abs"
		assert_ok
		assert_file_content "$out/abs" "$pw"
		pd cp -L c1:/rel "$out/rel"
		assert_ok
		assert_file_content "$out/rel" "$pw"
		pd cp c1:/tmp/t/evil/etc/passwd "$out/through"
		assert_ok
		assert_file_content "$out/through" "$pw"
		pd cp -L c1:/hostsecret "$out/secret"
		assert_exit 1
		assert_contains "$ERR" "could not find the file" "a link to a host path is not found in the container"
		assert_absent "$out/secret"
		# Without -L the link itself.
		pd cp c1:/abs "$out/link"
		assert_ok
		assert_eq /etc/passwd "$(readlink "$out/link")" "the symlink itself is copied"
		rm -f "$out"/*
		# A FIFO: an entry, never opened (no hang).
		pd cp c1:/fifo "$out/fifo"
		[ "$RC" -ne 124 ] || fail "cp of a FIFO hung"
		assert_ok
		[ -p "$out/fifo" ] || fail "the FIFO was not copied as a FIFO"
		rm -f "$out/fifo"
		# Into the container through a planted link to "/": inside it.
		echo "from host $when" >"$T_TMP/f"
		pd cp "$T_TMP/f" "c1:/tmp/t/evil/planted-$T_TAG"
		assert_ok
		assert_absent "/planted-$T_TAG" "a file written through the container's link to /"
		pd cp "$T_TMP/f" c1:/tmp/t/etc/passwd
		assert_ok
		assert_eq "$hostpw" "$(cat /etc/passwd)" "host /etc/passwd"
		pd cp c1:/etc/passwd "$out/pw"
		assert_ok
		assert_file_content "$out/pw" "from host $when" "the container's /etc/passwd was the one written"
		pw="from host $when"
		pd cp c1:/planted-$T_TAG "$out/planted"
		assert_ok
		rm -f "$out"/*
		if [ $when = running ]; then
			pd stop -t 1 c1
			assert_ok
		fi
	done
	pd rm c1
	assert_ok
}

test_cp_hostile_tar_on_stdin() {
	need_busybox
	need_cmd python3
	pd run -d --name c1 --rootfs "$BUSYBOX_DIR" /bin/sh -c 'mkdir /x; echo ready; sleep 1000'
	assert_ok
	wait_ready "$OUT"
	python3 - "$T_TMP" "$T_TAG" <<'EOF'
import io, sys, tarfile
tmp, tag = sys.argv[1], sys.argv[2]
def tar(path, entries):
    with tarfile.open(path, "w") as t:
        for kind, name, arg in entries:
            i = tarfile.TarInfo(name)
            if kind == "f":
                i.size = len(arg)
                t.addfile(i, io.BytesIO(arg))
            elif kind == "l":
                i.type, i.linkname = tarfile.SYMTYPE, arg
                t.addfile(i)
            else:
                i.type, i.linkname = tarfile.LNKTYPE, arg
                t.addfile(i)
tar(tmp + "/dotdot.tar", [("f", "../../../../../../tmp/esc1-" + tag, b"x")])
tar(tmp + "/abs.tar", [("f", "/tmp/esc2-" + tag, b"x")])
tar(tmp + "/link.tar", [("l", "up", "../../../../../../../tmp"), ("f", "up/esc3-" + tag, b"x"),
                        ("l", "root", "/"), ("f", "root/tmp/esc4-" + tag, b"x")])
tar(tmp + "/hard.tar", [("h", "hl", "../../../../etc/passwd")])
EOF
	local t
	for t in dotdot abs link hard; do
		_pd_exec "$T_TMP/$t.tar" "$PD" --root "$T_ROOT" cp - c1:/x
	done
	for t in esc1 esc2 esc3 esc4; do
		assert_absent "/tmp/$t-$T_TAG" "host file from a hostile tar"
	done
	# What did land stayed inside /x: "/tmp/esc2" became x/tmp/esc2, the
	# link to "/" resolved to /x itself.
	pd exec c1 sh -c "ls /x/tmp/esc2-$T_TAG /x/tmp/esc4-$T_TAG; ls /tmp | grep -c esc || true"
	assert_ok
	assert_eq 0 "$(printf '%s\n' "$OUT" | tail -n 1)" "nothing outside /x in the container"
	pd rm -f c1
	assert_ok
}

test_cp_errors() {
	need_busybox
	pd run --name c1 --rootfs "$BUSYBOX_DIR" /bin/true
	assert_ok
	pd cp c1:/nope "$T_TMP/x"
	assert_exit 1
	assert_error_line "missing source"
	assert_contains "$ERR" "could not find the file /nope in container c1" "Docker's words"
	pd cp nosuch:/etc "$T_TMP/x"
	assert_exit 125
	assert_error_line "no such container"
	pd cp "$T_TMP/a" "$T_TMP/b"
	assert_exit 125
	assert_contains "$ERR" "must specify at least one container" "no container"
	pd cp c1:/a c1:/b
	assert_exit 125
	assert_contains "$ERR" "between containers" "two containers"
	pd cp c1:/etc
	assert_exit 125
	pd cp --help
	assert_ok
	assert_contains "$OUT" "--follow-link" "help lists -L"
	pd container cp c1:/etc/passwd "$T_TMP/pw"
	assert_ok
	pd container diff c1
	assert_ok
	pd rm c1
	assert_ok
}

# A file copied in where the container has a directory of that name is
# refused (Docker's rule), and the directory with its files stays.
test_cp_never_replaces_a_directory_with_a_file() {
	need_busybox
	pd run --name cdir --rootfs "$BUSYBOX_DIR" /bin/sh -c 'mkdir -p /data/x; echo keep >/data/x/f'
	assert_ok
	echo new >"$T_TMP/x"
	pd cp "$T_TMP/x" cdir:/data/
	assert_exit 125 "a file onto a directory of the same name"
	assert_error_line "a file onto a directory"
	assert_contains "$ERR" "cannot overwrite directory 'x' with a non-directory"
	mkdir "$T_TMP/tree"
	echo new >"$T_TMP/tree/x"
	pd cp "$T_TMP/tree/." cdir:/data
	assert_exit 125 "a tree with a file where the container has a directory"
	pd cp cdir:/data/x/f "$T_TMP/f"
	assert_ok
	assert_file_content "$T_TMP/f" keep "the container's directory after the refusals"
	pd rm cdir
	assert_ok
}

# A start of a stopped container waits for a copy into it to finish (the
# container's directory lock): the run sees the whole copy, and one upper
# layer is never mounted twice.
test_start_waits_for_cp_into_stopped_container() {
	need_busybox
	pd create --name cw --rootfs "$BUSYBOX_DIR" /bin/cat /in/file
	assert_ok
	mkdir -p "$T_TMP/src/in"
	echo copied >"$T_TMP/src/in/file"
	# The tar comes 1.5 s late: cp holds the lock meanwhile.
	( sleep 1.5; tar -C "$T_TMP/src" -c in ) |
		"$PD" --root "$T_ROOT" cp - cw:/ >"$T_TMP/cp.out" 2>"$T_TMP/cp.err" &
	local cp_pid=$!
	sleep 0.5
	pd start -a cw
	assert_ok "start while cp runs"
	assert_out copied "the run sees the finished copy"
	wait "$cp_pid" || fail "cp failed: $(cat "$T_TMP/cp.err")"
	# The container's monitor (forked by start, same command line) ends
	# once it has recorded the exit; a slow (sanitized) build may take a
	# few seconds over it.
	local i pid
	for i in $(seq 200); do
		pid=$(find_container_pid pocket-docker "$T_ROOT start -a cw") || break
		sleep 0.1
	done
	[ -z "$pid" ] || fail "a process of 'start -a' stayed: $pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) in $(cat "/proc/$pid/wchan" 2>/dev/null)"
	pd rm cw
	assert_ok
}

# Out of a container onto the host without -a, a set-id file loses its
# set-id bits (no setuid-root program appears on the host); -a keeps them.
test_cp_out_drops_setid_bits() {
	need_busybox
	pd run --name cs --rootfs "$BUSYBOX_DIR" /bin/sh -c 'cp /bin/busybox /suid; chmod 6755 /suid'
	assert_ok
	pd cp cs:/suid "$T_TMP/suid"
	assert_ok
	assert_eq 755 "$(stat -c %a "$T_TMP/suid")" "the mode copied out without -a"
	pd cp -a cs:/suid "$T_TMP/suid-a"
	assert_ok
	assert_eq 6755 "$(stat -c %a "$T_TMP/suid-a")" "the mode copied out with -a"
	pd rm cs
	assert_ok
}

test_rootless_cp_and_diff() {
	need_busybox
	rootless_prepare pdtest yes
	allow_containers_left
	local rootfs=$T_TMP/rootfs
	cp -a "$BUSYBOX_DIR" "$rootfs"
	chown -R pdtest: "$rootfs"
	pd_as pdtest run -d --name rl --rootfs "$rootfs" /bin/sh -c 'echo in >/made; echo ready; sleep 1000'
	assert_ok
	wait_ready "$OUT"
	echo host >"$T_TMP/f"
	chmod 0644 "$T_TMP/f"
	mkdir "$T_TMP/out" && chown pdtest: "$T_TMP/out"
	for when in running exited; do
		pd_as pdtest cp rl:/made "$T_TMP/out/made-$when"
		assert_ok
		assert_file_content "$T_TMP/out/made-$when" in
		pd_as pdtest cp "$T_TMP/f" "rl:/f-$when"
		assert_ok
		pd_as pdtest diff rl
		assert_ok
		assert_line "$OUT" "A /made" "rootless diff"
		if [ $when = running ]; then
			pd_as pdtest stop -t 1 rl
			assert_ok
		fi
	done
	pd_as pdtest cp rl:/f-running -
	assert_ok
	assert_eq f-running "$(tar -tf "$OUT_FILE")" "rootless cp out as a tar"
	pd_as pdtest rm -f rl
	assert_ok
}

# A rootless container's writable layer may hold a directory only a
# subordinate id may enter: diff walks it from inside the user's user
# namespace, where the user is root over the range.
test_rootless_diff_of_a_subordinate_directory() {
	need_busybox
	rootless_prepare pdtest yes
	local rootfs=$T_TMP/rootfs
	cp -a "$BUSYBOX_DIR" "$rootfs"
	chown -R pdtest: "$rootfs"
	pd_as pdtest run --name rd --rootfs "$rootfs" /bin/sh -c 'mkdir -m 750 /d && touch /d/f && chown -R 1234:1234 /d'
	assert_ok
	pd_as pdtest diff rd
	assert_ok "rootless diff of a directory only uid 1234 may enter"
	assert_line "$OUT" "A /d" "rootless diff"
	assert_line "$OUT" "A /d/f" "rootless diff"
	pd_as pdtest rm rd
	assert_ok
}

run_tests "$@"
