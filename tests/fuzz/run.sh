#!/bin/bash
# Build the libFuzzer harnesses in tests/fuzz/ and run each for a bounded
# time.
#
#   tests/fuzz/run.sh [SECONDS] [NAME...]     default 60 s, every harness
#
# Harnesses are built with clang -fsanitize=fuzzer,address,undefined from
# the project's own sources (only the files they need, compiled directly;
# src/main.c never).  Seeds come from tests/fuzz/corpus/NAME/ and are copied
# to a working corpus in $BUILD/fuzz/corpus/NAME/, so new inputs never land
# in the repository.  A crash leaves its input in $BUILD/fuzz/artifacts/NAME/
# and makes the script exit non-zero; minimize it with
#   $BUILD/fuzz/bin/fuzz_NAME -minimize_crash=1 -runs=10000 CRASH
# and add the result to tests/fuzz/corpus/NAME/ as a regression seed.  A
# crash in code that cannot be fixed at once goes to tests/fuzz/known/NAME/:
# the harness is then skipped (visibly) until that input stops crashing.
#
# Prints one line per harness: "PASS fuzz_NAME: N runs", "FAIL fuzz_NAME:
# ..." or "SKIP fuzz_NAME: ..."; exits 1 if any failed, 2 when clang with
# libFuzzer is missing (installed first when run as root).
#
# Environment: CLANG (default clang), BUILD (default build), PD_FUZZ_JOBS
# (parallel build jobs, default 2), PD_FUZZ_TMP (where fuzz_archive makes its
# private scratch directory, default /tmp).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
seconds=${1:-60}
shift || true
case $seconds in '' | *[!0-9]*) echo "usage: $0 [SECONDS] [NAME...]" >&2; exit 2 ;; esac
clang=${CLANG:-clang}
out=${BUILD:-build}/fuzz
all=(shell_split size_duration volume config_decode port_spec user seccomp_json manifest archive oci_spec template dns dockerfile)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${all[@]}")

have_fuzzer() {
	command -v "$clang" >/dev/null &&
		echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' |
		"$clang" -x c -fsanitize=fuzzer,address,undefined -o /dev/null - 2>/dev/null
}
if ! have_fuzzer; then
	# Debian's clang and its runtime libraries (libFuzzer, the sanitizers).
	if [ "$(id -u)" -eq 0 ] && [ -z "${PD_FUZZ_NO_INSTALL:-}" ]; then
		echo "fuzz: installing clang and libclang-rt-14-dev" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev \
			>/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang \
				libclang-rt-14-dev >/dev/null 2>&1; } || true
	fi
	if ! have_fuzzer; then
		echo "fuzz: $clang with libFuzzer not available (Debian: apt-get install clang libclang-rt-14-dev)" >&2
		exit 2
	fi
fi

# The sources each harness needs (beyond util/): the code it exercises
# and what that code references, nothing more.
util="src/util/error.c src/util/xalloc.c src/util/str.c src/util/fs.c src/util/dl.c src/util/json.c"
# The host's platform (run --platform, checked in core/config.c) and what it links.
platform="src/image/manifest.c src/image/blobs.c src/image/fetch.c src/util/sha256.c"
declare -A srcs=(
	[shell_split]="$util"
	[size_duration]="$util"
	[volume]="$util src/core/config.c src/net/spec.c src/linux/caps.c src/linux/pty.c src/linux/cgroup-limits.c $platform"
	[config_decode]="$util src/core/config.c src/net/spec.c src/linux/caps.c src/linux/pty.c src/linux/cgroup-limits.c $platform"
	[port_spec]="$util src/net/spec.c"
	[user]="$util src/linux/user.c"
	[seccomp_json]="$util src/linux/seccomp.c src/linux/seccomp-default.c src/linux/caps.c"
	[manifest]="$util src/image/manifest.c src/image/blobs.c src/image/fetch.c src/util/sha256.c"
	[archive]="$util src/image/archive.c"
	[oci_spec]="$util src/oci/decode.c src/oci/spec.c src/oci/spec-linux.c"
	[template]="$util src/util/template-parse.c src/util/template.c"
	[dns]="src/net/dns.c"
	[dockerfile]="$util src/image/dockerfile.c src/image/dockerignore.c"
)
libs="-lseccomp -ljansson -lcap -ldl -lm"

cflags=(-std=gnu11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -iquote src -w
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined)
mkdir -p "$out/obj" "$out/bin"

build_obj() {
	# build_obj SRC: compile SRC into $out/obj when it changed.
	local src=$1 obj
	obj=$out/obj/$(echo "${src%.c}" | tr / _).o
	if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$0" -nt "$obj" ]; then
		"$clang" "${cflags[@]}" -c -o "$obj" "$src"
	fi
	echo "$obj"
}

status=0
for name in "${names[@]}"; do
	[ -n "${srcs[$name]+x}" ] || { echo "fuzz: unknown harness '$name' (have: ${all[*]})" >&2; exit 2; }
	objs=()
	bin=$out/bin/fuzz_$name
	built=1
	for s in ${srcs[$name]}; do
		o=$(build_obj "$s") || { built=0; break; }
		objs+=("$o")
	done
	if [ $built = 0 ] || ! "$clang" "${cflags[@]}" -fsanitize=fuzzer -o "$bin" "tests/fuzz/fuzz_$name.c" \
		"${objs[@]}" $libs; then
		echo "FAIL fuzz_$name: the harness does not build"
		status=1
		continue
	fi
	mkdir -p "$out/corpus/$name" "$out/artifacts/$name"
	cp -n tests/fuzz/corpus/"$name"/* "$out/corpus/$name/" 2>/dev/null || true
	# A crash found but not fixed yet (in code another change owns) is kept
	# in tests/fuzz/known/NAME/: while it still crashes, the harness is
	# skipped, saying so; once fixed, the input moves to the corpus.
	known=""
	for k in tests/fuzz/known/"$name"/*; do
		[ -f "$k" ] || continue
		if ! UBSAN_OPTIONS=halt_on_error=1 ASAN_OPTIONS=detect_leaks=1 "$bin" "$k" >"$out/$name.known.log" 2>&1; then
			known="$k: $(grep -m1 -E 'runtime error|ERROR: AddressSanitizer' "$out/$name.known.log" |
				sed 's/^.*\(runtime error\|ERROR: AddressSanitizer\)/\1/' || true)"
			break
		fi
	done
	if [ -n "$known" ]; then
		echo "SKIP fuzz_$name: a known crash is not fixed yet ($known)"
		continue
	fi
	echo "== fuzz_$name: ${seconds}s"
	# -rss_limit_mb: the archive harness holds at most 16 MiB of output;
	# -timeout: one input may not take 10 s (a hang is a bug too).
	if ! UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1 \
		"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-print_final_stats=1 -artifact_prefix="$out/artifacts/$name/" \
		"$out/corpus/$name" tests/fuzz/corpus/"$name" >"$out/$name.log" 2>&1; then
		echo "FAIL fuzz_$name: see $out/$name.log and $out/artifacts/$name/"
		{ grep -E 'ERROR|SUMMARY|runtime error|Test unit written|error' "$out/$name.log" || tail -n 5 "$out/$name.log"; } |
			head -n 10 | sed 's/^/    | /'
		status=1
	else
		echo "PASS fuzz_$name: $(grep -E '^stat::number_of_executed_units' "$out/$name.log" | awk '{print $2}') runs"
	fi
done
exit $status
