#!/bin/bash
# The `run` options Docker users reach for after the basics: labels (and
# ps's label filter and column), ulimits, the OOM score, extra groups,
# namespaced sysctls, the id file, the stop timeout, the memory
# reservation, the size of /dev/shm, the platform and the pull policy.
# Each is checked from inside a real container and in `inspect`; each bad
# value exits 125 with one line.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# assert_usage TEXT: the last command exited 125 with one
# "pocket-docker: " line on stderr that contains TEXT.
assert_usage() {
	assert_exit 125 "a refused value"
	assert_error_line "$1"
	assert_contains "$ERR" "$1" "error message"
}

# inspect_field CONTAINER PYTHON-EXPR: print an expression of the record d.
inspect_field() {
	pd inspect "$1"
	assert_ok
	echo "$OUT" | python3 -c "import json,sys; d=json.load(sys.stdin)[0]; v=$2; print(json.dumps(v) if not isinstance(v, str) else v)"
}

test_labels() {
	need_busybox
	printf '# team labels\n\ntier=backend\n  owner=alice\nflag\n' >"$T_TMP/labels"
	pd run -d --name lab -l a=1 --label b=x=y -l empty --label-file "$T_TMP/labels" -l a=2 \
		--rootfs "$BUSYBOX_DIR" sleep 30
	assert_ok
	assert_eq '{"a": "2", "b": "x=y", "empty": "", "tier": "backend", "owner": "alice", "flag": ""}' \
		"$(inspect_field lab 'd["Config"]["Labels"]')" "Config.Labels"
	pd inspect --format '{{index .Config.Labels "tier"}}' lab
	assert_out backend "index .Config.Labels"
	pd run -d --name plain --rootfs "$BUSYBOX_DIR" sleep 30
	assert_ok
	assert_eq '{}' "$(inspect_field plain 'd["Config"]["Labels"]')" "no labels: an empty object"
	pd ps --format '{{.Names}}' --filter label=tier
	assert_out lab "label=KEY"
	pd ps --format '{{.Names}}' --filter label=tier=backend
	assert_out lab "label=KEY=VALUE"
	pd ps --format '{{.Names}}' --filter label=tier=frontend
	assert_out "" "label=KEY=VALUE of another value"
	pd ps --format '{{.Names}}' --filter label=empty=
	assert_out lab "label=KEY= matches the empty value"
	pd ps --format '{{.Names}}' --filter label=tie
	assert_out "" "a key's prefix is not the key"
	# Two label filters: both must hold (Docker's rule for one key).
	pd ps --format '{{.Names}}' --filter label=a=2 --filter label=owner=alice
	assert_out lab "two label filters"
	pd ps --format '{{.Names}}' --filter label=a=2 --filter label=owner=bob
	assert_out "" "two label filters, one false"
	pd ps --format '{{.Names}}:{{.Labels}}' --filter name=lab
	assert_out 'lab:a=2,b=x=y,empty=,tier=backend,owner=alice,flag=' "ps {{.Labels}}"
	pd ps --format '{{.Names}}:{{.Labels}}' --filter name=plain
	assert_out 'plain:' "ps {{.Labels}} without labels"
	pd rm -f lab plain
	assert_ok
}

test_labels_bad() {
	need_busybox
	pd run --rm -l =v --rootfs "$BUSYBOX_DIR" true
	assert_usage "invalid label '=v'"
	pd run --rm --label-file "$T_TMP/nonexistent" --rootfs "$BUSYBOX_DIR" true
	assert_usage "open label file '$T_TMP/nonexistent'"
	printf 'ok=1\n=bad\n' >"$T_TMP/bad"
	pd run --rm --label-file "$T_TMP/bad" --rootfs "$BUSYBOX_DIR" true
	assert_usage "line 2"
	pd ps -a -q
	assert_out "" "a refused run leaves no container"
}

# _rootless USER yes|no: the suite's unprivileged user (with a subordinate
# range or without), its own state root, and a copy of the busybox tarball
# it can read (ROOTLESS_DIR; a tarball, so that its files are the
# container's own).
_rootless() {
	need_busybox
	rootless_prepare "$1" "${2:-yes}"
	cp "$BUSYBOX_TAR" "$T_TMP/busybox.tar"
	chmod 0644 "$T_TMP/busybox.tar"
	ROOTLESS_DIR=$T_TMP/busybox.tar
}

