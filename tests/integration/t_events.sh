#!/bin/bash
# `events`: what run, stop, kill, rm, pause, rename, an OOM kill, a health
# check and image commands record, in order; --since/--until windows
# (relative, Unix seconds, RFC 3339); filters; --format; follow mode (new
# events appear; SIGTERM, SIGINT and a closed stdout end it with status 0;
# idle it uses no CPU); bad input.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# actions NAME [EXTRA ARGS]: the past events of container NAME, one
# "ACTION" per line.
actions() {
	local name=$1
	shift
	pd events --since 1h --until 0s --filter "container=$name" --format '{{.Action}}' "$@"
	assert_ok "events of $name"
}

lines() {
	# The last output's lines joined, each followed by a space.
	[ -z "$OUT" ] || printf '%s\n' "$OUT" | tr '\n' ' '
}

test_run_exit_records_create_start_die() {
	need_busybox
	allow_containers_left
	pd run --name three --label team=red --rootfs "$BUSYBOX_DIR" /bin/sh -c 'exit 3'
	assert_exit 3
	actions three
	assert_eq "create start die " "$(lines)" "a run that exits 3"
	pd events --since 1h --until 0s --filter event=die --format '{{index .Actor.Attributes "exitCode"}}'
	assert_ok
	assert_out 3 "die's exitCode"
	# Docker's default line: time, type, action, full id, sorted attributes.
	pd inspect --format '{{.Id}}' three
	local id=$OUT
	pd events --since 1h --until 0s --filter event=die
	assert_ok
	assert_match "$OUT" "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z container die $id \(exitCode=3, image=$BUSYBOX_DIR, name=three, team=red\)$" \
		"the default line"
	pd rm three
	assert_ok
	actions three
	assert_eq "create start die destroy " "$(lines)" "rm records destroy"
}

test_run_rm_records_die_and_destroy() {
	need_busybox
	pd run --rm --name gone --rootfs "$BUSYBOX_DIR" /bin/sh -c 'exit 5'
	assert_exit 5
	actions gone
	assert_eq "create start die destroy " "$(lines)" "a --rm run"
	pd events --since 1h --until 0s --filter event=die --format '{{.Actor.Attributes.exitCode}}'
	assert_out 5 "the --rm run's exit code"
}

test_stop_records_kill_die_stop() {
	need_busybox
	allow_containers_left
	pd run -d --name stopper --rootfs "$BUSYBOX_DIR" /bin/sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
	assert_ok
	pd stop stopper
	assert_ok
	actions stopper
	assert_eq "create start kill die stop " "$(lines)" "stop"
	pd events --since 1h --until 0s --filter event=kill --format '{{.Actor.Attributes.signal}}'
	assert_out 15 "stop's signal"
	# kill and rm -f
	pd run -d --name killed --rootfs "$BUSYBOX_DIR" sleep 100
	assert_ok
	pd kill killed
	assert_ok
	pd wait killed
	actions killed --filter event=kill --filter event=die
	assert_eq "kill die " "$(lines)" "kill"
	pd events --since 1h --until 0s --filter container=killed --filter event=die \
		--format '{{.Actor.Attributes.exitCode}}'
	assert_out 137
	pd rm killed stopper
	assert_ok
}

test_pause_unpause_rename() {
	need_busybox
	need_root
	allow_containers_left
	pd run -d --name before --rootfs "$BUSYBOX_DIR" sleep 100
	assert_ok
	local id=$OUT
	pd pause before
	assert_ok
	pd unpause before
	assert_ok
	pd rename before after
	assert_ok
	pd rm -f after
	assert_ok
	actions "${id:0:12}"
	# rm -f asks for a stop (so that no restart policy starts it again),
	# which records "stop" after "die"; Docker's rm -f has none.
	assert_eq "create start pause unpause rename kill die stop destroy " "$(lines)" "pause, unpause, rename, rm -f"
	pd events --since 1h --until 0s --filter event=rename --format '{{.Actor.Attributes.oldName}} {{.Actor.Attributes.name}}'
	assert_out "before after"
}

test_oom_is_recorded() {
	need_busybox
	need_root
	allow_containers_left
	pd run --name hog --memory 50m --rootfs "$BUSYBOX_DIR" /bin/sh -c 'head -c 200m /dev/zero | tail >/dev/null'
	assert_exit 137
	actions hog
	assert_eq "create start oom die " "$(lines)" "an OOM kill"
	pd rm hog
}

