#!/bin/bash
# --format templates (ps, inspect, images, stats) and ps's selection
# (--filter, -n, -l, -s) against real containers, with the outputs
# Docker's documentation defines: the fields by name, `table` headers
# aligned by Go's tabwriter (minimum width 10, padding 3), one line per
# object, and exit 125 with one line for a bad template or filter.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Two containers: "web" running (sleep 60), then "done" exited with 3.
make_pair() {
	pd run -d --name web --rootfs "$BUSYBOX_DIR" sleep 60
	assert_ok
	WEB_ID=$OUT
	pd run --name done --rootfs "$BUSYBOX_DIR" sh -c 'exit 3'
	assert_exit 3
	pd inspect --format '{{.Id}}' done
	assert_ok
	DONE_ID=$OUT
}

drop_pair() {
	pd rm -f web done
	assert_ok
}

test_ps_template_fields() {
	need_busybox
	allow_containers_left
	make_pair
	# Newest first, as ps lists them.
	pd ps -a --format '{{.Names}} {{.State}}'
	assert_ok
	assert_out $'done exited\nweb running' "names and states"
	pd ps --format '{{.ID}}|{{.Command}}|{{.Image}}'
	assert_out "${WEB_ID:0:12}|\"sleep 60\"|$BUSYBOX_DIR" "id, quoted command, image"
	pd ps --no-trunc --format '{{.ID}}'
	assert_out "$WEB_ID" "--no-trunc id"
	pd ps -a --format '{{.Status}}'
	assert_match "$(echo "$OUT" | head -n1)" '^Exited \(3\) .* ago$' "exited status"
	assert_match "$(echo "$OUT" | tail -n1)" '^Up ' "running status"
	pd ps --format '{{.RunningFor}}/{{.Labels}}/{{.Size}}'
	assert_match "$OUT" '^.* ago//0B$' "RunningFor, Labels, Size without -s"
	pd ps --format '{{.CreatedAt}}'
	assert_match "$OUT" '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4} [A-Z]+$' "CreatedAt"
	# {{json .}}: one object per line with Docker's keys, sorted.
	pd ps -a --format '{{json .}}'
	assert_ok
	echo "$OUT" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert len(rows) == 2, rows
want = ["Command", "CreatedAt", "ID", "Image", "Labels", "LocalVolumes", "Mounts", "Names",
        "Networks", "Ports", "RunningFor", "Size", "State", "Status"]
for r in rows:
    assert list(r) == want, list(r)
    assert len(r["ID"]) == 12
' || fail "{{json .}} rows are not Docker's"
	# Functions, conditions and ranges on the rows.
	pd ps -a --format '{{if eq .State "running"}}{{upper .Names}}{{else}}{{printf "%s=%q" .Names .State}}{{end}}'
	assert_out $'done="exited"\nWEB' "if/eq/upper/printf"
	pd ps -a --format '{{range split .Names "o"}}[{{.}}]{{end}} {{len .ID}}'
	assert_out $'[d][ne] 12\n[web] 12' "range over split"
	# "json" and "table" keep ps's own layouts.
	pd ps -a --format json
	assert_contains "$OUT" "\"ID\":\"$WEB_ID\"" "--format json keeps full ids"
	pd ps -a --format table
	assert_match "$(echo "$OUT" | head -n1)" '^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$' "table"
	drop_pair
}

test_ps_table_template() {
	need_busybox
	allow_containers_left
	make_pair
	# Docker's header names, columns max(10, widest + 3) wide.
	pd ps -a --format 'table {{.ID}}\t{{.Names}}\t{{.State}}'
	assert_ok
	assert_out "CONTAINER ID   NAMES     STATE
${DONE_ID:0:12}   done      exited
${WEB_ID:0:12}   web       running" "table with headers"
	pd ps --format 'table {{.Names}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.CreatedAt}}\t{{.Image}}'
	assert_match "$(echo "$OUT" | head -n1)" '^NAMES +COMMAND +CREATED +STATUS +PORTS +CREATED AT +IMAGE$' "headers"
	# A row-only template prints no header.
	pd ps --format '{{.Names}}\t{{.State}}'
	assert_out $'web\trunning' "no header without table"
	drop_pair
}

test_ps_format_errors() {
	need_busybox
	pd ps --format '{{.Names'
	assert_exit 125
	assert_error_line "unclosed template"
	assert_contains "$ERR" "template: :1: unclosed action" "parse error"
	pd ps --format '{{nosuch .Names}}'
	assert_exit 125
	assert_contains "$ERR" 'function "nosuch" not defined' "unknown function"
	pd ps -a --filter color=red
	assert_exit 125
	assert_error_line "unknown filter"
	assert_contains "$ERR" "invalid filter 'color'" "unknown filter key"
	pd ps -a --filter status=sleeping
	assert_exit 125
	assert_contains "$ERR" "invalid value for filter 'status': 'sleeping'" "bad status"
	pd ps -a --filter exited=x
	assert_exit 125
	pd ps -a --filter name
	assert_exit 125
	pd inspect --format '{{if}}' nosuch
	assert_exit 125
	assert_error_line "inspect parse error"
	assert_contains "$ERR" "missing value for if" "inspect parse error first"
}