# limits_line NAME: the soft and hard columns of /proc/self/limits for the
# line that starts with NAME, in the container's output $OUT.
limits_line() {
	printf '%s\n' "$OUT" | grep "^$1" | awk '{print $(NF-2), $(NF-1)}'
}

# Whether this shell has CAP_SYS_RESOURCE (bit 24) in its effective set.
has_cap_sys_resource() {
	local eff
	eff=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
	(((0x$eff >> 24) & 1))
}

test_ulimit() {
	need_busybox
	need_root
	pd run --name ul --ulimit nofile=123:456 --ulimit core=0:unlimited --ulimit nproc=77 \
		--ulimit nofile=321:654 --rootfs "$BUSYBOX_DIR" cat /proc/self/limits
	assert_ok
	assert_eq "321 654" "$(limits_line 'Max open files')" "nofile (the later one wins)"
	assert_eq "0 unlimited" "$(limits_line 'Max core file size')" "core"
	assert_eq "77 77" "$(limits_line 'Max processes')" "nproc, HARD defaults to SOFT"
	assert_eq '[{"Name": "nofile", "Soft": 321, "Hard": 654}, {"Name": "core", "Soft": 0, "Hard": -1}, {"Name": "nproc", "Soft": 77, "Hard": 77}]' \
		"$(inspect_field ul 'd["HostConfig"]["Ulimits"]')" "HostConfig.Ulimits"
	# Root may raise a hard limit past its own, as with Docker, when it
	# has CAP_SYS_RESOURCE; a root without it (a sandboxed build machine)
	# is refused before anything starts, saying why.
	local hard
	hard=$(ulimit -Hn)
	pd run --rm --ulimit nofile=1024:$((hard + 1)) --rootfs "$BUSYBOX_DIR" cat /proc/self/limits
	if has_cap_sys_resource; then
		assert_ok
		assert_eq "1024 $((hard + 1))" "$(limits_line 'Max open files')" "root raises nofile's hard limit"
	else
		assert_usage "--ulimit nofile: hard limit $((hard + 1)) is above your own hard limit $hard (raising it needs CAP_SYS_RESOURCE"
	fi
	pd rm ul
	assert_ok
}

test_ulimit_bad() {
	need_busybox
	pd run --rm --ulimit bogus=1 --rootfs "$BUSYBOX_DIR" true
	assert_usage "invalid ulimit type: 'bogus'"
	pd run --rm --ulimit nofile=2048:1024 --rootfs "$BUSYBOX_DIR" true
	assert_usage "the soft limit must be less than or equal to the hard limit"
	pd run --rm --ulimit nofile --rootfs "$BUSYBOX_DIR" true
	assert_usage "invalid ulimit argument: 'nofile'"
	pd run --rm --ulimit nofile=lots --rootfs "$BUSYBOX_DIR" true
	assert_usage "invalid ulimit argument: 'nofile=lots'"
}

# Rootless, a hard limit past the caller's own is refused before anything
# starts, naming the limit and the caller's value; within it, it applies.
test_ulimit_rootless() {
	_rootless pdtest
	local hard
	hard=$(setpriv --reuid=pdtest --regid=pdtest --init-groups sh -c 'ulimit -Hn')
	pd_as pdtest run --rm --ulimit nofile=64:$((hard + 1)) --rootfs "$ROOTLESS_DIR" true
	assert_usage "--ulimit nofile: hard limit $((hard + 1)) is above your own hard limit $hard"
	pd_as pdtest run --rm --ulimit nofile=64:$((hard - 1)) --rootfs "$ROOTLESS_DIR" cat /proc/self/limits
	assert_ok
	assert_eq "64 $((hard - 1))" "$(limits_line 'Max open files')" "rootless nofile within the limit"
}

test_oom_score_adj() {
	need_busybox
	need_root
	pd run --name oom --oom-score-adj 500 --rootfs "$BUSYBOX_DIR" cat /proc/self/oom_score_adj
	assert_ok
	assert_out 500 "raised inside"
	assert_eq 500 "$(inspect_field oom 'd["HostConfig"]["OomScoreAdj"]')" "HostConfig.OomScoreAdj"
	pd rm oom
	assert_ok
	# Lowering it below one's own needs CAP_SYS_RESOURCE (the kernel's rule).
	local own
	own=$(cat /proc/self/oom_score_adj)
	pd run --rm --oom-score-adj $((own - 100)) --rootfs "$BUSYBOX_DIR" cat /proc/self/oom_score_adj
	if has_cap_sys_resource; then
		assert_ok
		assert_out $((own - 100)) "root lowers it"
	else
		assert_usage "--oom-score-adj $((own - 100)) is below your own score adjustment $own (lowering it needs CAP_SYS_RESOURCE"
	fi
}

