#!/bin/bash
# logs --since/--until (with --tail and -f), system df/info, image inspect
# and inspect's fall back to an image, {{.Label "k"}} in ps --format, and
# update (cgroup limits of a running container, the stored config of a
# stopped one, the restart policy the monitor obeys); bad values of each.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# _ts_ns STAMP: an RFC 3339 UTC stamp as `logs -t` prints it, in ns.
_ts_ns() {
	local s=${1%Z} frac
	frac=${s#*.}
	frac=$(printf '%-9s' "$frac" | tr ' ' 0)
	echo $(($(date -u -d "${s%.*}Z" +%s) * 1000000000 + 10#$frac))
}

# _unix NS: nanoseconds as Unix seconds with a fraction.
_unix() {
	printf '%d.%09d' $(($1 / 1000000000)) $(($1 % 1000000000))
}

test_logs_since_until() {
	need_root
	need_busybox
	allow_containers_left
	pd run -d --rootfs "$BUSYBOX_DIR" /bin/sh -c 'echo a; sleep 2; echo b; sleep 2; echo c'
	assert_ok
	local id=$OUT
	pd wait "$id"
	assert_out 0 "the container's exit code"
	pd logs -t "$id"
	assert_ok
	local ta tb tc
	ta=$(_ts_ns "$(printf '%s\n' "$OUT" | awk '$2 == "a" {print $1}')")
	tb=$(_ts_ns "$(printf '%s\n' "$OUT" | awk '$2 == "b" {print $1}')")
	tc=$(_ts_ns "$(printf '%s\n' "$OUT" | awk '$2 == "c" {print $1}')")
	[ $((tb - ta)) -gt 1500000000 ] && [ $((tc - tb)) -gt 1500000000 ] ||
		fail "the lines were not written 2 s apart: $ta $tb $tc"
	local ab bc
	ab=$(_unix $(((ta + tb) / 2)))
	bc=$(_unix $(((tb + tc) / 2)))

	pd logs --since "$ab" "$id"
	assert_ok
	assert_out $'b\nc' "--since between a and b (Unix seconds)"
	pd logs --until "$bc" "$id"
	assert_ok
	assert_out $'a\nb' "--until between b and c"
	pd logs --since "$ab" --until "$bc" "$id"
	assert_ok
	assert_out b "--since and --until"
	# A record's own stamp is inside the window: both bounds included.
	local sb
	pd logs -t "$id"
	sb=$(printf '%s\n' "$OUT" | awk '$2 == "b" {print $1}')
	pd logs --since "$sb" --until "$sb" "$id"
	assert_ok
	assert_out b "--since and --until at b's exact stamp (RFC 3339, Z)"
	# RFC 3339 in local time (no zone) and with an offset.
	local local_ab
	local_ab=$(TZ=America/New_York date -d "@$ab" +%Y-%m-%dT%H:%M:%S.%N)
	TZ=America/New_York pd logs --since "$local_ab" "$id"
	assert_ok
	assert_out $'b\nc' "--since in local time (no zone)"
	pd logs --until "$(date -u -d "@$ab" +%Y-%m-%dT%H:%M:%S.%N+00:00)" "$id"
	assert_ok
	assert_out a "--until with a +00:00 zone"
	# A duration: now minus it.  One second before b, whatever the delay
	# since the container ended (a is 2 s before b).
	local now ms
	now=$(date +%s%N)
	ms=$(((now - tb) / 1000000 + 1000))
	pd logs --since "${ms}ms" "$id"
	assert_ok
	assert_out $'b\nc' "--since ${ms}ms (a duration)"
	# The tail is chosen first, then the window.
	pd logs -n 2 "$id"
	assert_out $'b\nc' "-n 2"
	pd logs -n 2 --until "$bc" "$id"
	assert_ok
	assert_out b "-n 2 --until: the last two lines, then the window"
	pd logs --tail 1 --since "$ab" "$id"
	assert_out c "--tail 1 --since"
	pd logs --since "$(_unix $((tc + 1)))" "$id"
	assert_ok
	assert_out "" "--since after the last line"

	for bad in bogus 10x 2020-13-01 1h- ""; do
		pd logs --since "$bad" "$id"
		assert_exit 125 "--since '$bad'"
		assert_error_line "--since '$bad'"
		pd logs --until "$bad" "$id"
		assert_exit 125 "--until '$bad'"
		assert_error_line "--until '$bad'"
	done
}

test_logs_follow_until() {
	need_root
	need_busybox
	allow_containers_left
	pd run -d --rootfs "$BUSYBOX_DIR" /bin/sh -c 'echo a; while :; do sleep 1; done'
	assert_ok
	local id=$OUT
	wait_for_output "$T_ROOT/logs/$id.log" a || fail "the container never printed a"
	# Following stops at --until even though the container runs on.
	local until start end
	start=$(date +%s%N)
	until=$(_unix $((start + 1500000000)))
	pd logs -f --until "$until" "$id"
	end=$(date +%s%N)
	assert_ok
	assert_out a "logs -f --until"
	[ $((end - start)) -ge 1400000000 ] || fail "logs -f --until returned after $(((end - start) / 1000000)) ms"
	[ $((end - start)) -lt 10000000000 ] || fail "logs -f --until returned after $(((end - start) / 1000000)) ms"
	pd rm -f "$id"
	assert_ok
}

# _tree_bytes DIR...: the bytes of the files and symlinks under DIRs, each
# inode once (what system df counts), by find rather than the runtime.
_tree_bytes() {
	find "$@" \( -type f -o -type l \) -printf '%D-%i %s\n' | sort -u | awk '{s += $2} END {print s + 0}'
}

# _short_size N: N bytes as Docker's df prints a size (3 significant
# digits, units of 1000).
_short_size() {
	python3 -c '
import sys
n = int(sys.argv[1]); units = ["B", "kB", "MB", "GB"]; u = 0; d = 1
while u + 1 < len(units) and n // d >= 1000:
    d *= 1000; u += 1
print("%d%s" % (n, units[0]) if u == 0 else "%.3g%s" % (n / d, units[u]))' "$1"
}

test_system_df() {
	need_root
	need_busybox
	allow_containers_left
	pd system df --format '{{.Type}} {{.TotalCount}} {{.Active}} {{.Size}} {{.Reclaimable}}'
	assert_ok
	assert_out $'Images 0 0 0B 0B\nContainers 0 0 0B 0B\nLocal Volumes 0 0 0B 0B\nBuild Cache 0 0 0B 0B' \
		"df of an empty state root"
	pd import --name bb:1 "$BUSYBOX_TAR"
	assert_ok
	pd import --name other:1 "$BUSYBOX_TGZ"
	assert_ok
	pd run -d --name keep bb:1 /bin/sh -c \
		'dd if=/dev/zero of=/big bs=1024 count=300 2>/dev/null; ln /big /big2; echo ready; while :; do sleep 1; done'
	assert_ok
	local keep=$OUT
	wait_for_output "$T_ROOT/logs/$keep.log" ready || fail "the container never printed ready"
	pd run --name done bb:1 /bin/sh -c 'dd if=/dev/zero of=/small bs=1024 count=100 2>/dev/null'
	assert_ok
	pd inspect --format '{{.Id}}' done
	local done_id=$OUT

	local img_bytes keep_bytes done_bytes
	img_bytes=$(_tree_bytes "$T_ROOT"/layers/[0-9a-f]*)
	keep_bytes=$(_tree_bytes "$T_ROOT/containers/$keep/upper")
	done_bytes=$(_tree_bytes "$T_ROOT/containers/$done_id/upper")
	[ "$keep_bytes" -ge 307200 ] && [ "$keep_bytes" -lt 614400 ] ||
		fail "the running container's layer holds $keep_bytes bytes by find (a hard link counted twice?)"
	pd system df --format '{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}|{{.Reclaimable}}'
	assert_ok
	local total=$((keep_bytes + done_bytes))
	assert_line "$OUT" "Containers|2|1|$(_short_size $total)|$(_short_size "$done_bytes") ($((done_bytes * 100 / total))%)" \
		"the containers' row (find counts $keep_bytes + $done_bytes bytes)"
	# Two images: the second (another archive of the same tree) is used
	# by no container, so its layer is reclaimable.
	local layers
	layers=$(ls -d "$T_ROOT"/layers/[0-9a-f]* | wc -l)
	[ "$layers" -eq 2 ] || fail "expected two layer directories, found $layers"
	assert_match "$OUT" "^Images\|2\|1\|$(_short_size "$img_bytes")\|" "the images' row (find counts $img_bytes bytes)"
	pd system df
	assert_ok
	assert_match "$OUT" '^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE$' "the table's header"
	assert_match "$OUT" '^Local Volumes +0 +0 +0B +0B$' "the volumes' row"
	pd system df -v
	assert_ok
	assert_contains "$OUT" "Images space usage:" "df -v"
	assert_match "$OUT" "^bb +1 +[0-9a-f]{12} .* 2$" "df -v: bb:1 used by both containers"
	assert_match "$OUT" "^other +1 +[0-9a-f]{12} .* 0$" "df -v: other:1 used by none"
	assert_match "$OUT" "^${keep:0:12} +bb:1 .* $(_short_size "$keep_bytes") " "df -v: the running container's size"
	pd system df --format json
	assert_ok
	assert_line "$OUT" "{\"Active\":\"1\",\"Reclaimable\":\"$(_short_size "$done_bytes") ($((done_bytes * 100 / total))%)\",\"Size\":\"$(_short_size $total)\",\"TotalCount\":\"2\",\"Type\":\"Containers\"}" \
		"df --format json"
	pd system df extra
	assert_exit 125 "system df with an argument"
	assert_error_line
	pd system df --format '{{.Nope'
	assert_exit 125 "a bad template"
	assert_error_line
	pd rm -f keep
	assert_ok
}

test_system_info_and_prune() {
	need_root
	need_busybox
	allow_containers_left
	pd import --name bb:1 "$BUSYBOX_TAR"
	pd run -d --rootfs "$BUSYBOX_DIR" /bin/sh -c 'echo ready; while :; do sleep 1; done'
	assert_ok
	local id=$OUT
	pd run --rootfs "$BUSYBOX_DIR" /bin/true
	assert_ok
	pd system info
	assert_ok
	assert_line "$OUT" "Containers: 2" "info"
	assert_line "$OUT" " Running: 1" "info"
	assert_line "$OUT" " Stopped: 1" "info"
	assert_line "$OUT" "Images: 1" "info"
	assert_line "$OUT" "Storage Driver: overlay" "info"
	assert_line "$OUT" "Root Dir: $T_ROOT" "info"
	if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
		assert_line "$OUT" "Cgroup Version: 2" "info on a v2 host"
	else
		assert_line "$OUT" "Cgroup Version: 1" "info on a v1 host"
	fi
	pd system prune
	assert_ok
	pd ps -a -q
	assert_out "${id:0:12}" "system prune removed the exited container only"
	pd system --help
	assert_ok
	assert_contains "$OUT" "df" "system --help"
	pd --help
	assert_contains "$OUT" "system" "--help lists the system group"
	pd rm -f "$id"
	assert_ok
}

# _docker_save OUT: a `docker save` archive of busybox with a config that
# sets every key image inspect shows; prints the layer's diff id.
_docker_save() {
	python3 - "$1" "$BUSYBOX_TAR" <<'PY'
import hashlib, io, json, sys, tarfile
out, bb = sys.argv[1], sys.argv[2]
layer = open(bb, "rb").read()
diff = hashlib.sha256(layer).hexdigest()
config = {"architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
          "config": {"Entrypoint": ["/bin/sh", "-c"], "Cmd": ["echo hi"],
                     "Env": ["PATH=/usr/bin:/bin", "GREETING=hello"], "WorkingDir": "/tmp",
                     "User": "1000:1000", "ExposedPorts": {"80/tcp": {}},
                     "Labels": {"org.example.team": "core"}, "Volumes": {"/data": {}}},
          "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff]}}
cfg = json.dumps(config).encode()
cfg_name = hashlib.sha256(cfg).hexdigest() + ".json"
manifest = json.dumps([{"Config": cfg_name, "RepoTags": ["cfg:1"], "Layers": [diff + "/layer.tar"]}]).encode()
with tarfile.open(out, "w") as tf:
    for name, data in ((cfg_name, cfg), (diff + "/layer.tar", layer), ("manifest.json", manifest)):
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
print("sha256:" + diff)
PY
}

test_image_inspect() {
	need_root
	need_busybox
	pd import --name bb:1 "$BUSYBOX_TAR"
	assert_ok
	local id=$OUT
	pd image inspect bb:1
	assert_ok
	python3 - "$OUT_FILE" "$id" <<'PY' || fail "image inspect's JSON: $(cat "$T_TMP/why" 2>/dev/null)"
import json, platform, sys
v = json.load(open(sys.argv[1]))
arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
o = v[0]
want = {"Id": sys.argv[2], "RepoTags": ["bb:1"], "RepoDigests": [], "Os": "linux", "Architecture": arch}
bad = [k for k in want if o.get(k) != want[k]]
if len(v) != 1 or bad or o["RootFS"]["Type"] != "layers" or len(o["RootFS"]["Layers"]) != 1 \
        or not isinstance(o["Size"], int) or o["Size"] <= 0 \
        or sorted(o["Config"]) != sorted(["Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts",
                                          "Labels", "Volumes"]):
    open("why", "w").write(f"bad keys {bad}: {o}")
    sys.exit(1)
PY
	local diff
	diff=$(_docker_save "$T_TMP/save.tar") || fail "could not build the archive"
	pd import "$T_TMP/save.tar"
	assert_ok
	pd image inspect --format '{{index .RepoTags 0}} {{.Created}} {{index .RootFS.Layers 0}}' cfg:1
	assert_ok
	assert_match "$OUT" "^cfg:1 2024-01-02T03:04:05(\.0+)?Z $diff$" "image inspect --format"
	pd image inspect --format '{{json .Config}}' cfg:1
	assert_ok
	python3 - "$OUT" <<'PY' || fail "the image's Config: $OUT"
import json, sys
c = json.loads(sys.argv[1])
assert c["Entrypoint"] == ["/bin/sh", "-c"] and c["Cmd"] == ["echo hi"], c
assert c["Env"] == ["PATH=/usr/bin:/bin", "GREETING=hello"] and c["WorkingDir"] == "/tmp", c
assert c["User"] == "1000:1000" and c["ExposedPorts"] == {"80/tcp": {}}, c
assert c["Labels"] == {"org.example.team": "core"} and c["Volumes"] == {"/data": {}}, c
PY
	pd image inspect --format '{{.Id}}' bb:1 cfg:1
	assert_ok
	assert_match "$OUT" "^$id"$'\n'"sha256:[0-9a-f]{64}$" "two images, a line each"
	pd image inspect nope
	assert_exit 125 "image inspect of a name no image has"
	assert_contains "$ERR" "no such image: nope" "image inspect of a name no image has"
	pd image inspect --format '{{.Nope' bb:1
	assert_exit 125 "a bad template"
	assert_error_line
}

test_inspect_falls_back_to_image() {
	need_root
	need_busybox
	allow_containers_left
	pd import --name same "$BUSYBOX_TAR"
	assert_ok
	local img=$OUT
	# No container has the name: the image.
	pd inspect --format '{{.Id}} {{.RepoTags}}' same
	assert_ok
	assert_out "$img [same:latest]" "inspect of an image's name"
	pd run --name same --rootfs "$BUSYBOX_DIR" /bin/true
	assert_ok
	pd ps -a -q --no-trunc
	local cid=$OUT
	# A container has it too: the container first, as Docker.
	pd inspect --format '{{.Id}}' same
	assert_ok
	assert_out "$cid" "inspect prefers the container"
	pd inspect --type image --format '{{.Id}}' same
	assert_ok
	assert_out "$img" "inspect --type image"
	pd inspect --type container --format '{{.Id}}' same
	assert_ok
	assert_out "$cid" "inspect --type container"
	pd inspect --type container --format '{{.Id}}' same:latest
	assert_exit 125 "inspect --type container of an image's name"
	pd inspect --format '{{.Id}}' same nope
	assert_exit 125 "inspect of a name nothing has"
	assert_out "$cid" "the objects found are printed"
	assert_error_line "inspect of a name nothing has"
	assert_contains "$ERR" "no such container: nope" "inspect of a name nothing has"
	pd inspect --type volume same
	assert_exit 125 "inspect --type volume"
	assert_error_line "inspect --type volume"
}

test_ps_format_label() {
	need_root
	need_busybox
	allow_containers_left
	pd run --name lab -l team=core -l note=a,b -l empty= --rootfs "$BUSYBOX_DIR" /bin/true
	assert_ok
	pd run --name nolab --rootfs "$BUSYBOX_DIR" /bin/true
	assert_ok
	pd ps -a --format '{{.Names}}:{{.Label "team"}}:{{.Label "note"}}:{{.Label "empty"}}:{{.Label "none"}}'
	assert_ok
	assert_line "$OUT" "lab:core:a,b::" "ps --format with .Label"
	assert_line "$OUT" "nolab::::" "ps --format .Label of a container without labels"
	pd ps -a --format 'table {{.Names}}\t{{.Label "team"}}'
	assert_ok
	assert_match "$OUT" '^lab +core$' "a table with .Label"
	pd ps -a --format '{{.Label 3}}'
	assert_exit 125 "a key that is not a string"
	assert_error_line
}

test_update_running_and_stopped() {
	need_root
	need_busybox
	allow_containers_left
	pd run -d --name up -m 64m --rootfs "$BUSYBOX_DIR" /bin/sh -c 'echo ready; while :; do sleep 1; done'
	assert_ok
	local id=$OUT
	wait_for_output "$T_ROOT/logs/$id.log" ready || fail "the container never printed ready"
	local mem pids
	if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
		mem=$(cg_file "$id" memory memory.max)
	else
		mem=$(cg_file "$id" memory memory.limit_in_bytes)
	fi
	pids=$(cg_file "$id" pids pids.max)
	[ -r "$mem" ] || skip "no memory cgroup file for the container ($mem)"
	assert_eq 67108864 "$(cat "$mem")" "the memory limit run set"
	pd update --memory 128m --pids-limit 50 up
	assert_ok
	assert_out up "update prints the name it was given"
	assert_eq 134217728 "$(cat "$mem")" "the memory limit after update"
	[ -r "$pids" ] && assert_eq 50 "$(cat "$pids")" "pids.max after update"
	pd inspect --format '{{.HostConfig.Resources.Memory}}' up
	assert_out 134217728 "the stored config after update"
	# Below what the container uses: the kernel refuses; nothing stored.
	pd exec up /bin/sh -c 'mkdir -p /dev/shm/x; dd if=/dev/zero of=/dev/shm/fill bs=1M count=20 2>/dev/null'
	pd update --memory 6m up
	if [ "$RC" = 0 ]; then
		# v2 reclaims or the tmpfs pages were swapped: nothing to check.
		:
	else
		assert_exit 125 "a memory limit below the usage"
		assert_error_line "a memory limit below the usage"
		pd inspect --format '{{.HostConfig.Resources.Memory}}' up
		assert_out 134217728 "a refused update stores nothing"
	fi
	pd rm -f up
	assert_ok

	pd run --name stopped --rootfs "$BUSYBOX_DIR" /bin/true
	assert_ok
	pd update --memory 200m --cpus 0.5 --restart on-failure:3 stopped
	assert_ok
	pd inspect --format '{{.HostConfig.Resources.Memory}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}' stopped
	assert_ok
	assert_out "209715200 on-failure 3" "a stopped container's stored config after update"

	for bad in "--memory 1k" "--memory lots" "--cpus 0" "--cpus x" "--cpu-shares 1" "--pids-limit x" \
		"--restart sometimes" "--memory-swap nope"; do
		# shellcheck disable=SC2086
		pd update $bad stopped
		assert_exit 125 "update $bad"
		assert_error_line "update $bad"
	done
	pd update stopped
	assert_exit 125 "update without a flag"
	assert_error_line "update without a flag"
	pd update --memory 100m nope
	assert_exit 125 "update of no container"
	assert_error_line "update of no container"
	pd update --memory 300m --memory-swap 250m stopped
	assert_exit 125 "memory above memory+swap"
	assert_error_line "memory above memory+swap"
}

# --memory alone keeps the memory+swap limit the container has (in the
# cgroup as in the record); --memory-swap alone keeps its memory limit.
test_update_memory_keeps_swap_limit() {
	need_root
	need_busybox
	allow_containers_left
	pd run -d --name sw -m 512m --memory-swap 1g --rootfs "$BUSYBOX_DIR" sleep 600
	assert_ok
	local id=$OUT want
	pd update --memory 256m sw
	assert_ok
	if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
		want=$(((1024 - 256) * 1024 * 1024))
		assert_eq "$want" "$(cat "$(cg_file "$id" memory memory.swap.max)")" "swap.max after --memory"
	else
		local memsw
		memsw=$(cg_file "$id" memory memory.memsw.limit_in_bytes)
		[ -r "$memsw" ] || skip "no memory+swap accounting on this host ($memsw)"
		assert_eq 1073741824 "$(cat "$memsw")" "memsw after --memory"
		pd update --memory-swap 800m sw
		assert_ok
		assert_eq 838860800 "$(cat "$memsw")" "memsw after --memory-swap"
		assert_eq 268435456 "$(cat "$(cg_file "$id" memory memory.limit_in_bytes)")" "memory after --memory-swap"
	fi
	pd inspect --format '{{.HostConfig.Resources.Memory}}' sw
	assert_out 268435456 "the record's memory"
	pd rm -f sw
	assert_ok
}

test_update_restart_policy_of_running() {
	need_root
	need_busybox
	allow_containers_left
	# Exits 3 when /tmp/go appears; no restart policy yet.
	pd run -d --name rs --rootfs "$BUSYBOX_DIR" /bin/sh -c \
		'echo start; while [ ! -e /tmp/go ]; do sleep 0.1; done; exit 3'
	assert_ok
	local id=$OUT
	wait_for_output "$T_ROOT/logs/$id.log" start || fail "the container never started"
	pd update --restart on-failure:1 rs
	assert_ok
	pd exec rs touch /tmp/go
	assert_ok
	# The monitor restarts it once (the writable layer keeps /tmp/go, so
	# the second run exits at once), then gives up.
	local i n=0
	for i in $(seq 1 100); do
		n=$(grep -c ' start$' "$T_ROOT/logs/$id.log")
		pd inspect --format '{{.State.Status}} {{.RestartCount}}' rs
		[ "$n" -ge 2 ] && [ "$OUT" = "exited 1" ] && break
		sleep 0.1
	done
	[ "$n" -ge 2 ] || fail "the container was not restarted after update --restart (started $n times)"
	assert_out "exited 1" "one restart, then the policy's maximum"
	# And back to no: the next exit is final.
	pd update --restart no rs
	assert_ok
	pd inspect --format '{{.HostConfig.RestartPolicy.Name}}' rs
	assert_out no "the policy stored"
	pd run --rm --name gone -d --rootfs "$BUSYBOX_DIR" /bin/sh -c 'sleep 30'
	assert_ok
	pd update --restart always gone
	assert_exit 125 "a restart policy for a --rm container"
	assert_error_line "a restart policy for a --rm container"
	pd rm -f gone
}

# Updates at once, each of another field, all survive: each reads, merges
# and writes the stored config in one write transaction (without it, two
# read the same config and the later write drops the earlier's field).
test_update_parallel_fields_all_kept() {
	need_root
	need_busybox
	allow_containers_left
	pd create --name par --rootfs "$BUSYBOX_DIR" /bin/true
	assert_ok
	local round pids mem cpus shares plim restart_max fmt
	fmt='{{.HostConfig.Resources.Memory}} {{.HostConfig.Resources.NanoCpus}} {{.HostConfig.Resources.CpuShares}}'
	fmt="$fmt {{.HostConfig.Resources.PidsLimit}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}"
	for round in 1 2 3 4 5 6; do
		mem=$((100 + round))
		cpus=0.$round
		shares=$((500 + round))
		plim=$((60 + round))
		restart_max=$round
		pids=()
		"$PD" --root "$T_ROOT" update --memory "${mem}m" par >/dev/null 2>"$T_STATE/par-m$round.err" &
		pids+=($!)
		"$PD" --root "$T_ROOT" update --cpus "$cpus" par >/dev/null 2>"$T_STATE/par-c$round.err" &
		pids+=($!)
		"$PD" --root "$T_ROOT" update --cpu-shares "$shares" par >/dev/null 2>"$T_STATE/par-s$round.err" &
		pids+=($!)
		"$PD" --root "$T_ROOT" update --pids-limit "$plim" par >/dev/null 2>"$T_STATE/par-p$round.err" &
		pids+=($!)
		"$PD" --root "$T_ROOT" update --restart "on-failure:$restart_max" par >/dev/null \
			2>"$T_STATE/par-r$round.err" &
		pids+=($!)
		local p
		for p in "${pids[@]}"; do
			wait "$p" || fail "a parallel update failed: $(cat "$T_STATE"/par-*"$round".err)"
		done
		pd inspect --format "$fmt" par
		assert_ok
		assert_out "$((mem * 1048576)) $((round * 100000000)) $shares $plim $restart_max" \
			"every field of round $round's parallel updates"
	done
	pd rm par
	assert_ok
}

run_tests "$@"
