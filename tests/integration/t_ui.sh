#!/bin/bash
# `ui`: the web dashboard.  The server's guards with curl (no token or a
# wrong one: 401; the token in the query: a redirect setting an HttpOnly,
# SameSite=Strict cookie; a POST from another origin: 403; a GET of an
# action: 405; a foreign Host: 421; a strict CSP and no CORS header), the
# JSON API with curl, and the page in headless chromium (ui_browser.py: the
# list, stop from the page, logs that follow, text-only output, the
# terminal, the run form, events; screenshots to build/ui-*.png).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

UI_PID=

# ui_start: `ui` on a free loopback port in the background; sets UI_URL
# (with the token), UI_BASE and UI_TOKEN.
ui_start() {
	"$PD" --root "$T_ROOT" ui "$@" >ui.out 2>ui.err &
	UI_PID=$!
	local i=0
	while [ "$i" -lt 100 ] && ! grep -q '^http://' ui.out; do
		sleep 0.05
		i=$((i + 1))
	done
	UI_URL=$(grep '^http://' ui.out)
	[ -n "$UI_URL" ] || fail "ui printed no address: $(cat ui.out ui.err)"
	UI_BASE=${UI_URL%%/\?token=*}
	UI_TOKEN=${UI_URL##*token=}
}

ui_stop() {
	[ -n "$UI_PID" ] && kill "$UI_PID" 2>/dev/null && wait "$UI_PID" 2>/dev/null
	UI_PID=
}

# code ARGS...: the HTTP status of curl ARGS.
code() {
	curl -s -o /dev/null -w '%{http_code}' "$@"
}

auth() {
	echo "Authorization: Bearer $UI_TOKEN"
}

test_ui_guards() {
	need_root
	need_cmd curl
	ui_start
	trap ui_stop EXIT
	assert_match "$UI_BASE" '^http://127\.0\.0\.1:[0-9]+$' "loopback by default"
	assert_match "$UI_TOKEN" '^[0-9a-f]{64}$'
	assert_eq "$(code "$UI_BASE/")" 401 "no token"
	assert_eq "$(code "$UI_BASE/api/containers")" 401 "no token on the API"
	assert_eq "$(code "$UI_BASE/?token=0000$UI_TOKEN")" 401 "a wrong token"
	assert_eq "$(code -H "Authorization: Bearer ${UI_TOKEN%?}0" "$UI_BASE/api/containers")" 401 \
		"a wrong bearer token"
	local h
	h=$(curl -s -D - -o /dev/null "$UI_URL")
	assert_match "$h" 'HTTP/1.1 303' "the token in the query redirects"
	assert_match "$h" "Set-Cookie: pd_ui_[0-9]+=$UI_TOKEN; Path=/; HttpOnly; SameSite=Strict"
	assert_match "$h" 'Location: /'
	assert_match "$h" "Content-Security-Policy: default-src 'none'; script-src 'self';"
	assert_not_contains "$h" "Access-Control-Allow" "no CORS"
	local cookie
	cookie=$(echo "$h" | sed -n 's/^Set-Cookie: \([^;]*\);.*/\1/p')
	assert_eq "$(code -b "$cookie" "$UI_BASE/")" 200 "the cookie lets the page in"
	assert_eq "$(code -b "$cookie" "$UI_BASE/static/app.js")" 200
	assert_eq "$(code -b "${cookie%?}x" "$UI_BASE/")" 401 "a wrong cookie"
	pd run -d --name guarded --rootfs "$BUSYBOX_DIR" sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
	assert_ok
	assert_eq "$(code -b "$cookie" -X POST -H "Origin: http://evil.example" \
		"$UI_BASE/api/containers/guarded/kill")" 403 "a cross-origin POST"
	assert_eq "$(code -b "$cookie" -X POST -H "Origin: http://localhost.evil.example:1" \
		"$UI_BASE/api/containers/guarded/kill")" 403 "a look-alike origin"
	assert_eq "$(code -b "$cookie" "$UI_BASE/api/containers/guarded/kill")" 405 "GET of an action"
	assert_eq "$(code -b "$cookie" -X DELETE "$UI_BASE/api/containers/guarded")" 405 "DELETE"
	assert_eq "$(code -H "$(auth)" -H "Host: evil.example:80" "$UI_BASE/api/containers")" 421 \
		"a foreign Host (DNS rebinding)"
	pd inspect --format '{{.State.Status}}' guarded
	assert_out running "refused requests changed nothing"
	assert_eq "$(code -b "$cookie" -X POST -H "Origin: $UI_BASE" "$UI_BASE/api/containers/guarded/stop")" 200 \
		"a same-origin POST"
	pd inspect --format '{{.State.Status}}' guarded
	assert_out exited
	pd rm guarded
	assert_ok
	ui_stop
}