test_ps_filters() {
	need_busybox
	allow_containers_left
	make_pair
	pd run --name zero --rootfs "$BUSYBOX_DIR" true
	assert_ok
	# Newest first: zero, done, web.
	pd ps --filter status=exited --format '{{.Names}}'
	assert_out $'zero\ndone' "status=exited without -a"
	pd ps -a -f status=running --format '{{.Names}}'
	assert_out "web" "status=running"
	pd ps -a -f status=running -f status=exited --format '{{.Names}}'
	assert_out $'zero\ndone\nweb' "the same key twice is OR"
	pd ps -a -f status=exited -f name=do --format '{{.Names}}'
	assert_out "done" "different keys are AND"
	pd ps -a -f name=e --format '{{.Names}}'
	assert_out $'zero\ndone\nweb' "name is a substring"
	pd ps -a -f 'name=^we' --format '{{.Names}}'
	assert_out "web" "name=^we"
	pd ps -a -f 'name=^/done$' --format '{{.Names}}'
	assert_out "done" "name with Docker's leading slash"
	pd ps -a -f "id=${WEB_ID:0:6}" --format '{{.Names}}'
	assert_out "web" "id prefix"
	pd ps -a -f exited=3 --format '{{.Names}}'
	assert_out "done" "exited=3"
	pd ps -a -f exited=0 --format '{{.Names}}'
	assert_out "zero" "exited=0"
	pd ps -a -f before=done --format '{{.Names}}'
	assert_out "web" "before"
	pd ps -a -f since=web --format '{{.Names}}'
	assert_out $'zero\ndone' "since"
	pd ps -a -f since=nosuch
	assert_exit 125
	pd ps -a -f "ancestor=$BUSYBOX_DIR" --format '{{.Names}}'
	assert_out $'zero\ndone\nweb' "ancestor by the rootfs named"
	pd ps -a -f ancestor=nosuch:1 --format '{{.Names}}'
	assert_out "" "ancestor no match"
	pd ps -a -f health=none --format '{{.Names}}'
	assert_out $'zero\ndone\nweb' "health=none"
	pd ps -a -f health=healthy --format '{{.Names}}'
	assert_out "" "health=healthy"
	# Containers carry no labels yet: a label filter matches nothing.
	pd ps -a -f label=x -f label=y=z --format '{{.Names}}'
	assert_ok
	assert_out "" "label"
	pd ps -a -q -f status=exited
	assert_eq 2 "$(echo "$OUT" | wc -l)" "-q with a filter"
	pd rm -f zero
	drop_pair
}

test_ps_last_latest_size() {
	need_busybox
	allow_containers_left
	make_pair
	pd run --name writer --rootfs "$BUSYBOX_DIR" sh -c 'head -c 300000 /dev/zero > /big'
	assert_ok
	# -n and -l take every state, newest first.
	pd ps -n 2 --format '{{.Names}}'
	assert_out $'writer\ndone' "-n 2"
	pd ps -l --format '{{.Names}}'
	assert_out "writer" "-l"
	pd ps -l -q
	assert_match "$OUT" '^[0-9a-f]{12}$' "-l -q"
	pd ps -n 1 -f status=running --format '{{.Names}}'
	assert_out "web" "-n with a filter"
	pd ps -n x
	assert_exit 125
	# -s: the writable layer's size, as a column and as .Size.
	pd ps -l -s --format '{{.Size}}'
	assert_match "$OUT" '^30[0-9](\.[0-9]+)?kB$' "size of a 300 kB write"
	pd ps -a -s
	assert_match "$(echo "$OUT" | head -n1)" ' +NAMES +SIZE$' "SIZE column"
	assert_match "$(echo "$OUT" | sed -n 2p)" ' writer +30[0-9](\.[0-9]+)?kB$' "size cell"
	pd rm writer
	drop_pair
}

