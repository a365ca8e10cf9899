#!/bin/bash
# `build` (#18): real Dockerfiles (the Python grader image FROM a base
# imported from the python fixture; a multi-stage C build, gcc in the first
# stage and only the static binary in a `scratch` final stage), the layer
# cache (hits, a changed COPY source rerunning from its step, --no-cache),
# --target and --build-arg, .dockerignore, COPY --from/--chown/--chmod and
# globs, the context's boundary (a symlink pointing out is never followed,
# `COPY ../x` is refused), a failing RUN leaving nothing, ADD of a tarball
# and of a URL on a loopback server, the config and history steps write.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GCC_CACHE=${PD_FIXTURE_CACHE:-/var/cache/pocket-docker-fixtures}

HTTP_PID=""
_stop_http() {
	if [ -n "$HTTP_PID" ]; then
		kill "$HTTP_PID" 2>/dev/null
		wait "$HTTP_PID" 2>/dev/null
		HTTP_PID=""
	fi
}
trap _stop_http EXIT

# bb:1, the busybox image every small Dockerfile starts from.
base_bb() {
	need_root
	need_busybox
	pd import --name bb:1 "$BUSYBOX_TGZ"
	assert_ok
}

# Nothing of a build is left: no container, no staging directory.
assert_nothing_left() {
	pd ps -a -q
	assert_out "" "no container is left by the build ($1)"
	if [ -d "$T_ROOT/build-tmp" ]; then
		assert_eq "" "$(ls -A "$T_ROOT/build-tmp")" "no staging directory is left ($1)"
	fi
}

test_build_python_grader() {
	need_root
	need_python_fixture
	pd import --name pybase:1 "$PYTHON_TAR"
	assert_ok
	mkdir -p ctx/cases
	cat >ctx/grade.py <<'EOF'
import os, sys
cases = sorted(os.listdir("cases"))
ok = sum(1 for c in cases if open("cases/" + c).read().split() == ["42"])
print(f"{os.environ['GRADER']}: {ok}/{len(cases)} passed, mark {os.environ['PASS_MARK']}")
sys.exit(0 if ok >= int(os.environ["PASS_MARK"]) else 1)
EOF
	echo 42 >ctx/cases/a
	echo 41 >ctx/cases/b
	echo 42 >ctx/cases/c
	cat >ctx/Dockerfile <<'EOF'
FROM pybase:1
ENV GRADER=pd-grader PASS_MARK=2
WORKDIR /grader
COPY grade.py ./
COPY cases cases/
CMD ["python3", "grade.py"]
EOF
	pd build -t grader:1 ctx
	assert_ok
	assert_contains "$OUT" "STEP 6/6: CMD" "progress lines"
	pd run --rm grader:1
	assert_ok
	assert_out "pd-grader: 2/3 passed, mark 2" "the grader image runs its CMD in its WORKDIR with its ENV"
	pd run --rm -e PASS_MARK=3 grader:1
	assert_exit 1 "the grader's verdict is its exit status"
	pd image inspect --format '{{.Config.WorkingDir}} {{json .Config.Cmd}}' grader:1
	assert_out '/grader ["python3","grade.py"]' "the config"
	assert_nothing_left grader
}

# The gcc fixture (debootstrap minbase + gcc + libc6-dev), made by
# tests/fixtures/mk-gcc.sh and cached; too slow to make inside a test.
need_gcc_fixture() {
	GCC_TAR=$FIXTURES/gcc.tar
	[ -f "$GCC_TAR" ] || GCC_TAR=$GCC_CACHE/gcc.tar
	[ -f "$GCC_TAR" ] ||
		skip "gcc fixture missing (run: bash tests/fixtures/mk-gcc.sh $FIXTURES; a few minutes, once)"
}

