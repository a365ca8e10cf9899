#!/bin/bash
# The dashboard's cost (issue 19): `pocket-docker ui` idle with the page closed must stay under
# 2 MB RSS and use no CPU; the containers page with 500 containers must load in under 200 ms.
#
# - Idle: `ui` is started, one request is made (so a server ran), and once the server has ended
#   (POCKET_DOCKER_UI_IDLE_MS) the listener's RSS as `ps -o rss` reports it (shared pages it has
#   mapped included), its PSS and Private_Dirty (smaps_rollup), and the CPU ticks it used over
#   BENCH_UI_IDLE_S seconds.  For comparison: the server's RSS while a page is open.
# - The containers page: BENCH_UI_COUNT created containers (and BENCH_UI_RUNNING running
#   ones), opened BENCH_UI_RUNS times in headless chromium (bench/ui_page.py): the times from
#   the navigation's start to the first list received, to every row in the document, and to
#   the next frame after (painted), from about:blank in one tab and again in a tab opened
#   for each run (which adds the browser's start of a renderer process); and the server's
#   part alone, GET /api/containers with curl (median of 20), warm and cold (the first
#   request after the server ended: a new server).
# - BENCH_UI_BASE=PATH: another pocket-docker binary measured the same way beside this one
#   (the one before a change, say).  No other runtime here has a dashboard of its own to set
#   beside it; the targets are absolute.
# Must run as root (the containers' cgroups).  Knobs: BENCH_UI_COUNT (500), BENCH_UI_RUNNING
# (5), BENCH_UI_RUNS (10; quick 3), BENCH_UI_IDLE_S (10; quick 3), BENCH_QUICK, BENCH_MD.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

COUNT=${BENCH_UI_COUNT:-500}
RUNNING=${BENCH_UI_RUNNING:-5}
RUNS=${BENCH_UI_RUNS:-$(qv 10 3)}
IDLE_S=${BENCH_UI_IDLE_S:-$(qv 10 3)}
MD=${BENCH_MD:-$REPO/BENCHMARKS.md}

need_pkgs busybox-static python3 curl
bench_begin ui
[ -n "$PD" ] || die "no pocket-docker binary"
prepare_busybox "$TMP"
BROWSER=1
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || ! /usr/bin/python3 -c 'import selenium' 2>/dev/null; then
	need_pkgs chromium chromium-driver python3-selenium || BROWSER=0
fi

log "making $COUNT created and $RUNNING running containers"
seq 1 "$COUNT" | xargs -P 4 -I{} "$PD" --root "$STATE" create --name uib-{} --rootfs "$FIX_DIR" /bin/true >/dev/null
for i in $(seq 1 "$RUNNING"); do
	"$PD" --root "$STATE" run -d --name uib-run-$i --rootfs "$FIX_DIR" /bin/sleep 100000 >/dev/null
done
got=$("$PD" --root "$STATE" ps -a -q | wc -l)
[ "$got" = $((COUNT + RUNNING)) ] || die "ps -a lists $got containers, expected $((COUNT + RUNNING))"

UI_PID=
ui_stop() {
	if [ -n "$UI_PID" ]; then
		kill "$UI_PID" 2>/dev/null || true
		wait "$UI_PID" 2>/dev/null || true
		UI_PID=
	fi
}
on_exit ui_stop