test_oom_score_adj_bad() {
	need_busybox
	local v
	for v in 1001 -1001 x 1.5 ""; do
		pd run --rm --oom-score-adj "$v" --rootfs "$BUSYBOX_DIR" true
		assert_usage "invalid --oom-score-adj '$v': range for oom score adj is [-1000, 1000]"
	done
}

test_oom_score_adj_rootless() {
	_rootless pdtest
	local own
	own=$(setpriv --reuid=pdtest --regid=pdtest --init-groups cat /proc/self/oom_score_adj)
	pd_as pdtest run --rm --oom-score-adj $((own - 1)) --rootfs "$ROOTLESS_DIR" true
	assert_usage "--oom-score-adj $((own - 1)) is below your own score adjustment $own (a rootless container cannot lower it)"
	pd_as pdtest run --rm --oom-score-adj $((own + 300)) --rootfs "$ROOTLESS_DIR" cat /proc/self/oom_score_adj
	assert_ok
	assert_out $((own + 300)) "rootless raises it"
}

test_group_add() {
	need_busybox
	need_root
	local rootfs=$T_TMP/rootfs
	copy_busybox_rootfs "$rootfs"
	printf 'audio:x:29:\nvideo:x:44:\n' >>"$rootfs/etc/group"
	pd run --name grp --group-add 29 --group-add video --group-add 4000 -u 1000:1000 \
		--rootfs "$rootfs" id -G
	assert_ok
	assert_eq "29 44 1000 4000" "$(printf '%s\n' $OUT | sort -n | xargs)" "id -G"
	assert_eq '["29", "4000", "video"]' "$(inspect_field grp 'd["HostConfig"]["GroupAdd"]')" "HostConfig.GroupAdd"
	pd rm grp
	assert_ok
	# A name the container's /etc/group lacks fails at start, naming it.
	pd run --rm --group-add nosuchgroup --rootfs "$rootfs" true
	assert_exit 125 "an unknown group"
	assert_error_line "unknown group"
	assert_contains "$ERR" "unable to find group nosuchgroup: no matching entries in group file" "message"
}

test_group_add_bad() {
	need_busybox
	local v
	for v in "" "a:b" "-1" "bad name"; do
		pd run --rm --group-add "$v" --rootfs "$BUSYBOX_DIR" true
		assert_usage "invalid --group-add '$v': want a group number or a group name"
	done
}

test_group_add_rootless() {
	_rootless pdtest
	pd_as pdtest run --rm --group-add 29 --rootfs "$ROOTLESS_DIR" id -G
	assert_ok
	assert_eq "0 29" "$OUT" "rootless with a subordinate range"
	T_ROOT=$T_TMP/root-nosub
	mkdir "$T_ROOT"
	_rootless pdtest-nosub no
	pd_as pdtest-nosub run --rm --group-add 29 --rootfs "$ROOTLESS_DIR" id -G
	assert_exit 125 "rootless without a range"
	assert_error_line "rootless without a range"
	assert_contains "$ERR" "--group-add needs a subordinate gid range" "message"
}

test_sysctl() {
	need_busybox
	need_root
	local host_shmmni host_port
	host_shmmni=$(cat /proc/sys/kernel/shmmni)
	host_port=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
	[ "$host_shmmni" != 1234 ] && [ "$host_port" != 80 ] || skip "the host already has the test's values"
	pd run --name sc --sysctl kernel.shmmni=1234 --sysctl net.ipv4.ip_unprivileged_port_start=80 \
		--sysctl kernel.msgmax=9000 --sysctl fs.mqueue.msg_max=20 --sysctl kernel.msgmax=8192 \
		--rootfs "$BUSYBOX_DIR" cat /proc/sys/kernel/shmmni /proc/sys/net/ipv4/ip_unprivileged_port_start \
		/proc/sys/kernel/msgmax /proc/sys/fs/mqueue/msg_max
	assert_ok
	assert_eq "$(printf '1234\n80\n8192\n20')" "$OUT" "the sysctls inside (a later key wins)"
	assert_eq '{"kernel.shmmni": "1234", "net.ipv4.ip_unprivileged_port_start": "80", "kernel.msgmax": "8192", "fs.mqueue.msg_max": "20"}' \
		"$(inspect_field sc 'd["HostConfig"]["Sysctls"]')" "HostConfig.Sysctls"
	pd rm sc
	assert_ok
	assert_eq "$host_shmmni" "$(cat /proc/sys/kernel/shmmni)" "the host's kernel.shmmni"
	assert_eq "$host_port" "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" "the host's port start"
}