test_health_status() {
	need_busybox
	allow_containers_left
	pd run -d --name doc --health-cmd 'test -f /tmp/ok' --health-interval 300ms --health-retries 2 \
		--rootfs "$BUSYBOX_DIR" /bin/sh -c 'touch /tmp/ok; sleep 1.2; rm /tmp/ok; sleep 100'
	assert_ok
	local i
	for i in $(seq 50); do
		pd events --since 1h --until 0s --filter event=health_status --format '{{.Action}}'
		case $OUT in *unhealthy*) break ;; esac
		sleep 0.1
	done
	assert_eq "health_status: healthy health_status: unhealthy " "$(lines)" "the health status changes"
	pd rm -f doc
	assert_ok
}

test_since_until_windows() {
	need_busybox
	allow_containers_left
	pd run --name early --rootfs "$BUSYBOX_DIR" true
	assert_ok
	sleep 1.1
	local mark
	mark=$(date +%s.%N)
	local rfc
	rfc=$(date -u -d "@$mark" +%Y-%m-%dT%H:%M:%S.%NZ)
	sleep 0.1
	pd run --name late --rootfs "$BUSYBOX_DIR" true
	assert_ok
	local fmt='{{.Action}}:{{.Actor.Attributes.name}}'
	pd events --since "$mark" --until 0s --format "$fmt"
	assert_ok
	assert_eq "create:late start:late die:late " "$(lines)" "--since Unix seconds"
	pd events --since "$rfc" --until 0s --format "$fmt"
	assert_eq "create:late start:late die:late " "$(lines)" "--since RFC 3339"
	pd events --since 1h --until "$rfc" --format "$fmt"
	assert_eq "create:early start:early die:early " "$(lines)" "--until RFC 3339"
	# --until alone replays from the oldest kept.
	pd events --until "$mark" --format "$fmt"
	assert_eq "create:early start:early die:early " "$(lines)" "--until without --since"
	pd events --filter since=1m --filter "until=$mark" --format "$fmt"
	assert_eq "create:early start:early die:early " "$(lines)" "since= and until= filters"
	sleep 1
	pd events --since 1s --until 0s --format "$fmt"
	assert_ok
	assert_eq "" "$OUT" "nothing in the last second"
	pd events --since 1m --until 0s --format "$fmt" --filter event=create
	assert_eq "create:early create:late " "$(lines)" "a relative --since"
}

test_filters() {
	need_busybox
	allow_containers_left
	pd run --name lab --label team=red --label solo --rootfs "$BUSYBOX_DIR" true
	assert_ok
	local id
	pd inspect --format '{{.Id}}' lab
	id=$OUT
	pd run --name other --label team=blue --rootfs "$BUSYBOX_DIR" true
	assert_ok
	local fmt='{{.Actor.Attributes.name}}' f=(--since 1h --until 0s --filter event=create)
	pd events "${f[@]}" --format "$fmt" --filter label=team=red
	assert_out lab "label=KEY=VALUE"
	pd events "${f[@]}" --format "$fmt" --filter label=solo
	assert_out lab "label=KEY"
	pd events "${f[@]}" --format "$fmt" --filter label=team
	assert_eq "lab other " "$(lines)" "label=KEY on both"
	pd events "${f[@]}" --format "$fmt" --filter "container=${id:0:10}"
	assert_out lab "container=ID prefix"
	pd events "${f[@]}" --format "$fmt" --filter container=lab --filter container=other
	assert_eq "lab other " "$(lines)" "two containers: either"
	pd events "${f[@]}" --format "$fmt" --filter type=image
	assert_out "" "type=image"
	pd events "${f[@]}" --format "$fmt" --filter type=container --filter "image=$BUSYBOX_DIR"
	assert_eq "lab other " "$(lines)" "type=container, image="
	pd events "${f[@]}" --filter colour=red
	assert_exit 125 "an unknown filter"
	assert_error_line
	pd events "${f[@]}" --filter type=volume
	assert_exit 125 "an unknown type"
}

