#!/bin/bash
# ps -a with 10, 100 and 1,000 container records, against podman ps -a with as many; then, at
# the largest count, ps -a --format with a plain template and with a table, against podman's
# ps -a --format with the same templates.
#
# pocket-docker's records are exited containers (`run` without --rm of /bin/true, two at a
# time); podman's are created containers (`podman create`, two at a time): both runtimes then
# list records of stopped containers.  Must run as root.  Knobs: BENCH_PS_COUNTS (default
# "10 100 1000"; quick "10 100"; the --format rows use the last), BENCH_PS_RUNS (runs per
# measurement, default 20; quick 5), BENCH_QUICK, BENCH_MD, BENCH_VERBOSE.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
enter_private_ns "$@"

COUNTS=${BENCH_PS_COUNTS:-$(qv "10 100 1000" "10 100")}
RUNS=${BENCH_PS_RUNS:-$(qv 20 5)}
MD=${BENCH_MD:-$REPO/BENCHMARKS.md}

need_pkgs hyperfine busybox-static python3 findutils
bench_begin ps
prepare_busybox "$TMP"
: >"$TMP/skipped"
podman_setup "$FIX_TAR" || true

# grow NOW WANT CMD-WITH-{}: run CMD for numbers NOW+1..WANT, two at a time.  A container that
# fails to start is logged (its error in the notes) and tried once more; a second failure is fatal.
: >"$TMP/grow-errors"
grow() {
	local now=$1 want=$2 cmd=$3 n
	[ "$want" -gt "$now" ] || return 0
	seq $((now + 1)) "$want" |
		xargs -P 2 -I{} sh -c "$cmd >/dev/null 2>\"$TMP/err-{}\" </dev/null || echo {}" >"$TMP/grow-fails"
	while read -r n; do
		log "container $n failed: $(tail -n1 "$TMP/err-$n")"
		echo "$(tail -n1 "$TMP/err-$n")" >>"$TMP/grow-errors"
		sh -c "${cmd//\{\}/$n}" >/dev/null 2>"$TMP/err-$n" </dev/null ||
			die "container $n failed twice: $(tail -n1 "$TMP/err-$n")"
	done <"$TMP/grow-fails"
	rm -f "$TMP"/err-*
}

ROWS=()
PAIRS=()
have=0
for n in $COUNTS; do
	set --
	if [ -n "$PD" ]; then
		log "pocket-docker: $have -> $n records"
		t0=$(now_ns)
		grow "$have" "$n" "$PD --root $STATE run --name pdbench-ps-{} --rootfs $FIX_DIR /bin/true"
		log "  made in $((($(now_ns) - t0) / 1000000)) ms"
		got=$("$PD" --root "$STATE" ps -a -q | wc -l)
		[ "$got" = "$n" ] || die "pocket-docker ps -a lists $got records, expected $n"
		ROWS+=(--row "pd-$n|pocket-docker ps -a, $n records")
		set -- "$@" "pd-$n" "$PD --root $STATE ps -a"
	fi
	if [ "$PODMAN_OK" = 1 ]; then
		log "podman: $have -> $n records"
		t0=$(now_ns)
		grow "$have" "$n" "$PODMAN create --name pdbench-ps-{} $PODMAN_RUN pdbench-busybox /bin/true"
		log "  made in $((($(now_ns) - t0) / 1000000)) ms"
		# shellcheck disable=SC2086
		got=$($PODMAN ps -a -q | wc -l)
		[ "$got" = "$n" ] || die "podman ps -a lists $got records, expected $n"
		ROWS+=(--row "podman-$n|podman ps -a, $n records")
		set -- "$@" "podman-$n" "$PODMAN ps -a"
		PAIRS+=(--pair "pd-$n|podman-$n")
	else
		ROWS+=(--row "podman-$n|podman ps -a, $n records")
		echo "podman-$n|$PODMAN_WHY" >>"$TMP/skipped"
	fi
	have=$n
	hf_rounds "$TMP/ps-$n" 2 $(((RUNS + 1) / 2)) 2 "$@"
done

