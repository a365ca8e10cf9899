#!/bin/bash
# Judge throughput: runs per second of a grader's workload, one at a time and two at a time.
#
# Every run is the same short program, busybox `/bin/sh -c 'read -r x; echo "$x"'`, which reads
# one line from a test's input file on stdin and prints it; its stdout goes to a file (as a judge
# keeps it to compare).  Each runtime puts the same limits on it, as far as it can:
#
#   pd          pocket-docker run --rm --rootfs DIR --memory 256m --pids-limit 64 --timeout 2s
#                 --stdin IN --report FILE  sh -c ...
#               the limits are the container's cgroup; the runtime kills at 2 s itself and writes
#               a report (verdict, exit code, wall/user/system time, peak memory, PIDs peak).
#   crun        timeout -s KILL 2 crun run --bundle B ID < IN
#               the bundle (crun's default spec, as mk_bundle makes it) sets linux.resources
#               memory.limit 256m and pids.limit 64, so crun makes a cgroup with those limits;
#               coreutils' timeout kills crun (and, through it, the container) at 2 s.  No
#               report: crun deletes the container and its cgroup when it exits, so its peak
#               memory and CPU time are gone by the time a judge could read them.
#   crun-time   /usr/bin/time -f '%e %U %S %M %x' -o FILE timeout -s KILL 2 crun run ... < IN
#               crun as above with the nearest thing to a report a judge can have around it:
#               wall time, user and system time and the largest RSS (not the cgroup's peak)
#               of the process tree that crun reaped, and the exit status.
#   bwrap       timeout -s KILL 2 setpriv --reuid=U --regid=U --clear-groups
#                 prlimit --as=256m bwrap --unshare-all --die-with-parent
#                 --ro-bind DIR / --proc /proc --dev /dev sh -c ... < IN
#               bubblewrap has no cgroups: the limit is an rlimit.  RLIMIT_AS caps the address
#               space of each process (not the memory of the whole sandbox).  There is no PIDs
#               limit: RLIMIT_NPROC does not hold for root, and for an ordinary uid it counts
#               across every sandbox of the user (with --nproc=64, most runs of a parallel batch
#               failed to fork its pid 1), so it is left out, which spares bwrap work the others
#               do.  bwrap runs as an unused uid U of its own.  The root is read-only
#               (pocket-docker's and crun's are writable).  No report.
#   bwrap-time  /usr/bin/time ... around the bwrap command above, as for crun-time.
#
# A batch is N runs, sequential or two at a time, from a small bash script (a loop that forks
# each command with its redirections, `wait -n` for two at a time), timed by hyperfine -N --runs 1;
# rounds alternate the order of the batches.  Before measuring, every runtime runs the program
# once (its output must be the input line; pocket-docker's report must say "ok") and a
# long `sleep` under the same limits, which must end after about 2 s (verdict "timeout" for
# pocket-docker, status 137 for the others).  After measuring, every run's output is checked.
#
# Must run as root.  Environment knobs:
#   BENCH_JUDGE_N        runs per batch (default 200; quick 40)
#   BENCH_JUDGE_ROUNDS   rounds of batches (default 3; quick 1)
#   BENCH_QUICK=1, BENCH_MD, BENCH_VERBOSE as in start.sh.
# crun refuses hybrid cgroup hosts: like the other scripts, this one runs every runtime in a
# private mount namespace with /sys/fs/cgroup/unified unmounted (enter_private_ns).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
enter_private_ns "$@"

N=${BENCH_JUDGE_N:-$(qv 200 40)}
ROUNDS=${BENCH_JUDGE_ROUNDS:-$(qv 3 1)}
MD=${BENCH_MD:-$REPO/BENCHMARKS.md}
MEM=268435456
PIDS=64
SECS=2
# shellcheck disable=SC2016 # the container's shell expands it
PROG='read -r x; echo "$x"'

