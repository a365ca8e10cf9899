#!/bin/bash
# Grade a directory of submissions against a directory of tests with pocket-docker's judge mode,
# and print a table of verdicts.
#
#   scripts/grade.sh [OPTIONS] SUBMISSIONS TESTS
#
# SUBMISSIONS holds one file per submission (alice.py: the submission "alice", seen in the
# container as /sub/main.py; a file of another extension X as /sub/main.X) or one directory per
# submission (bob/ with main.py and whatever it imports, seen as /sub).  TESTS holds pairs
# NAME.in / NAME.out.  For every submission and every test, one container:
#
#   pocket-docker run --rm --rootfs ROOTFS --network none --memory 256m --pids-limit 64
#       --timeout 2s --output-limit 1m --stdin NAME.in --report FILE -v SUB:/sub:ro
#       --cmd 'python3 /sub/main.py'
#
# The run's JSON report says how it ended; its stdout is compared with NAME.out (trailing
# spaces at the end of lines and empty lines at the end ignored; --exact compares bytes):
#
#   AC   the run ended ok and its output matches       WA   ended ok, the output differs
#   TLE  timeout or cpu-time                           MLE  oom
#   OLE  output-limit                                  RE   nonzero-exit or signaled
#   IE   runtime-error, or no report: the grader or the runtime failed, not the submission
#
# Exit status: 0 when every run was graded (whatever the verdicts), 1 when some run ended in IE,
# 2 on bad usage.  Needs bash, coreutils and python3 (which reads the reports), and root or a
# pocket-docker that runs rootless.  Nothing of a submission is written on the host but its
# outputs, in a scratch directory removed at the end (--keep DIR keeps them there).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROG=${0##*/}

usage() {
	cat <<EOF
Usage: $PROG [OPTIONS] SUBMISSIONS TESTS

Grade every submission in SUBMISSIONS (a file alice.py, or a directory bob/ with main.py)
against every test in TESTS (NAME.in and NAME.out) and print a table of verdicts:
AC, WA, TLE (time or CPU limit), MLE (memory), OLE (output), RE (crash, non-zero exit),
IE (the runtime failed).

Options:
  --pd PATH             the pocket-docker binary (default: the repository's, else from PATH)
  --root DIR            pocket-docker's state root (its --root)
  --rootfs PATH         root filesystem: a directory or a tarball
                        (default: build/fixtures/python-rootfs of the repository)
  --cmd COMMAND         the command in the container (default: python3 /sub/main.py)
  --timeout DURATION    wall clock limit per run (default 2s)
  --cpu-time DURATION   CPU time limit per run (default: none)
  --memory SIZE         memory limit per run (default 256m)
  --pids-limit N        process limit per run (default 64)
  --output-limit SIZE   stdout+stderr limit per run (default 1m)
  --jobs N              runs at a time (default 1)
  --exact               compare outputs byte for byte
  --keep DIR            keep every run's output, stderr and report in DIR
  -h, --help            show this help

Exit status: 0 when every run was graded, 1 when some run ended in IE, 2 on bad usage.
EOF
}
die_usage() {
	printf '%s: %s\n' "$PROG" "$*" >&2
	printf "Try '%s --help'.\n" "$PROG" >&2
	exit 2
}

PD=
STATE_ROOT=
ROOTFS=$REPO/build/fixtures/python-rootfs
CMD="python3 /sub/main.py"
TIMEOUT=2s
CPU_TIME=
MEMORY=256m
PIDS=64
OUTPUT_LIMIT=1m
JOBS=1
EXACT=0
KEEP=

DURATION_RE='^[0-9]+(\.[0-9]+)?(ms|s|m|h)?$'
SIZE_RE='^[0-9]+(\.[0-9]+)?[bBkKmMgG]?$'
POS=()
while [ $# -gt 0 ]; do
	opt=$1
	val=
	case $opt in
	--*=*)
		val=${opt#*=}
		opt=${opt%%=*}
		set -- "$opt" "$val" "${@:2}"
		;;
	esac
	case $opt in
	-h | --help)
		usage
		exit 0
		;;
	--exact)
		EXACT=1
		shift
		continue
		;;
	--)
		shift
		POS+=("$@")
		break
		;;
	--pd | --root | --rootfs | --cmd | --timeout | --cpu-time | --memory | --pids-limit | --output-limit | --jobs | --keep)
		[ $# -ge 2 ] || die_usage "option $opt needs a value"
		val=$2
		shift 2
		;;
	-?*) die_usage "unknown option '$opt'" ;;
	*)
		POS+=("$opt")
		shift
		continue
		;;
	esac
	case $opt in
	--pd) PD=$val ;;
	--root) STATE_ROOT=$val ;;
	--rootfs) ROOTFS=$val ;;
	--cmd) CMD=$val ;;
	--timeout) TIMEOUT=$val ;;
	--cpu-time) CPU_TIME=$val ;;
	--memory) MEMORY=$val ;;
	--pids-limit) PIDS=$val ;;
	--output-limit) OUTPUT_LIMIT=$val ;;
	--jobs) JOBS=$val ;;
	--keep) KEEP=$val ;;
	esac