# ps -a --format on the records of the largest count (still there): Docker's templates, the
# same for both runtimes.  A template that fails or prints nothing would look fast, so each
# command must first print one line per record (and a header for the table).
FMT_N=$have
FMT_PLAIN='{{.ID}} {{.Names}} {{.Status}}'
FMT_TABLE='table {{.ID}}\t{{.Status}}'
# fmt_lines WHAT WANT CMD...: CMD succeeds and prints WANT lines.
fmt_lines() {
	local what=$1 want=$2 got
	shift 2
	got=$("$@" </dev/null | wc -l) || die "$what failed"
	[ "$got" = "$want" ] || die "$what prints $got lines, expected $want"
}
set --
if [ -n "$PD" ]; then
	fmt_lines "pocket-docker ps -a --format" "$FMT_N" "$PD" --root "$STATE" ps -a --format "$FMT_PLAIN"
	fmt_lines "pocket-docker ps -a --format table" $((FMT_N + 1)) "$PD" --root "$STATE" ps -a --format "$FMT_TABLE"
	set -- "$@" "pd-fmt-$FMT_N" "$PD --root $STATE ps -a --format '$FMT_PLAIN'" \
		"pd-table-$FMT_N" "$PD --root $STATE ps -a --format '$FMT_TABLE'"
fi
ROWS+=(--row "pd-fmt-$FMT_N|pocket-docker ps -a --format \`$FMT_PLAIN\`, $FMT_N records")
ROWS+=(--row "podman-fmt-$FMT_N|podman ps -a --format \`$FMT_PLAIN\`, $FMT_N records")
ROWS+=(--row "pd-table-$FMT_N|pocket-docker ps -a --format \`$FMT_TABLE\`, $FMT_N records")
ROWS+=(--row "podman-table-$FMT_N|podman ps -a --format \`$FMT_TABLE\`, $FMT_N records")
if [ "$PODMAN_OK" = 1 ]; then
	# shellcheck disable=SC2086
	fmt_lines "podman ps -a --format" "$FMT_N" $PODMAN ps -a --format "$FMT_PLAIN"
	# shellcheck disable=SC2086
	fmt_lines "podman ps -a --format table" $((FMT_N + 1)) $PODMAN ps -a --format "$FMT_TABLE"
	set -- "$@" "podman-fmt-$FMT_N" "$PODMAN ps -a --format '$FMT_PLAIN'" \
		"podman-table-$FMT_N" "$PODMAN ps -a --format '$FMT_TABLE'"
	PAIRS+=(--pair "pd-fmt-$FMT_N|podman-fmt-$FMT_N" --pair "pd-table-$FMT_N|podman-table-$FMT_N")
else
	echo "podman-fmt-$FMT_N|$PODMAN_WHY" >>"$TMP/skipped"
	echo "podman-table-$FMT_N|$PODMAN_WHY" >>"$TMP/skipped"
fi
hf_rounds "$TMP/ps-fmt-$FMT_N" 2 $(((RUNS + 1) / 2)) 2 "$@"

TARGET=()
[[ " $COUNTS " == *" 1000 "* ]] && TARGET=(--abs-check "pd-1000|50|pocket-docker ps -a at 1,000 records under 50 ms")
GROW_NOTE=()
[ -s "$TMP/grow-errors" ] && GROW_NOTE=(--note "While the records were made, $(wc -l <"$TMP/grow-errors") container start(s) failed and succeeded when tried again; the errors: $(sort "$TMP/grow-errors" | uniq -c | sed 's/^ *//' | paste -sd';' | cut -c1-400)")
SKIP_ARGS=()
while IFS= read -r -d '' a; do SKIP_ARGS+=("$a"); done < <(skipped_args)
write_machine "$TMP/machine" "- tools: ${PODMAN_VERSION:-podman not usable}, $(tool_version hyperfine --version)"
python3 "$BENCH_DIR/report.py" --section ps --md "$MD" --machine "$TMP/machine" \
	--title "ps -a at 10, 100 and 1,000 records; ps -a --format at 1,000" \
	"${ROWS[@]}" "${SKIP_ARGS[@]}" "${PAIRS[@]}" --pair-label "podman" "${TARGET[@]}" \
	--note "Records: pocket-docker, exited containers from \`run --rootfs DIR /bin/true\` (no --rm); podman, containers made with \`podman create\` from the imported busybox image. Output goes to hyperfine (discarded). Each command ran $RUNS times in 2 rounds (\`hyperfine -N\`, 2 warm-up runs per round), the two runtimes alternating; medians. \`x podman\` = pocket-docker's median / podman's at the same count." \
	--note "The --format rows: at the largest count ($FMT_N records), after the \`ps -a\` rows, on the same records; a plain template and a \`table\` one (a header row, columns aligned as Go's tabwriter aligns them), the same text given to both runtimes; $(((RUNS + 1) / 2 * 2)) runs each in 2 rounds, the commands alternating." \
	"${GROW_NOTE[@]}" \
	--merged "$BENCH_OUT/ps.json" \
	"$TMP"/ps-*.json