test_sysctl_bad() {
	need_busybox
	pd run --rm --sysctl kernel.panic=1 --rootfs "$BUSYBOX_DIR" true
	assert_usage "invalid --sysctl: 'kernel.panic' is not namespaced (it would change the host)"
	pd run --rm --sysctl vm.swappiness=1 --rootfs "$BUSYBOX_DIR" true
	assert_usage "'vm.swappiness' is not namespaced"
	pd run --rm --sysctl 'net/../../kernel/panic=1' --rootfs "$BUSYBOX_DIR" true
	assert_usage "invalid --sysctl: invalid key 'net/../../kernel/panic'"
	pd run --rm --sysctl net.ipv4.ip_forward --rootfs "$BUSYBOX_DIR" true
	assert_usage "invalid --sysctl 'net.ipv4.ip_forward': want KEY=VALUE"
	pd run --rm --sysctl kernel.hostname=x --rootfs "$BUSYBOX_DIR" true
	assert_usage "conflicts with --hostname"
	pd run --rm --network host --sysctl net.ipv4.ip_unprivileged_port_start=80 --rootfs "$BUSYBOX_DIR" true
	assert_usage "net.* sysctls need a network namespace of the container's own (not --network host)"
}

test_cidfile() {
	need_busybox
	local cid=$T_TMP/cid
	pd run -d --name cidc --cidfile "$cid" --rootfs "$BUSYBOX_DIR" sleep 30
	assert_ok
	local id=$OUT
	assert_file_content "$cid" "$id" "the id file"
	assert_eq "$cid" "$(inspect_field cidc 'd["HostConfig"]["ContainerIDFile"]')" "HostConfig.ContainerIDFile"
	# An existing file is never overwritten, and nothing is run.
	pd run -d --name cidc2 --cidfile "$cid" --rootfs "$BUSYBOX_DIR" sleep 30
	assert_usage "container ID file found, make sure the other container isn't running or delete '$cid'"
	assert_file_content "$cid" "$id" "the id file after a refused run"
	pd ps -a --format '{{.Names}}'
	assert_out cidc "the refused run made no container"
	pd rm -f cidc
	assert_ok
	# A foreground run writes it too; a run that fails before its
	# container starts leaves no file behind.
	pd run --rm --cidfile "$T_TMP/cid2" --rootfs "$BUSYBOX_DIR" true
	assert_ok
	[ "$(wc -c <"$T_TMP/cid2")" -eq 64 ] || fail "a foreground run's id file: $(cat "$T_TMP/cid2")"
	pd run --rm --cidfile "$T_TMP/cid3" --rootfs "$BUSYBOX_DIR" /no/such/command
	assert_exit 127 "a missing command"
	assert_absent "$T_TMP/cid3" "the id file of a run that failed"
	pd run --rm --cidfile "$T_TMP/no/such/dir/cid" --rootfs "$BUSYBOX_DIR" true
	assert_usage "--cidfile '$T_TMP/no/such/dir/cid'"
}

# stop_seconds ARGS...: `stop ARGS` and print how long it took, in
# whole seconds.
stop_seconds() {
	local t0 t1
	t0=$(date +%s%N)
	pd stop "$@"
	t1=$(date +%s%N)
	assert_ok
	echo $(((t1 - t0) / 1000000000))
}

test_stop_timeout() {
	need_busybox
	# Commands that ignore SIGTERM: only SIGKILL ends them.
	pd run -d --name st1 --stop-timeout 1 --rootfs "$BUSYBOX_DIR" sh -c 'trap "" TERM; while :; do sleep 0.1; done'
	assert_ok
	pd run -d --name st3 --stop-timeout 3 --rootfs "$BUSYBOX_DIR" sh -c 'trap "" TERM; while :; do sleep 0.1; done'
	assert_ok
	assert_eq 1 "$(inspect_field st1 'd["Config"]["StopTimeout"]')" "Config.StopTimeout"
	local s
	s=$(stop_seconds st1)
	[ "$s" -ge 1 ] && [ "$s" -lt 3 ] || fail "stop of --stop-timeout 1 took ${s}s"
	pd inspect --format '{{.State.Status}} {{.State.ExitCode}}' st1
	assert_out "exited 137" "killed after its own timeout"
	# -t wins over the container's own.
	s=$(stop_seconds -t 0 st3)
	[ "$s" -lt 2 ] || fail "stop -t 0 of --stop-timeout 3 took ${s}s"
	# Without --stop-timeout, the default (5 s) is not cut short.
	pd run -d --name st5 --rootfs "$BUSYBOX_DIR" sh -c 'trap "" TERM; while :; do sleep 0.1; done'
	assert_ok
	pd run -d --name st1b --stop-timeout 1 --rootfs "$BUSYBOX_DIR" sh -c 'trap "" TERM; while :; do sleep 0.1; done'
	assert_ok
	s=$(stop_seconds st1b st5)
	[ "$s" -ge 5 ] && [ "$s" -lt 8 ] || fail "stop of a default and a 1 s container took ${s}s"
	pd rm st1 st3 st5 st1b
	assert_ok
}