done
[ ${#POS[@]} -eq 2 ] || die_usage "expected SUBMISSIONS and TESTS, got ${#POS[@]} argument(s)"
SUBS_DIR=${POS[0]}
TESTS_DIR=${POS[1]}

[[ "$TIMEOUT" =~ $DURATION_RE ]] || die_usage "invalid --timeout '$TIMEOUT' (e.g. 2s, 500ms, 1.5s, 1m)"
[ -z "$CPU_TIME" ] || [[ "$CPU_TIME" =~ $DURATION_RE ]] || die_usage "invalid --cpu-time '$CPU_TIME'"
[[ "$MEMORY" =~ $SIZE_RE ]] || die_usage "invalid --memory '$MEMORY' (e.g. 256m, 1g)"
[[ "$OUTPUT_LIMIT" =~ $SIZE_RE ]] || die_usage "invalid --output-limit '$OUTPUT_LIMIT' (e.g. 64k, 1m)"
[[ "$PIDS" =~ ^[1-9][0-9]*$ ]] || die_usage "invalid --pids-limit '$PIDS'"
[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || die_usage "invalid --jobs '$JOBS' (a positive number)"
[ -n "$CMD" ] || die_usage "--cmd is empty"
[ -d "$SUBS_DIR" ] || die_usage "no such directory: '$SUBS_DIR'"
[ -d "$TESTS_DIR" ] || die_usage "no such directory: '$TESTS_DIR'"
[ -e "$ROOTFS" ] || die_usage "no such root filesystem: '$ROOTFS' (--rootfs; the Python one: bash tests/fixtures/mk-python.sh build/fixtures)"
if [ -z "$PD" ]; then
	if [ -x "$REPO/pocket-docker" ]; then
		PD=$REPO/pocket-docker
	else
		PD=$(command -v pocket-docker) || die_usage "no pocket-docker found (--pd PATH)"
	fi
fi
[ -x "$PD" ] || PD=$(command -v "$PD") || die_usage "--pd '$PD' is not an executable"
command -v python3 >/dev/null || die_usage "python3 is needed to read the reports"
ROOTFS=$(realpath "$ROOTFS")

# The wall clock limit in seconds (rounded up), for a guard around pocket-docker itself: a run
# that outlives its limit by a minute is ended and graded IE (the runtime failed).
limit_secs() {
	awk -v d="$1" 'BEGIN {
		n = d + 0; u = d; sub(/^[0-9.]+/, "", u)
		f = (u == "ms") ? 0.001 : (u == "m") ? 60 : (u == "h") ? 3600 : 1
		s = n * f; printf "%d\n", (s == int(s)) ? s : int(s) + 1 }'
}
GUARD=$(($(limit_secs "$TIMEOUT") + 60))

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pd-grade.XXXXXX")
cleanup() { rm -rf -- "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- what to grade
# Submissions, sorted by name: NAME<TAB>the directory mounted at /sub.
: >"$WORK/subs"
mkdir -p "$WORK/files"
while IFS= read -r -d '' path; do
	base=${path##*/}
	if [ -d "$path" ]; then
		name=$base
		dir=$(realpath "$path")
	elif [ -f "$path" ]; then
		name=${base%.*}
		[ -n "$name" ] || name=$base
		ext=
		[ "$name" != "$base" ] && ext=.${base##*.}
		dir=$WORK/files/$name
		[ -e "$dir" ] && die_usage "two submissions are named '$name'"
		mkdir -p "$dir"
		cp -- "$path" "$dir/main$ext"
		chmod -R a+rX "$dir"
	else
		continue
	fi
	case $name in
	*[[:space:]]*) die_usage "submission names must not contain spaces: '$base'" ;;
	esac
	if cut -f1 "$WORK/subs" | grep -qxF -- "$name"; then
		die_usage "two submissions are named '$name'"
	fi
	printf '%s\t%s\n' "$name" "$dir" >>"$WORK/subs"
done < <(find "$SUBS_DIR" -mindepth 1 -maxdepth 1 ! -name '.*' -print0 | sort -z)
[ -s "$WORK/subs" ] || die_usage "no submissions in '$SUBS_DIR'"

# Tests, sorted by name.
TESTS=()
while IFS= read -r -d '' path; do
	name=$(basename "$path" .in)
	case $name in
	*[[:space:]]*) die_usage "test names must not contain spaces: '$name'" ;;
	esac
	[ -f "$TESTS_DIR/$name.out" ] || die_usage "test '$name' has no $name.out in '$TESTS_DIR'"
	TESTS+=("$name")
done < <(find "$TESTS_DIR" -mindepth 1 -maxdepth 1 -type f -name '*.in' ! -name '.*' -print0 | sort -z)
[ ${#TESTS[@]} -gt 0 ] || die_usage "no tests (NAME.in and NAME.out) in '$TESTS_DIR'"
TESTS_ABS=$(realpath "$TESTS_DIR")

# ---------------------------------------------------------------- the runs
GLOBAL=()
[ -n "$STATE_ROOT" ] && GLOBAL=(--root "$STATE_ROOT")
LIMITS=(--network none --memory "$MEMORY" --pids-limit "$PIDS" --timeout "$TIMEOUT"
	--output-limit "$OUTPUT_LIMIT")
[ -n "$CPU_TIME" ] && LIMITS+=(--cpu-time "$CPU_TIME")

# run_one K SUB_DIR TEST: one run; its files are $WORK/runs/K.{out,err,json,rc}.
run_one() {
	local k=$1 dir=$2 test=$3 rc=0
	local r=$WORK/runs/$k
	timeout -k 5 "$GUARD" "$PD" "${GLOBAL[@]}" run --rm --rootfs "$ROOTFS" "${LIMITS[@]}" \
		--stdin "$TESTS_ABS/$test.in" --report "$r.json" -v "$dir:/sub:ro" --cmd "$CMD" \
		</dev/null >"$r.out" 2>"$r.err" || rc=$?
	echo "$rc" >"$r.rc"
}

mkdir -p "$WORK/runs"
: >"$WORK/jobs"
k=0
running=0
while IFS=$'\t' read -r name dir; do
	for test in "${TESTS[@]}"; do
		k=$((k + 1))
		printf '%s\t%s\t%s\t%s\n' "$k" "$name" "$test" "$TESTS_ABS/$test.out" >>"$WORK/jobs"
		if [ "$running" -ge "$JOBS" ]; then
			wait -n || true
			running=$((running - 1))
		fi
		run_one "$k" "$dir" "$test" &
		running=$((running + 1))
	done
done <"$WORK/subs"
wait

if [ -n "$KEEP" ]; then
	mkdir -p "$KEEP"
	cp -a "$WORK/runs/." "$KEEP/"
	cp "$WORK/jobs" "$KEEP/jobs.tsv"
fi

# ---------------------------------------------------------------- the table
python3 - "$WORK/jobs" "$WORK/runs" "$EXACT" "$GUARD" <<'PYEOF'
import json
import os
import sys

jobs_file, runs, exact, guard = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
VERDICTS = {
    "timeout": "TLE", "cpu-time": "TLE", "oom": "MLE", "output-limit": "OLE",
    "nonzero-exit": "RE", "signaled": "RE", "runtime-error": "IE",
}


def read(path, mode="r"):
    try:
        with open(path, mode) as f:
            return f.read()
    except OSError:
        return None


def normal(b):
    """Lines without trailing blanks, without empty lines at the end."""
    lines = [ln.rstrip(b" \t\r") for ln in b.split(b"\n")]
    while lines and lines[-1] == b"":
        lines.pop()
    return lines


def compare(got, want):
    """None when the outputs match, else where they first differ."""
    if exact:
        if got == want:
            return None
        n = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        return f"output differs at byte {n + 1}"
    g, w = normal(got), normal(want)
    if g == w:
        return None
    for i in range(max(len(g), len(w))):
        if i >= len(g):
            return f"output ends before line {i + 1}"
        if i >= len(w):
            return f"extra output from line {i + 1}"
        if g[i] != w[i]:
            return f"line {i + 1} differs"
    return "output differs"


def last_line(text):
    lines = [ln for ln in (text or "").splitlines() if ln.strip()]
    return lines[-1] if lines else ""


rows = []
ie = 0
summary = {}
for line in open(jobs_file):
    k, sub, test, want_path = line.rstrip("\n").split("\t")
    base = os.path.join(runs, k)
    rc = (read(base + ".rc") or "").strip()
    rep = None
    raw = read(base + ".json")
    try:
        rep = json.loads(raw) if raw else None
    except ValueError:
        rep = None
    t = cpu = mem = "-"
    if not isinstance(rep, dict) or "verdict" not in rep:
        verdict = "IE"
        if rc == "124":
            note = f"pocket-docker did not end within {guard} s"
        else:
            note = "no report from pocket-docker (exit " + rc + ")"
            why = last_line(read(base + ".err"))
            if why:
                note += ": " + why
    else:
        if isinstance(rep.get("wall_time"), (int, float)):
            t = f"{rep['wall_time']:.2f}s"
        if isinstance(rep.get("cpu_time"), (int, float)):
            cpu = f"{rep['cpu_time']:.2f}s"
        if isinstance(rep.get("memory_peak"), int):
            mem = f"{rep['memory_peak'] / 1048576:.1f}M"
        v = rep["verdict"]
        note = rep.get("message") or ""
        if v == "ok":
            diff = compare(read(base + ".out", "rb") or b"", read(want_path, "rb") or b"")
            verdict, note = ("AC", "") if diff is None else ("WA", diff)
        else:
            verdict = VERDICTS.get(v, "IE")
            if verdict == "IE" and v not in VERDICTS:
                note = f"unknown verdict '{v}'" + (": " + note if note else "")
            if verdict == "IE":
                why = last_line(read(base + ".err"))
                if why and why not in note:
                    note = (note + ": " if note else "") + why
    if verdict == "IE":
        ie += 1
    rows.append([sub, test, verdict, t, cpu, mem, note])
    p, n = summary.get(sub, (0, 0))
    summary[sub] = (p + (verdict == "AC"), n + 1)

head = ["SUBMISSION", "TEST", "VERDICT", "TIME", "CPU", "MEMORY", "NOTE"]
width = [max(len(r[i]) for r in rows + [head]) for i in range(len(head) - 1)]
for r in [head] + rows:
    cells = [r[i].ljust(width[i]) if i < 3 else r[i].rjust(width[i]) for i in range(len(width))]
    print("  ".join(cells + [r[-1]]).rstrip())
print()
for sub, (p, n) in summary.items():
    print(f"{sub}: {p}/{n} passed")
if ie:
    print(f"{ie} run(s) could not be graded (IE): see the NOTE column", file=sys.stderr)
sys.exit(1 if ie else 0)
PYEOF