need_pkgs hyperfine crun bubblewrap busybox-static python3 util-linux time coreutils
bench_begin judge
on_exit oci_cleanup
J=$TMP/judge
on_exit 'show_failed'
show_failed() {
	[ -s "$J/failed" ] || return 0
	log "runs that failed (the first 5):"
	head -n 5 "$J/failed" | sed 's/^/bench:   /' >&2
}
prepare_busybox "$TMP"
mkdir -p "$TMP/crun" "$J/out" "$J/rep"
: >"$TMP/skipped"
printf 'ok %s\n' "$$" >"$J/input"
EXPECT=$(cat "$J/input")

# OCI bundles for crun: the program, and a long `sleep` for the time-limit check, with the limits.
bundle() { # DIR ARG...
	local dir=$1
	shift
	mk_bundle "$dir" "$FIX_DIR" "$@"
	python3 - "$dir/config.json" "$MEM" "$PIDS" <<'PYEOF'
import json, sys
path, mem, pids = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = json.load(open(path))
c["linux"].setdefault("resources", {})
c["linux"]["resources"]["memory"] = {"limit": mem}
c["linux"]["resources"]["pids"] = {"limit": pids}
json.dump(c, open(path, "w"), indent=1)
PYEOF
}
bundle "$J/bundle" /bin/sh -c "$PROG"
bundle "$J/bundle-sleep" /bin/sleep $((100000 + $$))

# The commands, as arrays; @N@ stands for the run's number (its report file, its crun id).
# `timeout -s KILL` kills crun only: the container would go on running (crun run does not tie
# it to its own life), so a run that ends with status 137 is followed by `crun delete -f ID`
# (CLEAN), as a judge would have to do.  bwrap's --die-with-parent takes its sandbox down.
TIME_FMT='%e %U %S %M %x'
SLEEP=$((100000 + $$)) # a `sleep` argument of this script's own, to look for leftovers
# bwrap's user: a uid of this run's own (no other process may count against its RLIMIT_NPROC;
# nobody's processes of other programs made runs fail).
BUID=$((2000000000 + $$ % 100000))
BWRAP=(timeout -s KILL "$SECS" setpriv --reuid="$BUID" --regid="$BUID" --clear-groups
	prlimit --as="$MEM" -- bwrap --unshare-all --die-with-parent
	--ro-bind "$FIX_DIR" / --proc /proc --dev /dev)