test_stop_timeout_bad() {
	need_busybox
	local v
	for v in x -1 1.5 86401; do
		pd run --rm --stop-timeout "$v" --rootfs "$BUSYBOX_DIR" true
		assert_usage "invalid --stop-timeout '$v': want seconds from 0 to 86400"
	done
}

test_memory_reservation() {
	need_busybox
	need_root
	pd run -d --name mr --memory 256m --memory-reservation 64m --rootfs "$BUSYBOX_DIR" sleep 30
	assert_ok
	local id=$OUT f
	if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
		f=$(cg_file "$id" memory memory.low)
	else
		f=$(cg_file "$id" memory memory.soft_limit_in_bytes)
	fi
	assert_file_content "$f" 67108864 "the host's cgroup file $f"
	assert_eq 67108864 "$(inspect_field mr 'd["HostConfig"]["Resources"]["MemoryReservation"]')" \
		"HostConfig.Resources.MemoryReservation"
	# The container sees the same file through its cgroup namespace.
	pd exec mr sh -c 'cat /sys/fs/cgroup/memory/memory.soft_limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.low'
	assert_ok
	assert_out 67108864 "inside"
	pd rm -f mr
	assert_ok
}

test_memory_reservation_bad() {
	need_busybox
	pd run --rm --memory-reservation 1m --rootfs "$BUSYBOX_DIR" true
	assert_usage "invalid --memory-reservation '1m': minimum memory reservation allowed is 6MB"
	pd run --rm --memory-reservation lots --rootfs "$BUSYBOX_DIR" true
	assert_exit 125 "a bad size"
	assert_error_line "a bad size"
	pd run --rm --memory 64m --memory-reservation 128m --rootfs "$BUSYBOX_DIR" true
	assert_usage "minimum memory limit can not be less than memory reservation limit"
}

# shm_kib ARGS...: run ARGS and print the size of /dev/shm in KiB (df).
shm_kib() {
	pd run --rm "$@" --rootfs "$BUSYBOX_DIR" df -k /dev/shm
	assert_ok
	printf '%s\n' "$OUT" | awk '$NF == "/dev/shm" {print $2}'
}

test_shm_size() {
	need_busybox
	need_root
	assert_eq 131072 "$(shm_kib --shm-size 128m)" "--shm-size 128m"
	assert_eq 65536 "$(shm_kib)" "the default"
	assert_eq 65536 "$(shm_kib --shm-size 0)" "0 is the default"
	assert_eq 32768 "$(shm_kib --privileged --shm-size 32m)" "--privileged --shm-size 32m"
	pd run --name shm --shm-size 1g --rootfs "$BUSYBOX_DIR" sh -c 'head -c 2000000 /dev/zero >/dev/shm/x && ls -l /dev/shm/x'
	assert_ok
	assert_contains "$OUT" 2000000 "a file in /dev/shm"
	assert_eq 1073741824 "$(inspect_field shm 'd["HostConfig"]["ShmSize"]')" "HostConfig.ShmSize"
	pd rm shm
	assert_ok
	pd run --name shm0 --rootfs "$BUSYBOX_DIR" true
	assert_ok
	assert_eq 67108864 "$(inspect_field shm0 'd["HostConfig"]["ShmSize"]')" "HostConfig.ShmSize by default"
	pd rm shm0
	assert_ok
}

test_shm_size_rootless() {
	_rootless pdtest
	pd_as pdtest run --rm --shm-size 16m --rootfs "$ROOTLESS_DIR" df -k /dev/shm
	assert_ok
	assert_eq 16384 "$(printf '%s\n' "$OUT" | awk '$NF == "/dev/shm" {print $2}')" "rootless --shm-size 16m"
}

