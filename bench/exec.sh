#!/bin/bash
# exec: run /bin/true inside a running container, side by side:
#
#   pd       pocket-docker exec C /bin/true       (C: run -d ... /bin/sleep)
#   crun     crun exec ID /bin/true               (ID: crun run -d, same bundle)
#   runc     runc exec ID /bin/true
#   nsenter  nsenter -t PID -a -r -w /bin/true    (into the pocket-docker container's process)
#
# Must run as root.  Knobs: BENCH_EXEC_RUNS (default 200; quick 20), BENCH_QUICK, BENCH_MD,
# BENCH_VERBOSE.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
enter_private_ns "$@"

RUNS=${BENCH_EXEC_RUNS:-$(qv 200 20)}
ROUNDS=$(qv 4 2)
MD=${BENCH_MD:-$REPO/BENCHMARKS.md}

need_pkgs hyperfine crun runc busybox-static python3 util-linux
bench_begin exec
on_exit oci_cleanup
prepare_busybox "$TMP"
mk_bundle "$TMP/bundle" "$FIX_DIR" /bin/sleep 100000
mkdir -p "$TMP/crun" "$TMP/runc"
: >"$TMP/skipped"

ROWS=()
SET=()
try() { # NAME DESCRIPTION COMMAND
	ROWS+=(--row "$1|$2")
	works "$1" "$3" && SET+=("$1" "$3")
	return 0
}
if [ -n "$PD" ]; then
	if "$PD" --root "$STATE" run -d --name pdbench-exec --rootfs "$FIX_DIR" /bin/sleep 100000 >/dev/null 2>"$TMP/err"; then
		try pd "pocket-docker exec C /bin/true" "$PD --root $STATE exec pdbench-exec /bin/true"
		PDPID=$("$PD" --root "$STATE" inspect pdbench-exec | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["State"]["Pid"])')
		try nsenter "nsenter -t PID -a -r -w /bin/true (all namespaces of the same container)" \
			"nsenter -t $PDPID -a -r -w /bin/true"
	else
		log "SKIP pd: run -d failed: $(cat "$TMP/err")"
		echo "pd|run -d failed: $(tail -n1 "$TMP/err")" >>"$TMP/skipped"
	fi
else
	echo "pd|pocket-docker is not built" >>"$TMP/skipped"
	ROWS+=(--row "pd|pocket-docker exec C /bin/true")
fi
for rt in crun runc; do
	id=${OCI_PREFIX}exec-$rt
	if $rt --root "$TMP/$rt" run -d --bundle "$TMP/bundle" "$id" </dev/null >/dev/null 2>"$TMP/err"; then
		try "$rt" "$rt exec ID /bin/true" "$rt --root $TMP/$rt exec $id /bin/true"
	else
		ROWS+=(--row "$rt|$rt exec ID /bin/true")
		echo "$rt|run -d failed: $(tail -n1 "$TMP/err" | tr '|' /)" >>"$TMP/skipped"
	fi
done

hf_rounds "$TMP/exec" "$ROUNDS" $(((RUNS + ROUNDS - 1) / ROUNDS)) 2 "${SET[@]}"

SKIP_ARGS=()
while IFS= read -r -d '' a; do SKIP_ARGS+=("$a"); done < <(skipped_args)
write_machine "$TMP/machine" \
	"- tools: $(tool_version crun --version), $(tool_version runc --version), $(tool_version nsenter --version), $(tool_version hyperfine --version)"
python3 "$BENCH_DIR/report.py" --section exec --md "$MD" --machine "$TMP/machine" \
	--title "exec /bin/true into a running container" \
	"${ROWS[@]}" "${SKIP_ARGS[@]}" \
	--ratio "pd|pd" --ratio "crun|crun" --ratio "nsenter|nsenter" \
	--note "Each command ran $RUNS times in $ROUNDS hyperfine rounds (\`hyperfine -N\`, 2 warm-up runs per round), the order rotating; medians over all runs. Each runtime execs into its own container running \`/bin/sleep\` (crun and runc: the start-up bundle; pocket-docker: \`run -d --rootfs DIR\`); nsenter enters the pocket-docker container's process and is the floor: it joins the namespaces and nothing else (no cgroup, capabilities, seccomp or record)." \
	--merged "$BENCH_OUT/exec.json" \
	"$TMP"/exec-*.json