test_build_multistage_c_static() {
	need_root
	need_gcc_fixture
	pd import --name gccbase:1 "$GCC_TAR"
	assert_ok
	mkdir ctx
	cat >ctx/hello.c <<'EOF'
#include <stdio.h>
int main(void) { printf("hello from a static binary\n"); return 0; }
EOF
	cat >ctx/Dockerfile <<'EOF'
FROM gccbase:1 AS build
WORKDIR /src
COPY hello.c .
RUN gcc -static -O2 -o hello hello.c && ./hello
FROM scratch
COPY --from=build /src/hello /hello
ENTRYPOINT ["/hello"]
EOF
	pd build -t hello:static ctx
	assert_ok
	assert_contains "$OUT" "hello from a static binary" "the RUN ran the compiler and the binary"
	pd run --rm hello:static
	assert_ok
	assert_out "hello from a static binary" "the scratch image runs the static binary"
	pd save -o img.tar hello:static
	assert_ok
	local layers
	layers=$(tar -xOf img.tar manifest.json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[0]["Layers"]))')
	assert_eq 1 "$layers" "the final image has one layer"
	local top
	top=$(tar -xOf img.tar manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Layers"][0])')
	tar -xOf img.tar "$top" | tar -t >list
	assert_eq "hello" "$(grep -v '/$' list)" "only the binary is in the final stage"
	assert_nothing_left multistage
}

test_build_cache_hits_and_misses() {
	base_bb
	mkdir ctx
	echo one >ctx/a.txt
	echo two >ctx/b.txt
	cat >ctx/Dockerfile <<'EOF'
FROM bb:1
COPY a.txt /a.txt
RUN echo "mark""er-A $(cat /a.txt)"
COPY b.txt /b.txt
RUN echo "mark""er-B $(cat /b.txt)"
EOF
	pd build -q ctx
	assert_ok
	local first=$OUT
	assert_match "$first" '^sha256:[0-9a-f]{64}$' "-q prints only the id"
	pd build ctx
	assert_ok
	assert_not_contains "$OUT" "marker-" "an unchanged rebuild runs no RUN"
	assert_eq 4 "$(grep -c 'Using cache' <<<"$OUT")" "every step is a cache hit"
	assert_contains "$OUT" "$first" "the same image"
	echo three >ctx/b.txt
	pd build ctx
	assert_ok
	assert_not_contains "$OUT" "marker-A" "the steps before the changed COPY are cached"
	assert_contains "$OUT" "marker-B three" "the steps from the changed COPY rerun"
	assert_eq 2 "$(grep -c "Using cache" <<<"$OUT")" "two hits (COPY a.txt and its RUN)"
	# A changed mode changes the checksum too.
	chmod 0600 ctx/a.txt
	pd build ctx
	assert_contains "$OUT" "marker-A one" "a mode change reruns from its COPY"
	pd build --no-cache ctx
	assert_ok
	assert_not_contains "$OUT" "Using cache" "--no-cache"
	assert_contains "$OUT" "marker-A one" "--no-cache reruns every RUN"
	assert_nothing_left cache
}

test_build_target_and_build_args() {
	base_bb
	mkdir ctx
	cat >ctx/Dockerfile <<'EOF'
ARG BASE=bb:1
FROM $BASE AS one
RUN echo built-one
FROM ${BASE} AS two
ARG MSG=default
ARG TARGETARCH
RUN echo "msg=$MSG arch=$TARGETARCH" >/msg && echo built-two
FROM one AS three
RUN echo built-three
EOF
	pd build --target two --build-arg MSG=given -t two:1 ctx
	assert_ok
	assert_contains "$OUT" "built-two" "the target stage is built"
	assert_not_contains "$OUT" "built-one" "a stage the target does not need is not built"
	assert_not_contains "$OUT" "built-three" "nothing after the target"
	pd run --rm two:1 cat /msg
	assert_out "msg=given arch=$(dpkg --print-architecture 2>/dev/null || uname -m)" "--build-arg and TARGETARCH"
	pd build -t three:1 ctx
	assert_ok
	assert_contains "$OUT" "built-one" "the last stage needs its base stage"
	assert_not_contains "$OUT" "built-two" "but not the unrelated stage"
	pd build --target nosuch ctx
	assert_exit 125 "an unknown --target"
	assert_contains "$ERR" "nosuch" "the error names the stage"
	assert_nothing_left target
}