test_inspect_format() {
	need_busybox
	allow_containers_left
	make_pair
	pd inspect --format '{{.Name}} {{.State.Status}} {{.State.ExitCode}}' web done
	assert_ok
	assert_out $'/web running 0\n/done exited 3' "one line per object"
	pd inspect -f '{{.State.Pid}}' web
	assert_match "$OUT" '^[1-9][0-9]*$' "State.Pid"
	[ -d "/proc/$OUT" ] || fail "State.Pid $OUT is not a live process"
	pd inspect -f '{{json .Config.Cmd}}|{{index .Args 0}}|{{range .Args}}<{{.}}>{{end}}|{{join .Args ","}}' done
	assert_out '["sh","-c","exit 3"]|-c|<-c><exit 3>|-c,exit 3' "json, index, range, join"
	pd inspect -f '{{if .State.Running}}up{{else}}down{{end}} {{.Nope}} {{.State.Running | not}}' web
	assert_out 'up <no value> false' "if, missing field, pipeline"
	pd inspect -f '{{json .}}' web
	echo "$OUT" | python3 -c '
import json, sys
o = json.loads(sys.stdin.read())
assert o["Name"] == "/web" and o["State"]["Running"] is True
' || fail "{{json .}} is not the object inspect prints"
	pd inspect -f '{{index .Args 7}}' web
	assert_exit 125
	assert_contains "$ERR" "index out of range: 7" "exec error"
	drop_pair
}

test_images_format() {
	need_busybox
	allow_containers_left
	pd import --name bb:1 "$BUSYBOX_TAR"
	assert_ok
	pd images -q
	local id=$OUT
	pd images --format '{{.Repository}}:{{.Tag}} {{.ID}} {{.Digest}}'
	assert_out "bb:1 $id <none>" "images fields"
	pd images --format 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}'
	assert_out "REPOSITORY   TAG       IMAGE ID
bb           1         $id" "images table"
	pd images --format 'table {{.CreatedSince}}\t{{.Size}}'
	assert_match "$(echo "$OUT" | head -n1)" '^CREATED +SIZE$' "images headers"
	assert_match "$(echo "$OUT" | tail -n1)" ' ago +[0-9.]+[kM]B$' "CreatedSince and Size"
	pd images --format '{{.Repository'
	assert_exit 125
	# ancestor= by the image's name and by its id.
	pd run -d --name fromimg bb:1 sleep 60
	assert_ok
	pd ps -f ancestor=bb:1 --format '{{.Names}}'
	assert_out "fromimg" "ancestor by name"
	pd ps -f "ancestor=$id" --format '{{.Names}}'
	assert_out "fromimg" "ancestor by id"
	pd ps -s -f ancestor=bb:1 --format '{{.Size}}'
	assert_match "$OUT" '^[0-9.]+k?B \(virtual [0-9.]+MB\)$' "size with the image's"
	pd rm -f fromimg
	assert_ok
	pd rmi bb:1
	assert_ok
}

test_stats_format() {
	need_busybox
	allow_containers_left
	pd run -d --name web --rootfs "$BUSYBOX_DIR" sleep 60
	assert_ok
	local id=${OUT:0:12}
	pd stats --no-stream --format '{{.Name}} {{.PIDs}} {{.Container}} {{.ID}}' web
	assert_ok
	assert_out "web 1 web $id" "stats fields"
	pd stats --no-stream --format 'table {{.Name}}\t{{.PIDs}}'
	assert_out "NAME      PIDS
web       1" "stats table"
	pd stats --no-stream --format '{{.CPUPerc}} {{.MemPerc}} {{.MemUsage}}'
	assert_match "$OUT" '^[0-9]+\.[0-9]{2}% [0-9]+\.[0-9]{2}% [0-9.]+[KMG]?i?B / [0-9.]+[KMGT]?i?B$' "stats figures"
	pd stats --no-stream --format '{{.Name'
	assert_exit 125
	pd rm -f web
	assert_ok
}

# A command of non-ASCII text or control characters: the row stays valid
# (cut on a character boundary, control characters escaped), one line.
test_ps_format_command_text_is_safe() {
	need_busybox
	allow_containers_left
	pd run --name uni --rootfs "$BUSYBOX_DIR" /bin/sh -c '你好世界你好世界
x  fake-row'
	pd ps -a --format '{{.Names}}|{{.Command}}'
	assert_ok
	[ "$(echo "$OUT" | wc -l)" = 1 ] || fail "one row, got: $OUT"
	# "/bin/sh -c " is 11 bytes; 19 would cut the third character.
	assert_eq "$OUT" 'uni|"/bin/sh -c 你好…"' "the command cut on a character boundary"
	pd ps -a --no-trunc --format '{{json .Command}}'
	assert_contains "$OUT" '\\nx  fake-row' "the newline is escaped"
	pd rm uni
	assert_ok
	pd run -d --name st --rootfs "$BUSYBOX_DIR" sleep 60
	assert_ok
	pd stats --no-stream --format json st
	assert_ok
	assert_contains "$OUT" '"Name":"st"' "stats --format json"
	pd rm -f st
	assert_ok
}

run_tests "$@"