cmd_of() { # NAME sleep|prog: sets CMD, CLEAN and STDIN
	local what=$2
	local -a prog=(/bin/sh -c "$PROG")
	[ "$what" = sleep ] && prog=(/bin/sleep "$SLEEP")
	local b=$J/bundle
	[ "$what" = sleep ] && b=$J/bundle-sleep
	STDIN=$J/input
	CLEAN=()
	case $1 in
	pd)
		CMD=("$PD" --root "$STATE" run --rm --rootfs "$FIX_DIR" --memory 256m --pids-limit "$PIDS"
			--timeout "${SECS}s" --stdin "$J/input" --report "$J/rep/pd-@N@.json" "${prog[@]}")
		STDIN=/dev/null
		;;
	crun)
		CMD=(timeout -s KILL "$SECS" crun --root "$TMP/crun" run --bundle "$b" "${OCI_PREFIX}@N@")
		CLEAN=(crun --root "$TMP/crun" delete -f "${OCI_PREFIX}@N@")
		;;
	crun-time)
		CMD=(/usr/bin/time -f "$TIME_FMT" -o "$J/rep/crun-time-@N@"
			timeout -s KILL "$SECS" crun --root "$TMP/crun" run --bundle "$b" "${OCI_PREFIX}t@N@")
		CLEAN=(crun --root "$TMP/crun" delete -f "${OCI_PREFIX}t@N@")
		;;
	bwrap) CMD=("${BWRAP[@]}" "${prog[@]}") ;;
	bwrap-time) CMD=(/usr/bin/time -f "$TIME_FMT" -o "$J/rep/bwrap-time-@N@" "${BWRAP[@]}" "${prog[@]}") ;;
	esac
}
# run_line NAME WHAT OUT ERR: one run as a line of bash, $i for @N@; its status is the
# command's, after CLEAN when the command was killed.
run_line() {
	local s c=:
	cmd_of "$1" "$2"
	s=$(printf '%q ' "${CMD[@]}")
	[ ${#CLEAN[@]} -gt 0 ] && c=$(printf '%q ' "${CLEAN[@]}")
	s="$s<$(printf '%q' "$STDIN") >$3 2>$4 || { s=\$?; [ \$s != 137 ] || $c >/dev/null 2>&1; (exit \$s); }"
	printf '%s' "${s//@N@/\$i}"
}

# A batch script: N runs of NAME, PAR at a time; exits non-zero if any run failed.
batch() { # NAME PAR
	local f=$J/$1-$2.sh line
	line=$(run_line "$1" prog "$J/out/$1-$2-@N@" "$J/out/$1-$2-@N@.err")
	# A failed run leaves its number and stderr in $J/failed (hyperfine hides the output).
	line="$line || { echo \"$1-$2 run \$i: \$(cat $J/out/$1-$2-\$i.err)\" >>$J/failed; false; }"
	{
		echo "fail=0"
		if [ "$2" = 1 ]; then
			echo "for ((i = 1; i <= $N; i++)); do $line || fail=1; done"
		else
			echo "for ((i = 1; i <= $N; i++)); do"
			echo "	if ((i > $2)); then wait -n || fail=1; fi"
			echo "	{ $line; } &"
			echo "done"
			echo "for ((i = 0; i < $2; i++)); do wait -n || fail=1; done"
		fi
		echo "exit \$fail"
	} >"$f"
	echo "bash $f"
	[ "${BENCH_VERBOSE:-0}" = 1 ] && sed 's/^/bench:   /' "$f" >&2
	return 0
}

# The checks before measuring.  once NAME: the program once (number 0); its output and report.
once() {
	local name=$1 out rc=0 verdict
	out=$J/out/$name-check
	bash -c "i=0; $(run_line "$name" prog "$out" "$J/err")" 2>>"$J/bash-err" || rc=$?
	if [ "$rc" != 0 ] || [ "$(cat "$out")" != "$EXPECT" ]; then
		log "SKIP $name: the program exited $rc and printed '$(head -c 80 "$out")':"
		tail -n 3 "$J/err" | sed 's/^/bench:   /' >&2
		echo "$name|failed in the sanity run (exit $rc): $(tail -n1 "$J/err" | tr '|' '/' | cut -c1-120)" >>"$TMP/skipped"
		return 1
	fi
	if [ "$name" = pd ]; then
		verdict=$(report_field "$J/rep/pd-0.json" verdict)
		if [ "$verdict" != ok ]; then
			echo "pd|its report says '$verdict', not ok" >>"$TMP/skipped"
			return 1
		fi
	fi
	return 0
}
report_field() { # FILE KEY
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2" 2>&1 || true
}
# leftover: pids of our `sleep` still running anywhere.
leftover() {
	local d
	for d in /proc/[0-9]*; do
		[ "$({ tr '\0' ' ' <"$d/cmdline"; } 2>/dev/null)" = "/bin/sleep $SLEEP " ] && echo "${d#/proc/}"
	done
	return 0
}
# killed NAME: `sleep` under the same limits ends in about 2 s, as a time limit, and nothing
# of it is left running.
killed() {
	local name=$1 rc=0 t0 t1 ms verdict='' left p
	t0=$(now_ns)
	# (bash's own "Killed" line goes to bash-err.)
	bash -c "i=k; $(run_line "$name" sleep /dev/null "$J/err")" 2>>"$J/bash-err" || rc=$?
	t1=$(now_ns)
	ms=$(((t1 - t0) / 1000000))
	sleep 0.2
	left=$(leftover)
	[ "$name" = pd ] && verdict=$(report_field "$J/rep/pd-k.json" verdict)
	echo "$name: sleep ended after $ms ms, status $rc${verdict:+, verdict $verdict}${left:+, STILL RUNNING}" >>"$J/killed"
	for p in $left; do kill -KILL "$p" 2>/dev/null; done
	if [ "$ms" -lt $((SECS * 1000 - 100)) ] || [ "$ms" -gt $((SECS * 1000 + 1500)) ] || [ -n "$left" ] ||
		{ [ "$name" = pd ] && [ "$verdict" != timeout ]; } ||
		{ [ "$name" != pd ] && [ "$rc" != 137 ]; }; then
		log "SKIP $name: the time limit did not hold: $(tail -n1 "$J/killed")"
		echo "$name|the time limit did not hold: $(tail -n1 "$J/killed")" >>"$TMP/skipped"
		return 1
	fi
}

NAMES=()
[ -n "$PD" ] && ! "$PD" run --help 2>&1 | grep -q -e '--report' &&
	echo "pd|this pocket-docker has no --timeout/--report yet" >>"$TMP/skipped" && PD=
[ -n "$PD" ] || grep -q '^pd|' "$TMP/skipped" || echo "pd|pocket-docker is not built" >>"$TMP/skipped"
for name in pd crun crun-time bwrap bwrap-time; do
	[ "$name" = pd ] && [ -z "$PD" ] && continue
	once "$name" && killed "$name" && NAMES+=("$name")
done
[ ${#NAMES[@]} -gt 0 ] || die "no runtime works"
log "time limit: $(paste -sd';' "$J/killed" | sed 's/;/; /g')"

PAIRS=()
for name in "${NAMES[@]}"; do
	PAIRS+=("$name-seq" "$(batch "$name" 1)" "$name-par" "$(batch "$name" 2)")
done

# ---------------------------------------------------------------- measure
log "judge: batches of $N runs; $ROUNDS round(s)"
for ((r = 0; r < ROUNDS; r++)); do
	rotation "$r" "${PAIRS[@]}"
	hf_rounds "$TMP/judge-$r" 1 1 0 "${ROT[@]}"
done
# Every run of the last batch of each kind printed the input line.
bad=0
for name in "${NAMES[@]}"; do
	for p in 1 2; do
		for ((i = 1; i <= N; i++)); do
			[ "$(cat "$J/out/$name-$p-$i" 2>/dev/null)" = "$EXPECT" ] || bad=$((bad + 1))
		done
	done
done
[ "$bad" = 0 ] || die "$bad runs did not print their input"

# ---------------------------------------------------------------- report
python3 "$BENCH_DIR/stats.py" medians "$TMP"/judge-*.json >"$TMP/medians"
python3 - "$TMP/medians" "$N" "$TMP/skipped" >"$TMP/judge.tsv" 2>"$TMP/targets" <<'EOF'
import sys
med, runs = {}, {}
for line in open(sys.argv[1]):
    name, m, lo, hi, n = line.split("\t")
    med[name], runs[name] = float(m), int(n)
N = int(sys.argv[2])
skipped = dict(l.rstrip("\n").split("|", 1) for l in open(sys.argv[3]) if "|" in l)
desc = {
    "pd": "pocket-docker run --rm --memory 256m --pids-limit 64 --timeout 2s --stdin IN --report FILE",
    "crun": "timeout -s KILL 2 crun run (bundle: memory 256m, pids 64) < IN",
    "crun-time": "/usr/bin/time -o FILE timeout -s KILL 2 crun run (same bundle) < IN",
    "bwrap": "timeout -s KILL 2 setpriv (a uid of its own) prlimit --as=256m bwrap --unshare-all < IN",
    "bwrap-time": "/usr/bin/time -o FILE timeout ... bwrap (as bwrap) < IN",
}
def rate(k):
    return N / med[k]
print("\t".join(["runtime", "command", f"sequential: s per {N}", "runs/s",
                 f"2 at a time: s per {N}", "runs/s", "pd's rate / this (seq / par)", "batches"]))
for rt in desc:
    s, p = f"{rt}-seq", f"{rt}-par"
    if s not in med or p not in med:
        why = "skipped: " + skipped.get(rt, "not measured")
        print("\t".join([rt, f"{desc[rt]} — *{why}*", "-", "-", "-", "-", "-", "0"]))
        continue
    rel = "-"
    if "pd-seq" in med and "pd-par" in med:
        rel = f"{rate('pd-seq') / rate(s):.2f} / {rate('pd-par') / rate(p):.2f}"
    print("\t".join([rt, desc[rt], f"{med[s]:.2f}", f"{rate(s):.1f}", f"{med[p]:.2f}",
                     f"{rate(p):.1f}", rel, str(runs[s])]))
# Targets (issue 20): ahead of crun, one and two at a time.
for kind, label in (("seq", "one at a time"), ("par", "two at a time")):
    text = f"judge runs per second ahead of crun, {label}"
    if f"pd-{kind}" in med and f"crun-{kind}" in med:
        a, b = rate(f"pd-{kind}"), rate(f"crun-{kind}")
        print(f"{text}: {a:.1f} against {b:.1f} runs/s|{'met' if a > b else 'MISSED'}", file=sys.stderr)
    else:
        print(f"{text}|not measured", file=sys.stderr)
EOF

SKIP_ARGS=()
while IFS= read -r -d '' a; do SKIP_ARGS+=("$a"); done < <(skipped_args)
TARGETS=()
while IFS= read -r t; do TARGETS+=(--target "$t"); done <"$TMP/targets"
write_machine "$TMP/machine" \
	"- tools: $(tool_version crun --version), $(tool_version bwrap --version), $(tool_version hyperfine --version), GNU time $(dpkg-query -W -f='${Version}' time 2>/dev/null)" \
	"- rootfs: busybox $(tool_version "$FIX_DIR/bin/busybox" | awk '{print $2}') (Debian busybox-static)"
python3 "$BENCH_DIR/report.py" --section judge --md "$MD" --machine "$TMP/machine" \
	--title "Judge: runs per second with limits, a time limit and a report" \
	--tsv "**Judge throughput**: $N runs of \`sh -c 'read -r x; echo \"\$x\"'\` with stdin from a file and stdout to a file, sequentially and two at a time; medians of the batch times.|$TMP/judge.tsv" \
	"${SKIP_ARGS[@]}" "${TARGETS[@]}" \
	--note "Each batch is a bash loop that forks one command per run with its redirections (\`wait -n\` keeps two running), under \`hyperfine -N --runs 1\`; $ROUNDS round(s), the order rotating between rounds. The last column is pocket-docker's runs per second over the runtime's (above 1: pocket-docker is faster)." \
	--note "What each side does: pd's limits are its cgroup (memory 256m, pids 64), its 2 s limit is its own, and it writes the JSON report (verdict, times, cgroup peak memory, PIDs peak). crun gets the same cgroup limits from its bundle and coreutils' \`timeout -s KILL 2\` (which kills crun, not the container: a run that ends with status 137 is followed by \`crun delete -f ID\`, as a judge must do); it leaves no report (its cgroup is gone when it exits), crun-time adds GNU time's wall/user/system time, largest RSS and status. bwrap has no cgroups: \`prlimit --as=256m\` as an unused uid of its own, and no PIDs limit at all (RLIMIT_NPROC does not hold for root, and as an ordinary uid it is counted across sandboxes: with --nproc=64 most runs of a parallel batch failed to fork, so it is left out, which spares bwrap work the others do), a read-only root, \`timeout -s KILL 2\`; bwrap-time adds GNU time." \
	--note "Checked before measuring: each side ran the program once (right output; pd's verdict ok) and a long \`sleep\` under the same limits: $(paste -sd';' "$J/killed" | sed 's/;/; /g'). After measuring, every run of the last batch of each kind had printed its input." \
	--note "All runtimes run in one private mount namespace in which \`/sys/fs/cgroup/unified\` is unmounted (crun refuses hybrid hosts); see the start-up section."
cp "$TMP/judge.tsv" "$BENCH_OUT/judge.tsv"