test_build_dockerignore_and_globs() {
	base_bb
	mkdir -p ctx/sub
	echo keep >ctx/keep.txt
	echo secret >ctx/secret.txt
	echo other >ctx/other.md
	echo deep >ctx/sub/deep.txt
	printf 'secret.txt\n*.md\n' >ctx/.dockerignore
	cat >ctx/Dockerfile <<'EOF'
FROM bb:1
COPY . /all/
COPY *.txt /glob/
COPY sub /subdir
EOF
	pd build -t ign:1 ctx
	assert_ok
	pd run --rm ign:1 /bin/sh -c 'cd /all && ls -A | tr "\n" " "; echo; ls /glob | tr "\n" " "; echo; cat /subdir/deep.txt'
	assert_ok
	assert_out $'.dockerignore Dockerfile keep.txt sub \nkeep.txt \ndeep' \
		".dockerignore excludes secret.txt and *.md; a glob; a directory's contents"
	printf 'FROM bb:1\nCOPY secret.txt /s\n' >ctx/Dockerfile
	pd build ctx
	assert_exit 125 "an ignored file cannot be copied"
	assert_contains "$ERR" "secret.txt" "the error names it"
	assert_nothing_left ignore
}

test_build_copy_chown_chmod_from() {
	base_bb
	mkdir ctx
	echo data >ctx/f
	cat >ctx/Dockerfile <<'EOF'
FROM bb:1 AS src
RUN mkdir -p /out && echo made-in-src >/out/made
FROM bb:1
COPY --chown=1000:1001 --chmod=0640 f /owned/f
COPY --from=src /out/made /from/
COPY --from=bb:1 /bin/busybox /from/bb
COPY --chown=nobody f /named
COPY --chown=root:nogroup f /named-group
EOF
	pd build -t own:1 ctx
	assert_ok
	pd run --rm own:1 /bin/sh -c 'stat -c "%u:%g %a" /owned/f; cat /from/made; test -x /from/bb && echo bb-ok; stat -c "%u:%g" /named /named-group'
	assert_ok
	assert_out $'1000:1001 640\nmade-in-src\nbb-ok\n65534:65534\n0:65534' "--chown (ids and names), --chmod, --from=stage and --from=image"
	printf 'FROM bb:1\nCOPY --chown=nosuchuser f /f\n' >ctx/Dockerfile
	pd build ctx
	assert_exit 125 "--chown of a user the image does not have"
	assert_nothing_left chown
}

test_build_dest_above_root_stays_at_root() {
	# In the image, ".." at the root stays there, as Docker cleans it: a
	# destination or WORKDIR that climbs above / lands under /.
	base_bb
	mkdir ctx
	echo one >ctx/f
	echo two >ctx/g
	cat >ctx/Dockerfile <<'EOF'
FROM bb:1
COPY f /../../etc/y
WORKDIR /../w
COPY g ../../g
EOF
	pd build -t above:1 ctx
	assert_ok
	pd run --rm above:1 /bin/sh -c 'cat /etc/y; pwd; cat /g; test -e /y || echo no-y-at-root'
	assert_ok
	assert_out $'one\n/w\ntwo\nno-y-at-root' "COPY to /../../etc/y, WORKDIR /../w, COPY to ../../g from /w"
	assert_nothing_left above
}