test_ui_api() {
	need_root
	need_cmd curl
	ui_start
	trap ui_stop EXIT
	pd run -d --name apictr --rootfs "$BUSYBOX_DIR" sh -c \
		'echo "<b>bold</b>"; trap "exit 0" TERM; while :; do sleep 0.1; done'
	assert_ok
	local id=$OUT body
	body=$(curl -s -H "$(auth)" "$UI_BASE/api/containers")
	assert_eq "$(echo "$body" | python3 -c 'import json,sys; v=json.load(sys.stdin); print(v[0]["name"], v[0]["state"], v[0]["id"])')" \
		"apictr running $id" "the list"
	body=$(curl -s -H "$(auth)" "$UI_BASE/api/containers/apictr")
	assert_eq "$(echo "$body" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])')" "$id" "inspect"
	body=$(curl -s -H "$(auth)" "$UI_BASE/api/containers/apictr/logs?download=1")
	assert_contains "$body" "<b>bold</b>" "the log, as text"
	body=$(curl -s -H "$(auth)" "$UI_BASE/api/containers/apictr/top")
	assert_contains "$body" '"titles"'
	body=$(curl -s -H "$(auth)" -X POST "$UI_BASE/api/containers/apictr/pause")
	assert_contains "$body" "\"id\""
	pd inspect --format '{{.State.Status}}' apictr
	assert_out paused "pause through the API"
	body=$(curl -s -H "$(auth)" -X POST "$UI_BASE/api/containers/apictr/pause")
	assert_contains "$body" "already paused" "a refused action says why"
	curl -s -H "$(auth)" -X POST "$UI_BASE/api/containers/apictr/unpause" >/dev/null
	curl -s -H "$(auth)" -X POST "$UI_BASE/api/containers/apictr/stop" >/dev/null
	pd inspect --format '{{.State.Status}}' apictr
	assert_out exited "stop through the API"
	assert_eq "$(code -H "$(auth)" -X POST "$UI_BASE/api/containers/apictr/rm")" 200 "rm"
	pd ps -a -q
	assert_out "" "rm through the API"
	assert_eq "$(code -H "$(auth)" "$UI_BASE/api/containers/nosuch/logs")" 404
	body=$(curl -s -H "$(auth)" -X POST -d '{"rootfs":"'"$BUSYBOX_DIR"'","name":"viaapi","cmd":["-x"]}' \
		"$UI_BASE/api/containers/run")
	assert_contains "$body" "cannot start with '-'" "a command word that would pass for a flag"
	body=$(curl -s -H "$(auth)" -X POST -d '{"rootfs":"'"$BUSYBOX_DIR"'","name":"viaapi","cmd":["echo","hi"]}' \
		"$UI_BASE/api/containers/run")
	assert_contains "$body" '"output"' "run through the API"
	pd wait viaapi
	pd logs viaapi
	assert_out hi
	pd rm viaapi
	ui_stop
}

test_ui_redirect_own_path() {
	need_root
	need_cmd curl
	ui_start
	trap ui_stop EXIT
	local h
	h=$(curl -s --path-as-is -D - -o /dev/null "$UI_BASE//evil.example/?token=$UI_TOKEN")
	assert_match "$h" 'HTTP/1.1 303'
	assert_match "$h" $'Location: /\r' "//HOST/ redirects to / (no open redirect)"
	h=$(curl -s --path-as-is -D - -o /dev/null "$UI_BASE/\\evil.example/?token=$UI_TOKEN")
	assert_match "$h" $'Location: /\r' "/\\HOST/ redirects to /"
	h=$(curl -s --path-as-is -D - -o /dev/null "$UI_BASE/static/app.js?token=$UI_TOKEN")
	assert_match "$h" $'Location: /static/app.js\r' "a path of ours is kept"
	ui_stop
}

test_ui_dash_ids() {
	need_root
	need_cmd curl
	ui_start
	trap ui_stop EXIT
	local body
	body=$(curl -s -H "$(auth)" -X POST "$UI_BASE/api/containers/-a/start")
	assert_contains "$body" "cannot start with '-'" "an id that would pass for a flag of start"
	assert_eq "$(code -H "$(auth)" -X POST "$UI_BASE/api/containers/-a/start")" 400
	assert_eq "$(code -H "$(auth)" -X POST "$UI_BASE/api/containers/--help/restart")" 400
	body=$(curl -s -H "$(auth)" "$UI_BASE/api/containers/--help")
	assert_contains "$body" "cannot start with '-'" "inspect --help is not run"
	assert_eq "$(code -H "$(auth)" "$UI_BASE/api/containers/--help/logs")" 400
	assert_eq "$(code -H "$(auth)" -X POST "$UI_BASE/api/containers/-it/exec")" 400
	body=$(curl -s -H "$(auth)" -X POST "$UI_BASE/api/images/-f/rm")
	assert_contains "$body" "cannot start with '-'" "an image reference"
	body=$(curl -s -H "$(auth)" -X POST -d '{"ref":"--help"}' "$UI_BASE/api/images/pull")
	assert_contains "$body" "give a reference" "a pull of a flag"
	ui_stop
}