# ui_start BIN IDLE_MS: sets UI_URL, UI_BASE, UI_TOKEN.
ui_start() {
	POCKET_DOCKER_UI_IDLE_MS=$2 "$1" --root "$STATE" ui >"$TMP/ui.out" 2>"$TMP/ui.err" &
	UI_PID=$!
	local i
	for i in $(seq 1 200); do
		grep -q '^http://' "$TMP/ui.out" && break
		sleep 0.05
	done
	UI_URL=$(grep '^http://' "$TMP/ui.out") || die "ui printed no address: $(cat "$TMP/ui.err")"
	UI_BASE=${UI_URL%%/\?token=*}
	UI_TOKEN=${UI_URL##*token=}
}

# The pids of the listener's children (the server, when one runs).
server_pid() { pgrep -P "$UI_PID" || true; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rollup() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/smaps_rollup"; }
median() { sort -n | awk '{a[NR] = $1} END {if (NR) printf "%.1f", (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }
curl_ms() { curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $UI_TOKEN" "$UI_BASE$1" | awk '{printf "%.1f\n", $1 * 1000}'; }

# measure LABEL BIN: one column of the table, into $TMP/col-LABEL.
measure() {
	local label=$1 bin=$2 out=$TMP/col-$1 srv i
	log "$label: idle"
	ui_start "$bin" 2000
	curl_ms /api/containers >/dev/null
	sleep 0.5
	srv=$(server_pid)
	local srv_rss=-
	[ -n "$srv" ] && srv_rss=$(ps -o rss= -p "$srv" | tr -d ' ')
	# An older binary without the split: its server is the listener
	# itself, which never ends.
	local split=no
	if [ -n "$srv" ]; then
		split=yes
		for i in $(seq 1 100); do
			[ -z "$(server_pid)" ] && break
			sleep 0.1
		done
	else
		srv_rss=$(ps -o rss= -p "$UI_PID" | tr -d ' ')
	fi
	sleep 1
	local t0 t1 rss pss dirty
	t0=$(ticks "$UI_PID")
	sleep "$IDLE_S"
	t1=$(ticks "$UI_PID")
	rss=$(ps -o rss= -p "$UI_PID" | tr -d ' ')
	pss=$(rollup "$UI_PID" Pss)
	dirty=$(rollup "$UI_PID" Private_Dirty)
	{
		echo "idle_rss=$rss"
		echo "idle_pss=$pss"
		echo "idle_dirty=$dirty"
		echo "idle_ticks=$((t1 - t0))"
		echo "server_rss=$srv_rss"
		echo "split=$split"
	} >"$out"
	log "$label: the server's JSON"
	local cold=""
	for i in 1 2 3 4 5; do
		for _ in $(seq 1 60); do
			[ -z "$(server_pid)" ] && break
			sleep 0.1
		done
		cold+="$(curl_ms /api/containers)"$'\n'
	done
	echo "cold_ms=$(printf '%s' "$cold" | median)" >>"$out"
	ui_stop
	ui_start "$bin" 600000
	curl_ms /api/containers >/dev/null
	echo "json_ms=$(for i in $(seq 1 20); do curl_ms /api/containers; done | median)" >>"$out"
	echo "json_kb=$(curl -s -H "Authorization: Bearer $UI_TOKEN" "$UI_BASE/api/containers" | wc -c | awk '{printf "%.0f", $1 / 1024}')" >>"$out"
	if [ "$BROWSER" = 1 ]; then
		log "$label: the page, $RUNS runs"
		/usr/bin/python3 "$BENCH_DIR/ui_page.py" "$UI_URL" "$RUNS" >"$TMP/page-$label" ||
			die "ui_page.py failed"
		echo "page_fetched=$(awk '$1 != "nan" {print $1}' "$TMP/page-$label" | median)" >>"$out"
		echo "page_loaded=$(awk '{print $2}' "$TMP/page-$label" | median)" >>"$out"
		echo "page_painted=$(awk '$3 != "nan" {print $3}' "$TMP/page-$label" | median)" >>"$out"
		echo "page_rows=$(awk '{print $4}' "$TMP/page-$label" | sort -u | paste -sd/)" >>"$out"
		/usr/bin/python3 "$BENCH_DIR/ui_page.py" "$UI_URL" "$RUNS" tab >"$TMP/tab-$label" ||
			die "ui_page.py tab failed"
		echo "tab_loaded=$(awk '{print $2}' "$TMP/tab-$label" | median)" >>"$out"
		echo "tab_painted=$(awk '$3 != "nan" {print $3}' "$TMP/tab-$label" | median)" >>"$out"
	fi
	ui_stop
	cat "$out" >&2
}

LOAD0=$(load1)
COLS=(this)
measure this "$PD"
if [ -n "${BENCH_UI_BASE:-}" ]; then
	cp "$BENCH_UI_BASE" "$TMP/pocket-docker-base"
	measure base "$TMP/pocket-docker-base"
	COLS=(this base)
fi
LOAD1=$(load1)

v() { sed -n "s/^$2=//p" "$TMP/col-$1"; }
row() { # TITLE KEY TARGET
	local line="| $1 |" c
	for c in "${COLS[@]}"; do line+=" $(v "$c" "$2") |"; done
	echo "$line $3 |"
}
{
	echo "## Dashboard (ui)"
	echo
	machine_info
	echo "- pocket-docker: ${PD_VERSION:-unknown}; load average $LOAD0 before, $LOAD1 after"
	echo
	head="| measure |"
	sep="|---|"
	for c in "${COLS[@]}"; do
		case $c in
		this) head+=" this build |" ;;
		base) head+=" $(basename "$BENCH_UI_BASE") (BENCH_UI_BASE) |" ;;
		esac
		sep+="---|"
	done
	echo "$head target |"
	echo "$sep---|"
	row "idle with the page closed: RSS (ps -o rss), KiB" idle_rss "< 2048"
	row "idle: PSS, KiB" idle_pss ""
	row "idle: Private_Dirty, KiB" idle_dirty ""
	row "idle: CPU ticks over ${IDLE_S} s" idle_ticks "0"
	row "a server apart from the listener, ended when idle" split ""
	row "the server's RSS with a page open, KiB" server_rss ""
	row "GET /api/containers ($((COUNT + RUNNING)) containers), warm, ms (median of 20)" json_ms ""
	row "GET /api/containers, the first after idle (a new server), ms (median of 5)" cold_ms ""
	row "its size, KiB" json_kb ""
	if [ "$BROWSER" = 1 ]; then
		row "page: the list received, ms from navigation (median of $RUNS)" page_fetched ""
		row "page: every row in the document, ms" page_loaded "< 200"
		row "page: the next frame painted, ms" page_painted "< 200"
		row "page: rows" page_rows ""
		row "page in a new tab: every row in the document, ms" tab_loaded ""
		row "page in a new tab: the next frame painted, ms" tab_painted ""
	fi
	echo
	echo "- chromium $(tool_version /usr/bin/chromium --version | awk '{print $2}'), headless, a fresh navigation each run (the first not counted), from about:blank in the same tab; \"in a new tab\": a tab opened for each run, as a user opens the printed address, which adds the browser's start of a renderer process for the page."
	echo "- RSS counts every page the process has mapped, shared library pages included; PSS shares them out; Private_Dirty is the memory the process alone holds."
} >"$TMP/ui.md"
cat "$TMP/ui.md"
python3 "$BENCH_DIR/report.py" --md "$MD" --section ui --raw "$TMP/ui.md"
