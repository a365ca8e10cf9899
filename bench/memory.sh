#!/bin/bash
# Memory of detached containers: the PSS of pocket-docker's per-container monitor against
# podman's conmon, and the total memory of 1 and 100 detached `sleep` containers:
#
#   pd      pocket-docker run -d --rootfs DIR /bin/sleep 100000   (monitor + sleep)
#   podman  podman run -d IMAGE /bin/sleep 100000                 (conmon + sleep)
#   crun    crun run -d (same bundle as start-up)                 (sleep only: no monitor)
#
# Must run as root.  Knobs: BENCH_MEM_COUNTS (default "1 100"; quick "1 10"), BENCH_QUICK,
# BENCH_MD.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
enter_private_ns "$@"

COUNTS=${BENCH_MEM_COUNTS:-$(qv "1 100" "1 10")}
MD=${BENCH_MD:-$REPO/BENCHMARKS.md}
ST="$BENCH_DIR/stats.py"

need_pkgs crun busybox-static python3 procps
bench_begin memory
on_exit oci_cleanup
prepare_busybox "$TMP"
mk_bundle "$TMP/bundle" "$FIX_DIR" /bin/sleep 100000
mkdir -p "$TMP/crun"
: >"$TMP/skipped"
podman_setup "$FIX_TAR" || true

# many N CMD-WITH-{}: run N of them, two at a time.
many() {
	seq "$1" | xargs -P 2 -I{} sh -c "$2 >/dev/null 2>&1 </dev/null || echo fail {}" >"$TMP/fails"
	[ ! -s "$TMP/fails" ] || die "$(wc -l <"$TMP/fails") of $1 failed: $2"
}
# measure RUNTIME N MONITOR-PIDS-FILE ALL-PIDS-FILE: one line of the table.
measure() {
	local rt=$1 n=$2 mon=$3 all=$4 mp mr mpriv mn tp tr tn
	sleep 1   # let the processes settle
	if [ -s "$mon" ]; then
		read -r mp mr mpriv mn < <(python3 "$ST" pss $(cat "$mon"))
		mon_cols="$mn	$((mp / mn))	$((mr / mn))	$((mpriv / mn))"
	else
		mon_cols="0	-	-	-"
	fi
	read -r tp tr _ tn < <(python3 "$ST" pss $(cat "$all"))
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rt" "$n" "$mon_cols" "$tn" \
		"$(awk -v k="$tp" 'BEGIN {printf "%.1f", k / 1024}')" \
		"$(awk -v k="$tp" -v n="$n" 'BEGIN {printf "%.0f", k / n}')" \
		"$(awk -v k="$tr" 'BEGIN {printf "%.1f", k / 1024}')" >>"$TMP/mem.tsv"
}

printf 'runtime\tcontainers\tmonitor processes\tmonitor PSS kB per container\tmonitor RSS kB per container\tmonitor private kB per container\tprocesses in all\ttotal PSS MB\ttotal PSS kB per container\ttotal RSS MB (shared pages counted in every process)\n' >"$TMP/mem.tsv"
for n in $COUNTS; do
	if [ -n "$PD" ]; then
		log "pocket-docker: $n detached containers"
		many "$n" "$PD --root $STATE run -d --name mem-{} --rootfs $FIX_DIR /bin/sleep 100000"
		python3 "$ST" monitors "$STATE/state.db" | cut -f2 >"$TMP/mon"
		[ "$(wc -l <"$TMP/mon")" = "$n" ] || die "expected $n running monitors, found $(wc -l <"$TMP/mon")"
		python3 "$ST" tree $(cat "$TMP/mon") >"$TMP/all"
		measure pocket-docker "$n" "$TMP/mon" "$TMP/all"
		"$PD" --root "$STATE" ps -a -q --no-trunc >>"$TMP/ids"
		"$PD" --root "$STATE" rm -f --all >/dev/null
	fi
	if [ "$PODMAN_OK" = 1 ]; then
		log "podman: $n detached containers"
		many "$n" "$PODMAN run -d --name mem-{} $PODMAN_RUN pdbench-busybox /bin/sleep 100000"
		# shellcheck disable=SC2086
		$PODMAN ps -q --no-trunc | xargs $PODMAN inspect --format '{{.State.ConmonPid}}' >"$TMP/mon"
		[ "$(wc -l <"$TMP/mon")" = "$n" ] || die "expected $n conmon processes, found $(wc -l <"$TMP/mon")"
		python3 "$ST" tree $(cat "$TMP/mon") >"$TMP/all"
		measure "podman (conmon)" "$n" "$TMP/mon" "$TMP/all"
		# shellcheck disable=SC2086
		timeout 300 $PODMAN rm -af -t 0 >/dev/null 2>&1 || true
	fi
	log "crun: $n detached containers"
	many "$n" "crun --root $TMP/crun run -d --bundle $TMP/bundle ${OCI_PREFIX}mem-{}"
	for i in $(seq "$n"); do
		crun --root "$TMP/crun" state "${OCI_PREFIX}mem-$i" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])'
	done >"$TMP/all"
	: >"$TMP/mon"
	measure "crun (no monitor)" "$n" "$TMP/mon" "$TMP/all"
	oci_cleanup
done

# Targets: monitor PSS below conmon's, at each count.
TARGETS=()
while IFS=$'\t' read -r rt n _ pss _; do
	[ "$rt" = pocket-docker ] || continue
	c=$(awk -F'\t' -v n="$n" '$1 == "podman (conmon)" && $2 == n {print $4}' "$TMP/mem.tsv")
	if [ -z "$c" ]; then
		TARGETS+=(--target "monitor PSS below conmon's, $n detached container(s): not measured (podman: ${PODMAN_WHY:-not run})|not measured")
	elif [ "$pss" -lt "$c" ]; then
		TARGETS+=(--target "monitor PSS below conmon's, $n detached container(s): $pss kB against $c kB per container|met")
	else
		TARGETS+=(--target "monitor PSS below conmon's, $n detached container(s): $pss kB against $c kB per container|MISSED")
	fi
done <"$TMP/mem.tsv"

write_machine "$TMP/machine" "- tools: $(tool_version crun --version), ${PODMAN_VERSION:-podman not usable}, $(tool_version conmon --version)"
python3 "$BENCH_DIR/report.py" --section memory --md "$MD" --machine "$TMP/machine" \
	--title "Memory of detached containers" \
	--tsv "$TMP/mem.tsv" "${TARGETS[@]}" \
	--note "Each container runs \`/bin/sleep 100000\` detached; counts started two at a time. PSS, RSS and private memory from \`/proc/PID/smaps_rollup\`, one second after the last start; with many containers the monitors share their code pages, so PSS per container falls. \`monitor\`: pocket-docker's per-container monitor process, podman's conmon; crun has none (its \`run -d\` leaves only the container's process). \`total PSS\`: the monitors and every process in the containers. Kernel memory (page tables, namespaces, cgroups, mounts) is not in these figures: the host's free memory moves too much on a shared machine to measure it by difference.${PODMAN_WHY:+ podman not measured: $PODMAN_WHY.}"
cp "$TMP/mem.tsv" "$BENCH_OUT/memory.tsv"