# ui_children: the pids of the ui server's children, one a line.
ui_children() {
	pgrep -P "$UI_PID"
}

test_ui_exec_checks() {
	need_root
	need_cmd curl
	need_cmd pgrep
	ui_start
	trap ui_stop EXIT
	local body
	body=$(curl -s -w ' %{http_code}' -H "$(auth)" -X POST "$UI_BASE/api/containers/nosuch/exec")
	assert_match "$body" 'no such container.* 404$' "exec into no container"
	pd run --name gone --rootfs "$BUSYBOX_DIR" true
	assert_ok
	body=$(curl -s -w ' %{http_code}' -H "$(auth)" -X POST "$UI_BASE/api/containers/gone/exec")
	assert_match "$body" 'not running.* 409$' "exec into an exited container"
	sleep 0.3
	assert_eq "$(ui_children)" "" "no child started (nor left defunct)"
	pd rm gone
	ui_stop
}

test_ui_exec_sessions_reaped() {
	need_root
	need_cmd curl
	need_cmd pgrep
	POCKET_DOCKER_UI_SESSION_IDLE_MS=8000 ui_start
	trap ui_stop EXIT
	pd run -d --name term --rootfs "$BUSYBOX_DIR" sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
	assert_ok
	local threads0 i body
	threads0=$(ls "/proc/$UI_PID/task" | wc -l)
	for i in $(seq 16); do
		body=$(curl -s -H "$(auth)" -X POST "$UI_BASE/api/containers/term/exec")
		assert_match "$body" '"session":"[0-9a-f]{32}"' "session $i"
	done
	body=$(curl -s -w ' %{http_code}' -H "$(auth)" -X POST "$UI_BASE/api/containers/term/exec")
	assert_match "$body" 'too many terminals open.* 503$' "16 sessions fill the table"
	local kids groups
	kids=$(ui_children)
	assert_eq "$(echo "$kids" | grep -c .)" 16 "an exec -it child per session"
	groups=$(echo "$kids" | paste -sd,)
	# No stream came for any: each is ended after the idle time, with
	# no request needed.
	i=0
	while [ "$i" -lt 150 ] && [ -n "$(ui_children)" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	assert_eq "$(ui_children)" "" "the idle sessions' children are ended and reaped"
	assert_eq "$(pgrep -g "$groups")" "" "nothing is left of their process groups"
	i=0
	while [ "$i" -lt 30 ] && [ "$(ls "/proc/$UI_PID/task" | wc -l)" -gt "$threads0" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	assert_eq "$(ls "/proc/$UI_PID/task" | wc -l)" "$threads0" "no thread runs once no session waits"
	body=$(curl -s -H "$(auth)" -X POST "$UI_BASE/api/containers/term/exec")
	assert_match "$body" '"session":"[0-9a-f]{32}"' "a 17th session once the idle ones are gone"
	assert_eq "$(ui_children | grep -c .)" 1
	# A session whose child exits (its container stopped) before any
	# stream came is reaped without waiting for the idle time.
	ui_stop
	ui_start
	body=$(curl -s -H "$(auth)" -X POST "$UI_BASE/api/containers/term/exec")
	assert_match "$body" '"session":"[0-9a-f]{32}"'
	assert_eq "$(ui_children | grep -c .)" 1
	pd kill term
	assert_ok
	i=0
	while [ "$i" -lt 50 ] && [ -n "$(ui_children)" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	assert_eq "$(ui_children)" "" "an exited exec child is reaped (no zombie)"
	pd rm -f term
	ui_stop
}

test_ui_browser() {
	need_root
	need_busybox
	need_cmd curl
	[ -x /usr/bin/chromium ] || skip "chromium is not installed (apt-get install chromium)"
	[ -x /usr/bin/chromedriver ] || skip "chromedriver is not installed (apt-get install chromium-driver)"
	# Debian's python3 (python3-selenium), not one earlier in PATH.
	local py=/usr/bin/python3
	"$py" -c 'import selenium' 2>/dev/null || skip "python3-selenium is not installed"
	ui_start
	trap ui_stop EXIT
	mkdir -p "$REPO/build"
	BUSYBOX_DIR=$BUSYBOX_DIR timeout 120 "$py" "$LIB_DIR/ui_browser.py" "$UI_URL" "$PD" "$T_ROOT" \
		"$REPO/build" >browser.out 2>&1
	local rc=$?
	cat browser.out
	[ "$rc" -eq 0 ] || fail "browser checks failed (exit $rc): $(tail -5 browser.out)"
	assert_contains "$(cat browser.out)" "all browser checks passed"
	for c in victim talker fromform; do
		pd rm -f "$c"
	done
	ui_stop
}

run_tests "$@"
