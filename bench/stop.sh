#!/bin/bash
# stop --all with 1, 10 and 50 running containers that ignore SIGTERM.
#
# Each container runs `/bin/sh -c 'trap "" TERM; while :; do sleep 1; done'` (detached), so
# stop has to wait the whole grace period and then SIGKILL; the target is one grace period plus
# at most 1 s.  Before each timed run, hyperfine's --prepare removes the stopped containers
# and starts the next set.  Must run as root.  Knobs: BENCH_STOP_COUNTS (default "1 10 50"),
# BENCH_STOP_GRACE (seconds, default 2), BENCH_STOP_RUNS (default 5; quick 2),
# BENCH_STOP_PODMAN_RUNS (podman stop -a, same containers, default 2), BENCH_QUICK,
# BENCH_MD, BENCH_VERBOSE.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
enter_private_ns "$@"

COUNTS=${BENCH_STOP_COUNTS:-"1 10 50"}
GRACE=${BENCH_STOP_GRACE:-2}
RUNS=${BENCH_STOP_RUNS:-$(qv 5 2)}
MD=${BENCH_MD:-$REPO/BENCHMARKS.md}

need_pkgs hyperfine busybox-static python3
bench_begin stop
[ -n "$PD" ] || die "pocket-docker is not built"
prepare_busybox "$TMP"
: >"$TMP/skipped"
podman_setup "$FIX_TAR" || true
PRUNS=${BENCH_STOP_PODMAN_RUNS:-2}

# The prepare script: no container left, then N detached TERM-ignoring ones, all running.
cat >"$TMP/prepare.sh" <<PREP
set -e
n=\$1
"$PD" --root "$STATE" rm -f --all >/dev/null 2>&1 || true
seq "\$n" | xargs -P 2 -I{} "$PD" --root "$STATE" run -d --name stopme-{} --rootfs "$FIX_DIR" \
	/bin/sh -c 'trap "" TERM; while :; do sleep 1; done' >>"$TMP/ids"
got=\$("$PD" --root "$STATE" ps -q | wc -l)
[ "\$got" = "\$n" ] || { echo "prepare: \$got running, expected \$n" >&2; exit 1; }
PREP
if [ "$PODMAN_OK" = 1 ]; then
	cat >"$TMP/prepare-podman.sh" <<PREP
set -e
n=\$1
$PODMAN rm -af -t 0 >/dev/null 2>&1 || true
seq "\$n" | xargs -P 2 -I{} $PODMAN run -d --name stopme-{} $PODMAN_RUN pdbench-busybox \
	/bin/sh -c 'trap "" TERM; while :; do sleep 1; done' >/dev/null
got=\$($PODMAN ps -q | wc -l)
[ "\$got" = "\$n" ] || { echo "prepare: \$got running, expected \$n" >&2; exit 1; }
PREP
fi

ROWS=()
PAIRS=()
CHECKS=()
for n in $COUNTS; do
	ROWS+=(--row "stop-$n|pocket-docker stop -t $GRACE --all, $n container(s)")
	hf_rounds "$TMP/stop-$n" 1 "$RUNS" 0 "stop-$n" "$PD --root $STATE stop -t $GRACE --all" \
		-- --prepare "bash $TMP/prepare.sh $n"
	# Every container must be stopped (exited), none still running.
	left=$("$PD" --root "$STATE" ps -q | wc -l)
	[ "$left" = 0 ] || die "$left containers still running after stop --all"
	if [ "$PODMAN_OK" = 1 ]; then
		ROWS+=(--row "podman-$n|podman stop -t $GRACE --all, $n container(s)")
		hf_rounds "$TMP/stop-podman-$n" 1 "$PRUNS" 0 "podman-$n" "$PODMAN stop -t $GRACE --all" \
			-- --prepare "bash $TMP/prepare-podman.sh $n"
		PAIRS+=(--pair "stop-$n|podman-$n")
		# shellcheck disable=SC2086
		$PODMAN rm -af -t 0 >/dev/null 2>&1 || true
	else
		ROWS+=(--row "podman-$n|podman stop -t $GRACE --all, $n container(s)")
		echo "podman-$n|$PODMAN_WHY" >>"$TMP/skipped"
	fi
	CHECKS+=(--abs-check "stop-$n|$((GRACE * 1000 + 1000))|pocket-docker stop --all with $n TERM-ignoring container(s) within one grace period ($GRACE s) plus 1 s")
done
"$PD" --root "$STATE" rm -f --all >/dev/null 2>&1 || true

SKIP_ARGS=()
while IFS= read -r -d '' a; do SKIP_ARGS+=("$a"); done < <(skipped_args)
write_machine "$TMP/machine" "- tools: ${PODMAN_VERSION:-podman not usable}, $(tool_version hyperfine --version)"
python3 "$BENCH_DIR/report.py" --section stop --md "$MD" --machine "$TMP/machine" \
	--title "stop --all with containers that ignore SIGTERM" \
	"${ROWS[@]}" "${SKIP_ARGS[@]}" "${PAIRS[@]}" --pair-label podman "${CHECKS[@]}" \
	--note "Containers: \`run -d --rootfs DIR /bin/sh -c 'trap \"\" TERM; while :; do sleep 1; done'\`, started (two at a time) by hyperfine's \`--prepare\` before each timed run, which also removes the previous set. Grace period $GRACE s (\`stop -t $GRACE\`), so the floor is $GRACE s; $RUNS timed runs per count, medians. podman (same command in the same image, \`podman run -d\`, options as in the start-up section): $PRUNS timed runs per count; \`x podman\` = pocket-docker's median / podman's." \
	--merged "$BENCH_OUT/stop.json" \
	"$TMP"/stop-*.json