test_shm_size_bad() {
	need_busybox
	pd run --rm --shm-size lots --rootfs "$BUSYBOX_DIR" true
	assert_usage "invalid --shm-size 'lots': want a size such as 64m"
	pd run --rm --shm-size -1 --rootfs "$BUSYBOX_DIR" true
	assert_usage "invalid --shm-size '-1'"
}

test_platform() {
	need_busybox
	local arch
	case $(uname -m) in
	x86_64) arch=amd64 ;;
	aarch64) arch=arm64 ;;
	*) skip "a host arch this test does not name: $(uname -m)" ;;
	esac
	pd run --rm --platform "linux/$arch" --rootfs "$BUSYBOX_DIR" echo ok
	assert_ok
	assert_out ok "--platform linux/$arch"
	local other=linux/arm64
	[ "$arch" = arm64 ] && other=linux/amd64
	pd run --rm --platform "$other" --rootfs "$BUSYBOX_DIR" echo ok
	assert_usage "invalid --platform '$other': this host runs linux/$arch, and pocket-docker emulates no other platform"
	pd run --rm --platform windows/$arch --rootfs "$BUSYBOX_DIR" echo ok
	assert_usage "invalid --platform 'windows/$arch'"
	pd run --rm --platform linux/ --rootfs "$BUSYBOX_DIR" echo ok
	assert_usage "want OS[/ARCH[/VARIANT]]"
}

# The registry helpers of t_images.sh (start_registry, push_image, and
# the trap that stops the registry); sourced inside a test, where its
# run_tests returns at once.
_registry_helpers() {
	source "$LIB_DIR/t_images.sh"
}

# `run IMAGE` of an image that is not here pulls it (--pull missing, the
# default), and only then.
test_pull_missing() {
	_registry_helpers
	start_registry
	push_image test/bb:v1
	pd run --rm "$REG/test/bb:v1"
	assert_ok "run pulls a missing image"
	assert_out $'default-cmd\n/data' "the pulled image's Entrypoint, Cmd and WorkingDir"
	assert_contains "$ERR" "Unable to find image '$REG/test/bb:v1' locally" "Docker's notice"
	pd images -q
	assert_out "${CONFIG_DIGEST:7:12}" "the image is recorded"
	# Here now: not pulled again, even with the tag moved on.
	push_image test/bb:v1 user
	pd run --rm "$REG/test/bb:v1" 'id -u'
	assert_ok
	assert_out 0 "the image here is used"
	assert_not_contains "$ERR" "Unable to find image" "no second pull"
	# --rootfs IMAGE pulls too.
	push_image test/other:v2
	pd run --rm --rootfs "$REG/test/other:v2" 'echo via-rootfs'
	assert_ok
	assert_out via-rootfs "--rootfs of a missing image"
	# A reference the registry does not have: 125, nothing recorded.
	pd run --rm "$REG/test/none:v1" true
	assert_exit 125 "an image the registry lacks"
	assert_contains "$ERR" "not found" "the registry's answer"
	pd images
	assert_contains "$OUT" "$REG/test/other" "the image pulled by --rootfs"
	assert_not_contains "$OUT" "test/none" "nothing recorded of a failed pull"
}

test_pull_always_and_never() {
	_registry_helpers
	start_registry
	push_image test/bb:v1
	pd run --rm --pull never "$REG/test/bb:v1" true
	assert_usage "no such image: '$REG/test/bb:v1' (and --pull never)"
	pd images -q
	assert_out "" "--pull never pulls nothing"
	pd run --rm --pull always "$REG/test/bb:v1" 'id -u'
	assert_ok
	assert_out 0
	# The tag moves to an image with User 4321: always fetches it, never
	# and missing keep the one here.
	push_image test/bb:v1 user
	pd run --rm --pull never "$REG/test/bb:v1" 'id -u'
	assert_ok
	assert_out 0 "--pull never uses the image here"
	pd run --rm --pull always "$REG/test/bb:v1" 'id -u'
	assert_ok
	assert_out 4321 "--pull always fetched the tag's new image"
	assert_not_contains "$ERR" "Unable to find image" "no notice for an image that is here"
	# A path is never pulled.
	pd run --rm --pull always --rootfs "$BUSYBOX_DIR" echo path
	assert_ok
	assert_out path "--pull always with a rootfs directory"
	pd run --rm --pull sometimes --rootfs "$BUSYBOX_DIR" true
	assert_usage "invalid --pull 'sometimes': want missing, always or never"
}

run_tests "$@"
