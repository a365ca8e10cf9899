#!/bin/bash
# `build` against `buildah bud` (#18): the same Dockerfiles, each built cold (--no-cache: every
# step runs) and warm (every step a cache hit; buildah with --layers, its layer cache), side by
# side.  Dockerfiles:
#   app   FROM the busybox image: ENV, WORKDIR, COPY of a directory, RUN, CMD
#   c     when the gcc fixture is there (tests/fixtures/mk-gcc.sh): a multi-stage C build, gcc
#         -static in the first stage, the binary alone in a `scratch` final stage
# The base images are the same files for both: ours imported, buildah's pulled from our `save`
# of them (docker-archive).  Both use their default RUN isolation and network (ours: a
# container with bridge networking; buildah: OCI isolation with its runtime, its own network
# namespace) and their own storage (buildah: overlay under a scratch --root).
#
# Must run as root.  Knobs: BENCH_BUILD_RUNS (runs per command, default 6; quick 2),
# BENCH_QUICK, PD_BIN, BENCH_MD, BENCH_VERBOSE.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
enter_private_ns "$@"

RUNS=${BENCH_BUILD_RUNS:-$(qv 6 2)}
MD=${BENCH_MD:-$REPO/BENCHMARKS.md}
GCC_TAR=${PD_FIXTURE_CACHE:-/var/cache/pocket-docker-fixtures}/gcc.tar
[ -f "$REPO/build/fixtures/gcc.tar" ] && GCC_TAR=$REPO/build/fixtures/gcc.tar

need_pkgs hyperfine buildah busybox-static python3
bench_begin build
[ -n "$PD" ] || die "pocket-docker is not built"
prepare_busybox "$TMP"
: >"$TMP/skipped"

BH=(buildah --root "$TMP/bh-root" --runroot "$TMP/bh-run" --storage-driver overlay)
on_exit '"${BH[@]}" rmi -a -f >/dev/null 2>&1; umount -R "$TMP/bh-root/overlay" 2>/dev/null'

# The base images, the same bytes for both builders.
bb_tgz=${FIX_TAR%.tar}.tar.gz
[ -f "$bb_tgz" ] || bb_tgz=$FIX_TAR
"$PD" --root "$STATE" import --name bb:1 "$bb_tgz" >/dev/null
"$PD" --root "$STATE" save -o "$TMP/bb.tar" bb:1
"${BH[@]}" pull -q "docker-archive:$TMP/bb.tar" >/dev/null

mkdir -p "$TMP/app/files"
for i in $(seq 1 20); do seq 1 "$((i * 50))" >"$TMP/app/files/f$i.txt"; done
cat >"$TMP/app/Dockerfile" <<'EOF'
ARG BASE=bb:1
FROM $BASE
ENV APP=/app MODE=bench
WORKDIR /app
COPY files/ ./
RUN cat *.txt | wc -l > /app/count && echo built > /app/stamp
LABEL purpose=bench
CMD ["cat", "/app/count"]
EOF

NAMES=()
CMDS=()
ROWS=()
PAIRS=()
add() { # NAME DESCRIPTION COMMAND
	works "$1" "$3" || return 0
	NAMES+=("$1")
	CMDS+=("$3")
	ROWS+=(--row "$1|$2")
}
pair() { PAIRS+=(--pair "$1|$2"); }

add pd-app-cold "pocket-docker build --no-cache (app)" \
	"$PD --root $STATE build --no-cache -q -t app:1 $TMP/app"
add bh-app-cold "buildah bud --layers --no-cache (app)" \
	"${BH[*]} bud --layers --no-cache -q --build-arg BASE=localhost/bb:1 -t app:1 $TMP/app"
add pd-app-warm "pocket-docker build, every step cached (app)" \
	"$PD --root $STATE build -q -t app:1 $TMP/app"
add bh-app-warm "buildah bud --layers, every step cached (app)" \
	"${BH[*]} bud --layers -q --build-arg BASE=localhost/bb:1 -t app:1 $TMP/app"
pair pd-app-cold bh-app-cold
pair pd-app-warm bh-app-warm

if [ -f "$GCC_TAR" ]; then
	"$PD" --root "$STATE" import --name gccbase:1 "$GCC_TAR" >/dev/null
	"$PD" --root "$STATE" save -o "$TMP/gcc.tar" gccbase:1
	"${BH[@]}" pull -q "docker-archive:$TMP/gcc.tar" >/dev/null
	rm -f "$TMP/gcc.tar"
	mkdir -p "$TMP/c"
	printf '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n' >"$TMP/c/hello.c"
	cat >"$TMP/c/Dockerfile" <<'EOF'
ARG BASE=gccbase:1
FROM $BASE AS build
WORKDIR /src
COPY hello.c .
RUN gcc -static -O2 -o hello hello.c
FROM scratch
COPY --from=build /src/hello /hello
ENTRYPOINT ["/hello"]
EOF
	add pd-c-cold "pocket-docker build --no-cache (multi-stage C)" \
		"$PD --root $STATE build --no-cache -q -t c:1 $TMP/c"
	add bh-c-cold "buildah bud --layers --no-cache (multi-stage C)" \
		"${BH[*]} bud --layers --no-cache -q --build-arg BASE=localhost/gccbase:1 -t c:1 $TMP/c"
	add pd-c-warm "pocket-docker build, every step cached (multi-stage C)" \
		"$PD --root $STATE build -q -t c:1 $TMP/c"
	add bh-c-warm "buildah bud --layers, every step cached (multi-stage C)" \
		"${BH[*]} bud --layers -q --build-arg BASE=localhost/gccbase:1 -t c:1 $TMP/c"
	pair pd-c-cold bh-c-cold
	pair pd-c-warm bh-c-warm
else
	printf 'c|the gcc fixture is missing (bash tests/fixtures/mk-gcc.sh build/fixtures)\n' >>"$TMP/skipped"
fi

ARGS=()
for ((i = 0; i < ${#NAMES[@]}; i++)); do ARGS+=("${NAMES[i]}" "${CMDS[i]}"); done
hf_rounds "$TMP/build" 2 "$(((RUNS + 1) / 2))" 1 "${ARGS[@]}"

write_machine "$TMP/machine" "- tools: $(tool_version buildah --version), $(tool_version hyperfine --version)"
SKIPPED=()
while IFS= read -r -d '' a; do SKIPPED+=("$a"); done < <(skipped_args)
python3 "$BENCH_DIR/report.py" --section build --md "$MD" --machine "$TMP/machine" \
	--title "build against buildah bud: cold and warm" \
	"${ROWS[@]}" "${PAIRS[@]}" --pair-label "buildah" "${SKIPPED[@]}" \
	--note "Each command ran $RUNS times in 2 rounds (\`hyperfine -N\`, one warm-up run per round, the order rotating). Cold: --no-cache, every step runs (buildah: --layers --no-cache). Warm: the same Dockerfile again, every step a cache hit (buildah: --layers). \`x buildah\` = our median / buildah's for the same Dockerfile and the same kind of build." \
	--merged "$BENCH_OUT/build.json" \
	"$TMP"/build-*.json