test_build_context_boundary() {
	base_bb
	mkdir ctx outside
	echo "host-secret-$T_TAG" >outside/secret
	ln -s "$T_TMP/outside/secret" ctx/leak
	ln -s "$T_TMP/outside" ctx/dirlink
	ln -s ../../../../../../../../etc/shadow ctx/relleak
	cat >ctx/Dockerfile <<'EOF'
FROM bb:1
COPY . /c/
COPY leak /leak
EOF
	pd build -t bound:1 ctx
	assert_ok
	pd run --rm bound:1 /bin/sh -c 'readlink /leak; readlink /c/relleak; test -d /c/dirlink && echo dir || echo nodir'
	assert_ok
	assert_out "$T_TMP/outside/secret"$'\n'"../../../../../../../../etc/shadow"$'\nnodir' "symlinks are copied as symlinks"
	pd save -o img.tar bound:1
	assert_ok
	if tar -xOf img.tar --wildcards '*/layer.tar' | grep -aq "host-secret-$T_TAG"; then
		fail "the host file's content is in the image"
	fi
	# Through a symlinked directory: resolved inside the context, where
	# nothing is.
	printf 'FROM bb:1\nCOPY dirlink/secret /x\n' >ctx/Dockerfile
	pd build ctx
	assert_exit 125 "a path through a symlink pointing out"
	printf 'FROM bb:1\nCOPY ../outside/secret /x\n' >ctx/Dockerfile
	pd build ctx
	assert_exit 125 "COPY ../x"
	assert_contains "$ERR" "outside the build context" "the error says why"
	assert_nothing_left boundary
}

test_build_failing_run_leaves_nothing() {
	base_bb
	mkdir ctx
	printf 'FROM bb:1\nRUN echo before-fail; exit 7\nRUN echo never\n' >ctx/Dockerfile
	pd images -a -q
	local before=$OUT
	pd build -t bad:1 ctx
	assert_exit 1 "a failing RUN fails the build"
	assert_contains "$ERR" "returned a non-zero code: 7" "the error names the exit code"
	assert_eq 1 "$(grep -c . "$ERR_FILE")" "one error line"
	assert_contains "$OUT" "before-fail" "the RUN's output is shown"
	assert_not_contains "$OUT" "never" "no step after the failure"
	pd images -a -q
	assert_eq "$before" "$OUT" "no image is left"
	assert_nothing_left failing
	grep -q "$T_ROOT" /proc/self/mountinfo && fail "a mount is left"
	return 0
}

test_build_add_tarball_and_url() {
	base_bb
	need_cmd curl
	mkdir -p ctx tarsrc/inner srv
	echo inside-tar >tarsrc/inner/file
	tar -czf ctx/files.tar.gz -C tarsrc inner
	echo "remote-$T_TAG" >srv/remote.txt
	local port
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	python3 -m http.server --bind 127.0.0.1 --directory srv "$port" >http.log 2>&1 &
	HTTP_PID=$!
	local i
	for i in $(seq 1 100); do
		curl -s -o /dev/null "http://127.0.0.1:$port/" && break
		sleep 0.1
	done
	cat >ctx/Dockerfile <<EOF
FROM bb:1
ADD files.tar.gz /t/
ADD http://127.0.0.1:$port/remote.txt /r/
EOF
	pd build -t add:1 ctx
	assert_ok
	pd run --rm add:1 /bin/sh -c 'cat /t/inner/file /r/remote.txt; stat -c %a /r/remote.txt'
	assert_ok
	assert_out $'inside-tar\n'"remote-$T_TAG"$'\n600' "ADD extracts a tarball and fetches a URL (mode 0600)"
	_stop_http
	assert_nothing_left add
}

