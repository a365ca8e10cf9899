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

run_tests "$@"