test_format_fields_and_json() {
	need_busybox
	allow_containers_left
	pd run --name fmt --rootfs "$BUSYBOX_DIR" true
	assert_ok
	pd inspect --format '{{.Id}}' fmt
	local id=$OUT
	pd events --since 1h --until 0s --filter event=start \
		--format '{{.Type}} {{.Status}} {{.ID}} {{.From}} {{.Actor.ID}} {{.Time}} {{.TimeNano}}'
	assert_ok
	assert_match "$OUT" "^container start $id $BUSYBOX_DIR $id [0-9]{10} [0-9]{19}$" "template fields"
	local f
	for f in json '{{json .}}'; do
		pd events --since 1h --until 0s --filter event=die --format "$f"
		assert_ok
		printf '%s' "$OUT" | python3 -c '
import json, sys
m = json.loads(sys.stdin.read())
assert m["Type"] == "container" and m["Action"] == "die" and m["status"] == "die", m
assert m["Actor"]["ID"] == m["id"] == sys.argv[1], m
assert m["Actor"]["Attributes"] == {"exitCode": "0", "image": sys.argv[2], "name": "fmt"}, m
assert m["timeNano"] // 10**9 == m["time"] and m["scope"] == "local", m
' "$id" "$BUSYBOX_DIR" || fail "--format $f is not Docker's JSON"
	done
	pd events --since 1h --until 0s --format '{{.Nope'
	assert_exit 125 "a bad template"
	assert_error_line
}

test_image_events() {
	need_busybox
	pd import --name ev:one "$BUSYBOX_TGZ"
	assert_ok
	local iid=$OUT
	pd pull "file://$BUSYBOX_TAR"
	assert_ok
	pd rmi ev:one
	assert_ok
	pd events --since 1h --until 0s --filter type=image --format '{{.Action}} {{.Actor.ID}}'
	assert_ok
	assert_eq "import $iid pull file://$BUSYBOX_TAR untag $iid delete $iid " "$(lines)" "image events"
	pd events --since 1h --until 0s --filter image=ev --format '{{.Action}}'
	assert_eq "import untag " "$(lines)" "image=REPO matches the imported and untagged name"
}

test_follow_shows_new_events_and_ends_on_signals() {
	need_busybox
	allow_containers_left
	pd run --name old --rootfs "$BUSYBOX_DIR" true
	assert_ok
	local sig
	for sig in TERM INT; do
		pd_bg events --format '{{.Action}} {{.Actor.Attributes.name}}'
		sleep 0.3
		pd run --rm --name "new$sig" --rootfs "$BUSYBOX_DIR" true
		assert_ok
		wait_for_output "$BG_OUT" "destroy new$sig" 10 || fail "the followed events did not appear"
		kill -"$sig" "$BG_PID"
		wait_bg 5
		assert_ok "events after SIG$sig"
		assert_eq "create new$sig start new$sig die new$sig destroy new$sig " "$(lines)" "followed events"
		assert_not_contains "$OUT" "old" "past events without --since"
	done
}

test_follow_is_idle_and_ends_when_stdout_closes() {
	need_busybox
	pd_bg events
	# Its start (opening the store, migrations on a new one: slow under a
	# sanitizer) is not idling: count from a second after it.
	sleep 1
	local before ticks
	before=$(awk '{print $14 + $15}' "/proc/$BG_PID/stat")
	sleep 2
	ticks=$(($(awk '{print $14 + $15}' "/proc/$BG_PID/stat") - before))
	[ "$ticks" -le 10 ] || fail "events used $ticks ticks of CPU in 2 s idle"
	kill -TERM "$BG_PID"
	wait_bg 5
	assert_ok
	# A reader that goes (head after one line) ends the follower.
	local fifo=$T_TMP/done
	("$PD" --root "$T_ROOT" events --format '{{.Action}}' | head -n 1 >"$T_TMP/first"
	echo "${PIPESTATUS[0]}" >"$fifo") &
	local sub=$!
	sleep 0.3
	pd run --rm --rootfs "$BUSYBOX_DIR" true
	assert_ok
	local i
	for i in $(seq 100); do
		[ -s "$fifo" ] && break
		sleep 0.05
	done
	[ -s "$fifo" ] || { kill "$sub"; fail "events did not end when its reader went"; }
	wait "$sub"
	assert_eq 0 "$(cat "$fifo")" "events' status when stdout closed"
	assert_eq create "$(cat "$T_TMP/first")" "the first followed event"
}

test_bad_times() {
	pd events --since yesterday
	assert_exit 125 "a bad --since"
	assert_error_line
	pd events --until 2026-13-45
	assert_exit 125 "a bad --until"
	assert_error_line
	pd events stray
	assert_exit 125 "an argument"
}

run_tests "$@"