test_build_metadata_history_and_flags() {
	base_bb
	mkdir ctx
	cat >ctx/Dockerfile <<'DF'
FROM bb:1
LABEL org.example.team="build team" version=1
ENV A=1 B="two words"
EXPOSE 8080 53/udp
VOLUME /data
USER 1234:1234
STOPSIGNAL SIGQUIT
HEALTHCHECK --interval=5s --retries=2 CMD true
SHELL ["/bin/sh", "-ec"]
RUN <<EOF
echo "heredoc A=$A B=$B"
id -u
EOF
ENTRYPOINT ["/bin/echo", "entry"]
CMD ["default-arg"]
DF
	pd build --label extra=yes --iidfile iid -t meta:1 ctx
	assert_ok
	assert_contains "$OUT" "heredoc A=1 B=two words" "a heredoc RUN with ENV in its environment"
	assert_contains "$OUT" $'\n1234\n' "the RUN runs as USER"
	assert_match "$(cat iid)" '^sha256:[0-9a-f]{64}$' "--iidfile"
	pd run --rm meta:1
	assert_out "entry default-arg" "ENTRYPOINT and CMD"
	pd image inspect --format '{{json .Config.Labels}} {{json .Config.ExposedPorts}} {{json .Config.Volumes}} {{.Config.User}} {{.Config.StopSignal}}' meta:1
	assert_out '{"extra":"yes","org.example.team":"build team","version":"1"} {"53/udp":{},"8080/tcp":{}} {"/data":{}} 1234:1234 SIGQUIT' "the config"
	# The healthcheck as the saved image config has it (inspect shows no
	# Healthcheck).
	pd save -o meta.tar meta:1
	assert_ok
	local cfg
	cfg=$(tar -xOf meta.tar manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Config"])')
	assert_eq '{"Interval": 5000000000, "Retries": 2, "Test": ["CMD-SHELL", "true"]}' \
		"$(tar -xOf meta.tar "$cfg" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["config"]["Healthcheck"], sort_keys=True))')" "HEALTHCHECK"
	pd history --no-trunc --format '{{.CreatedBy}}|{{.Size}}' meta:1
	assert_contains "$OUT" 'ENV A=1 B="two words"|0B' "a metadata step is an empty layer"
	assert_contains "$OUT" 'RUN /bin/sh -ec' "a RUN's history names its shell"
	pd image inspect --format '{{.Id}}' meta:1
	assert_eq "$(cat iid)" "$OUT" "the iidfile names the tagged image"
	assert_nothing_left meta
}

test_build_network_and_onbuild() {
	base_bb
	mkdir ctx ctx2
	# Interfaces other than lo a RUN sees, by build --network and RUN --network.
	cat >ctx/Dockerfile <<'EOF'
FROM bb:1
RUN echo "ifs-default=$(grep -c -v -e lo: -e '|' /proc/net/dev)"
RUN --network=none echo "ifs-none=$(grep -c -v -e lo: -e '|' /proc/net/dev)"
ONBUILD RUN echo "onbuild-trig""ger-ran"
EOF
	pd build -t onb:1 ctx
	assert_ok
	assert_contains "$OUT" "ifs-default=1" "a RUN has a network (bridge) by default"
	assert_contains "$OUT" "ifs-none=0" "RUN --network=none has loopback only"
	assert_not_contains "$OUT" "onbuild-trigger-ran" "ONBUILD does not run in its own build"
	pd build --no-cache --network none ctx
	assert_contains "$OUT" "ifs-default=0" "build --network none"
	printf 'FROM onb:1\nRUN echo child\n' >ctx2/Dockerfile
	pd build -t child:1 ctx2
	assert_ok
	assert_contains "$OUT" "onbuild-trigger-ran" "the base's ONBUILD trigger runs in a child build"
	pd build --network bogus ctx2
	assert_exit 125 "a bad --network"
	assert_nothing_left onbuild
}

test_build_rootless() {
	need_busybox
	rootless_prepare pdtest yes
	mkdir ctx
	echo from-context >ctx/f
	chmod -R a+rX ctx
	printf 'FROM bb:1\nCOPY f /f\nRUN echo "uid=$(id -u) $(cat /f)" && cp /f /made\nCMD ["cat", "/made"]\n' >ctx/Dockerfile
	pd_as pdtest import --name bb:1 "$BUSYBOX_TGZ"
	assert_ok
	# Bridge networking rootless needs /dev/net/tun open to the user; host
	# networking needs nothing.
	pd_as pdtest build --network host -t rl:1 ctx
	assert_ok
	assert_contains "$OUT" "uid=0 from-context" "a rootless RUN is root in its user namespace"
	pd_as pdtest run --rm rl:1
	assert_ok
	assert_out from-context "the rootless build's image runs"
	assert_nothing_left rootless
}

test_build_bad_input() {
	need_root
	mkdir ctx
	pd build ctx
	assert_exit 125 "no Dockerfile"
	printf 'FROM scratch\nFORM x\n' >ctx/Dockerfile
	pd build ctx
	assert_exit 125 "a Dockerfile that does not parse"
	assert_contains "$ERR" "line 2" "the error names the line"
	pd build
	assert_exit 125 "no context"
	printf 'FROM scratch\nCOPY nothing-here /x\n' >ctx/Dockerfile
	pd build ctx
	assert_exit 125 "a COPY source that does not exist"
	assert_nothing_left bad
}

test_build_names_never_lead_out() {
	# A heredoc's name and an ADD URL's last word name one file in the
	# layer: never a path on the host, nor "..", which would leave the
	# staging directory (where other builds' steps are).
	need_root
	mkdir ctx
	mkdir -p "$T_ROOT/build-tmp/other-build"
	local name
	for name in "$T_TMP/written-$T_TAG" "../../escaped-$T_TAG" ".." "."; do
		printf 'FROM scratch\nCOPY <<%s /x/\nowned\n%s\n' "$name" "$name" >ctx/Dockerfile
		pd build ctx
		assert_exit 125 "a heredoc named '$name'"
		assert_contains "$ERR" "must be a name, not a path" "the error says why"
	done
	[ ! -e "$T_TMP/written-$T_TAG" ] || fail "a heredoc's name wrote a host path"
	find "$T_ROOT" "$T_TMP" /tmp -maxdepth 4 -name "escaped-$T_TAG" 2>/dev/null | grep -q . && fail "a heredoc's name led out of the staging directory"
	printf 'FROM scratch\nADD http://127.0.0.1:9/.. /\n' >ctx/Dockerfile
	pd build ctx
	assert_exit 1 "ADD of a URL nothing answers"
	[ -d "$T_ROOT/build-tmp/other-build" ] || fail "ADD http://x/.. emptied the staging directory"
	printf 'FROM scratch\nCOPY <<ok.txt /x/\nfine\nok.txt\n' >ctx/Dockerfile
	pd build -t names:1 ctx
	assert_ok
}

test_build_copy_from_sees_the_stage_as_it_ends() {
	# COPY --from reads the stage as a container of it would see it: what
	# a later step deleted (a file, a directory, a file under a removed
	# directory) is gone, and a directory removed and made again holds
	# only its new files.
	base_bb
	mkdir ctx
	cat >ctx/Dockerfile <<'EOF'
FROM bb:1 AS s
RUN mkdir -p /d/sub /p && echo secret >/key && echo a >/d/a && echo b >/d/sub/b && echo keep >/d/keep && echo f >/p/f
RUN rm /key /d/a && rm -rf /d/sub /p
RUN mkdir -p /o && echo old >/o/x
RUN rm -rf /o && mkdir /o && echo new >/o/y
FROM bb:1
COPY --from=s /d /d/
COPY --from=s /o /o/
EOF
	pd build --network none -t fromdel:1 ctx
	assert_ok
	pd run --rm --network none fromdel:1 /bin/sh -c 'cd / && find d o | sort'
	assert_ok
	assert_out $'d\nd/keep\no\no/y' "the stage's tree as it ended"
	local src
	for src in /key /p/f /d/sub; do
		printf 'FROM bb:1 AS s\nRUN mkdir -p /d/sub /p && echo s >/key && echo f >/p/f\nRUN rm -rf /key /p /d/sub\nFROM bb:1\nCOPY --from=s %s /x\n' "$src" >ctx/Dockerfile
		pd build --network none ctx
		assert_exit 125 "COPY --from of $src, deleted in the stage"
		assert_contains "$ERR" "no source files match" "the error says so"
	done
}

run_tests "$@"
