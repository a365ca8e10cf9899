#!/bin/bash
# `ui`: the web dashboard.  The server's guards with curl (no token or a
# wrong one: 401; the token in the query: a redirect setting an HttpOnly,
# SameSite=Strict cookie; a POST from another origin: 403; a GET of an
# action: 405; a foreign Host: 421; a strict CSP and no CORS header), the
# JSON API with curl, and the page in headless chromium (ui_browser.py: the
# list, stop and rm from the page, logs that follow, text-only output, the
# terminal, the run form, a pull from a registry on loopback with its
# progress, the events page; screenshots to build/ui-*.png), and as the
# unprivileged pdtest user.  The listener and its server: the server ends
# when idle, the listener never loads the HTTP library; IPv6.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

UI_PID=
REG_PID=

# ui_start: `ui` on a free loopback port in the background; sets UI_URL
# (with the token), UI_BASE and UI_TOKEN.
ui_start() {
	# The server stays while a test runs unless a test asks otherwise.
	POCKET_DOCKER_UI_IDLE_MS=${POCKET_DOCKER_UI_IDLE_MS:-600000} "$PD" --root "$T_ROOT" ui "$@" >ui.out 2>ui.err &
	UI_PID=$!
	local i=0
	while [ "$i" -lt 100 ] && ! grep -q '^http://' ui.out; do
		sleep 0.05
		i=$((i + 1))
	done
	UI_URL=$(grep '^http://' ui.out)
	[ -n "$UI_URL" ] || fail "ui printed no address: $(cat ui.out ui.err)"
	UI_BASE=${UI_URL%%/\?token=*}
	UI_PORT=${UI_BASE##*:}
	UI_TOKEN=${UI_URL##*token=}
}

ui_stop() {
	[ -n "$UI_PID" ] && kill "$UI_PID" 2>/dev/null && wait "$UI_PID" 2>/dev/null
	UI_PID=
	if [ -n "$REG_PID" ]; then
		kill "$REG_PID" 2>/dev/null
		wait "$REG_PID" 2>/dev/null
		REG_PID=
	fi
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
	# The last digit changed (to 1 where it was 0: a token ends in 0 one time in 16).
	local wrong=${UI_TOKEN%?}0
	[ "$wrong" != "$UI_TOKEN" ] || wrong=${UI_TOKEN%?}1
	assert_eq "$(code -H "Authorization: Bearer $wrong" "$UI_BASE/api/containers")" 401 \
		"a wrong bearer token"
	local h
	h=$(curl -s -D - -o /dev/null "$UI_URL")
	assert_match "$h" 'HTTP/1.1 303' "the token in the query redirects"
	assert_match "$h" "Set-Cookie: pd_ui_[0-9]+=$UI_TOKEN; Path=/; HttpOnly; SameSite=Strict"
	assert_match "$h" 'Location: /'
	assert_match "$h" "Content-Security-Policy: default-src 'none'; script-src 'self';"
	assert_match "$h" "frame-ancestors 'none'" "never framed"
	assert_match "$h" 'X-Frame-Options: DENY'
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

# ui_server: the pid of the server (the listener's child), if it runs.
ui_server() {
	pgrep -P "$UI_PID"
}

# ui_children: the pids of the ui server's children, one a line.
ui_children() {
	local s
	s=$(ui_server)
	[ -n "$s" ] && pgrep -P "$s"
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
	local srv
	srv=$(ui_server)
	threads0=$(ls "/proc/$srv/task" | wc -l)
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
	while [ "$i" -lt 30 ] && [ "$(ls "/proc/$srv/task" | wc -l)" -gt "$threads0" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	assert_eq "$(ls "/proc/$srv/task" | wc -l)" "$threads0" "no thread runs once no session waits"
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
	# The server's children never hold the token: it is unset before any starts.
	assert_eq "$(tr '\0' '\n' <"/proc/$(ui_children)/environ" | grep -c "$UI_TOKEN")" 0 \
		"the token is not in a child's environment"
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

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_registry: Debian's docker-registry on 127.0.0.1:$REG_PORT (as
# t_push.sh does), REG its address.
start_registry() {
	need_cmd docker-registry
	REG_PORT=$(free_port)
	local dir=$T_TMP/registry i
	mkdir -p "$dir/storage"
	cat >"$dir/config.yml" <<EOC
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $dir/storage
http:
  addr: 127.0.0.1:$REG_PORT
EOC
	docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
	REG_PID=$!
	for i in $(seq 1 100); do
		curl -s -o /dev/null "http://127.0.0.1:$REG_PORT/" && break
		sleep 0.1
	done
	curl -s -o /dev/null "http://127.0.0.1:$REG_PORT/" || fail "the registry did not start: $(tail -5 "$dir/log")"
	REG=127.0.0.1:$REG_PORT
}

need_browser() {
	need_cmd curl
	[ -x /usr/bin/chromium ] || skip "chromium is not installed (apt-get install chromium)"
	[ -x /usr/bin/chromedriver ] || skip "chromedriver is not installed (apt-get install chromium-driver)"
	# Debian's python3 (python3-selenium), not one earlier in PATH.
	/usr/bin/python3 -c 'import selenium' 2>/dev/null || skip "python3-selenium is not installed"
}

test_ui_browser() {
	need_root
	need_busybox
	need_browser
	# An image in a registry on loopback, for the page to pull (and not
	# here before it does).
	start_registry
	pd import --name "$REG/pd/uibb:v1" "$BUSYBOX_TAR"
	assert_ok "import"
	pd push "$REG/pd/uibb:v1"
	assert_ok "push"
	pd rmi "$REG/pd/uibb:v1"
	assert_ok "rmi"
	ui_start
	trap ui_stop EXIT
	mkdir -p "$REPO/build"
	PD_UI_PULL_REF=$REG/pd/uibb:v1 BUSYBOX_DIR=$BUSYBOX_DIR timeout 150 /usr/bin/python3 "$LIB_DIR/ui_browser.py" \
		"$UI_URL" "$PD" "$T_ROOT" "$REPO/build" >browser.out 2>&1
	local rc=$?
	cat browser.out
	[ "$rc" -eq 0 ] || fail "browser checks failed (exit $rc): $(tail -5 browser.out)"
	assert_contains "$(cat browser.out)" "all browser checks passed"
	for c in victim talker fromform; do
		pd rm -f "$c"
	done
	pd rmi "$REG/pd/uibb:v1"
	ui_stop
}

# Rootless: the dashboard run as pdtest serves pdtest's state root, and
# the page lists pdtest's container and not root's.
test_ui_browser_rootless() {
	need_busybox
	need_browser
	local root_root=$T_TMP/rootroot
	mkdir -p "$root_root"
	pd --root "$root_root" run -d --name rootsown --rootfs "$BUSYBOX_DIR" sleep 1000
	assert_ok "root's container"
	rootless_prepare pdtest yes
	local home
	home=$(getent passwd pdtest | cut -d: -f6)
	# pdtest's own state root (its default), apart from root's.
	pd_as pdtest run -d --name usersown --rootfs "$BUSYBOX_DIR" sleep 1000
	assert_ok "pdtest's container"
	setpriv --reuid=pdtest --regid=pdtest --init-groups env HOME="$home" POCKET_DOCKER_UI_IDLE_MS=600000 \
		"$PD" --root "$T_ROOT" ui >ui.out 2>ui.err &
	UI_PID=$!
	trap 'ui_stop; pd --root "$T_TMP/rootroot" rm -f rootsown >/dev/null 2>&1' EXIT
	local i=0
	while [ "$i" -lt 100 ] && ! grep -q '^http://' ui.out; do
		sleep 0.05
		i=$((i + 1))
	done
	UI_URL=$(grep '^http://' ui.out)
	[ -n "$UI_URL" ] || fail "ui printed no address: $(cat ui.out ui.err)"
	assert_eq "$(ps -o user= -p "$(pgrep -P "$UI_PID")")" pdtest "the server runs as pdtest"
	mkdir -p "$REPO/build"
	timeout 60 /usr/bin/python3 "$LIB_DIR/ui_browser.py" --rootless "$UI_URL" "$PD" "$T_ROOT" \
		"$REPO/build" >browser.out 2>&1
	local rc=$?
	cat browser.out
	[ "$rc" -eq 0 ] || fail "browser checks failed (exit $rc): $(tail -5 browser.out)"
	assert_contains "$(cat browser.out)" "ok the rootless page lists usersown, not rootsown"
	pd_as pdtest rm -f usersown
	pd --root "$root_root" rm -f rootsown
	ui_stop
}

# With no connection for POCKET_DOCKER_UI_IDLE_MS the server ends; the
# listener, which never loaded libmicrohttpd, sleeps (no CPU time passes)
# and starts a new server for the next request.
test_ui_idle() {
	need_root
	need_cmd curl pgrep
	POCKET_DOCKER_UI_IDLE_MS=1000 ui_start
	trap ui_stop EXIT
	assert_eq "$(code -H "$(auth)" "$UI_BASE/api/info")" 200
	local i=0
	while [ "$i" -lt 60 ] && [ -n "$(ui_server)" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	assert_eq "$(ui_server)" "" "the server ended once idle"
	assert_not_contains "$(cat "/proc/$UI_PID/maps")" microhttpd "the listener never loads libmicrohttpd"
	local t0 t1
	t0=$(awk '{print $14 + $15}' "/proc/$UI_PID/stat")
	sleep 1.5
	t1=$(awk '{print $14 + $15}' "/proc/$UI_PID/stat")
	assert_eq "$t1" "$t0" "the idle listener used no CPU time"
	echo "info: idle listener RSS $(ps -o rss= -p "$UI_PID") KiB" >&2
	assert_eq "$(code -H "$(auth)" "$UI_BASE/api/info")" 200 "a request after idle starts a server"
	[ -n "$(ui_server)" ] || fail "no server runs after the request"
	ui_stop
}

# IPv6: --listen [::1]:PORT, and the default listens on ::1 too.
test_ui_ipv6() {
	need_root
	need_cmd curl
	grep -q '^0\{31\}1 ' /proc/net/if_inet6 || skip "no IPv6 loopback (::1)"
	ui_start --listen '[::1]:0'
	trap ui_stop EXIT
	assert_match "$UI_BASE" '^http://\[::1\]:[0-9]+$' "the address printed"
	assert_eq "$(code -g -H "$(auth)" "$UI_BASE/api/info")" 200 "a request over IPv6"
	assert_eq "$(code -g -H "$(auth)" -H "Host: evil.example" "$UI_BASE/api/info")" 421 "a foreign Host"
	assert_eq "$(code "http://127.0.0.1:$UI_PORT/api/info")" 000 "not on 127.0.0.1"
	ui_stop
	ui_start
	assert_match "$(cat ui.out)" "also on \[::1\]:$UI_PORT" "the default says ::1"
	assert_eq "$(code -g -H "$(auth)" "http://[::1]:$UI_PORT/api/info")" 200 "the default listens on ::1"
	assert_eq "$(code -H "$(auth)" "$UI_BASE/api/info")" 200 "and on 127.0.0.1"
	pd ui --listen '::1:80'
	[ "$RC" -ne 0 ] || fail "an IPv6 address without brackets is taken"
	assert_contains "$ERR" "brackets"
	ui_stop
}

# GET /api/events: what the CLI does after the stream opened, filtered.
test_ui_events_api() {
	need_root
	need_cmd curl
	ui_start
	trap ui_stop EXIT
	pd create --name evone --rootfs "$BUSYBOX_DIR" true
	assert_ok
	timeout 3 curl -sN -H "$(auth)" "$UI_BASE/api/events?container=evtwo" >events.out &
	local cpid=$!
	sleep 0.7
	pd rename evone evtwo
	assert_ok
	pd rm evtwo
	assert_ok
	pd create --name evother --rootfs "$BUSYBOX_DIR" true
	assert_ok
	wait "$cpid"
	pd rm evother
	assert_contains "$(cat events.out)" '"action":"rename"' "a rename after the stream opened"
	assert_contains "$(cat events.out)" '"action":"destroy"'
	assert_not_contains "$(cat events.out)" '"action":"create"' "not before it opened, nor another container's"
	assert_eq "$(code -H "$(auth)" "$UI_BASE/api/events?type=bogus")" 400 "a bad filter"
	ui_stop
}

run_tests "$@"
