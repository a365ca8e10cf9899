#!/bin/bash
# push, login, logout against Debian's docker-registry on loopback: a push
# of an imported image (monolithic, chunked with PATCH, blobs the registry
# has skipped, a cross-repository mount), read back by skopeo, podman and
# pocket-docker's own pull; login with a wrong and a right password
# (htpasswd basic auth), the stored config.json (0600, other keys kept,
# never written through a symbolic link), logout, and -p refused.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REG_PID=""

_stop_registry() {
	if [ -n "$REG_PID" ]; then
		kill "$REG_PID" 2>/dev/null
		wait "$REG_PID" 2>/dev/null
		REG_PID=""
	fi
}
trap _stop_registry EXIT

# Credentials of these tests live in the test's own directory, never in
# the caller's ~/.docker.
[ -n "${PD_INNER:-}" ] && export DOCKER_CONFIG=$T_TMP/docker-config
unset POCKET_DOCKER_PUSH_CHUNK

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_registry [auth]: docker-registry on 127.0.0.1:$REG_PORT logging
# every request to $REG_DIR/log; with "auth", htpasswd basic auth for user
# "pd", password "s3cret-$T_TAG".
start_registry() {
	need_cmd docker-registry skopeo curl
	REG_PORT=$(free_port)
	REG_DIR=$T_TMP/registry
	mkdir -p "$REG_DIR/storage"
	local auth=""
	if [ "${1:-}" = auth ]; then
		/usr/bin/python3 -W ignore -c 'import crypt, sys; print("pd:" + crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))' \
			"s3cret-$T_TAG" >"$REG_DIR/htpasswd" || skip "cannot make a bcrypt htpasswd"
		auth="auth: {htpasswd: {realm: pd-test, path: $REG_DIR/htpasswd}}"
	fi
	cat >"$REG_DIR/config.yml" <<EOC
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $REG_DIR/storage
http:
  addr: 127.0.0.1:$REG_PORT
$auth
EOC
	docker-registry serve "$REG_DIR/config.yml" >"$REG_DIR/log" 2>&1 &
	REG_PID=$!
	local i
	for i in $(seq 1 100); do
		curl -s -o /dev/null "http://127.0.0.1:$REG_PORT/" && break
		sleep 0.1
	done
	curl -s -o /dev/null "http://127.0.0.1:$REG_PORT/" || fail "the registry did not start: $(tail -5 "$REG_DIR/log")"
	REG=127.0.0.1:$REG_PORT
}

# The sha256 of a file, as "sha256:HEX".
digest_of() {
	echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"
}

# The manifest digest in push's last line "TAG: digest: sha256:... size: N".
pushed_digest() {
	printf '%s\n' "$OUT" | tail -n 1 | sed -nE 's/^[^ ]+: digest: (sha256:[0-9a-f]{64}) size: [0-9]+$/\1/p'
}

# podman with a private store in T_TMP (vfs: no mounts), run as root.
podman_pull() {
	need_cmd podman
	echo '{}' >"$T_TMP/podman-auth.json"
	TMPDIR=$T_TMP podman --root "$T_TMP/podman" --runroot "$T_TMP/podman-run" --storage-driver vfs \
		pull --authfile "$T_TMP/podman-auth.json" --tls-verify=false "$1" >"$T_TMP/podman.out" 2>&1
}

test_push_and_read_back() {
	need_busybox
	start_registry
	pd import --name "$REG/pd/bb:v1" "$BUSYBOX_TAR"
	assert_ok "import"
	pd push "$REG/pd/bb:v1"
	assert_ok "push"
	local layer
	layer=$(digest_of "$BUSYBOX_TAR")
	assert_contains "$OUT" "The push refers to repository [$REG/pd/bb]" "push's first line"
	assert_contains "$OUT" "${layer:7:12}: Pushed" "the layer is pushed"
	local digest
	digest=$(pushed_digest)
	[ -n "$digest" ] || fail "no 'v1: digest: sha256:... size: N' line in: $OUT"
	# What the registry holds, as skopeo reads it.
	skopeo inspect --tls-verify=false "docker://$REG/pd/bb:v1" >"$T_TMP/inspect.json" 2>&1 ||
		fail "skopeo inspect: $(cat "$T_TMP/inspect.json")"
	assert_eq "$digest" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Digest"])' "$T_TMP/inspect.json")" \
		"skopeo sees the digest push printed"
	assert_eq "$layer" "$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["Layers"]))' "$T_TMP/inspect.json")" \
		"skopeo sees the busybox tarball as the one layer"
	# The manifest's size as printed is its length in the registry.
	curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
		"http://$REG/v2/pd/bb/manifests/v1" >"$T_TMP/manifest.json"
	assert_eq "$(printf '%s\n' "$OUT" | tail -n 1 | sed -E 's/.* size: //')" "$(stat -c %s "$T_TMP/manifest.json")" "manifest size"
	assert_eq "$digest" "$(digest_of "$T_TMP/manifest.json")" "manifest digest"
	# podman pulls it (and checks every digest and the config's diff ids).
	podman_pull "$REG/pd/bb:v1" || fail "podman pull: $(cat "$T_TMP/podman.out")"
	# So does pocket-docker, into another state root, and runs it.
	local root2=$T_ROOT/second
	mkdir -p "$root2"
	_pd_exec /dev/null "$PD" --root "$root2" pull -q "$REG/pd/bb:v1"
	assert_ok "pull of what was pushed"
	_pd_exec /dev/null "$PD" --root "$root2" run --rm "$REG/pd/bb:v1" /bin/echo round-trip
	assert_out round-trip "run what was pushed and pulled back"
	# A second push sends nothing again.
	pd push "$REG/pd/bb:v1"
	assert_ok "second push"
	assert_contains "$OUT" "${layer:7:12}: Layer already exists" "second push"
	assert_not_contains "$OUT" "Pushed" "second push"
	assert_eq "$digest" "$(pushed_digest)" "the same manifest"
}

test_push_mounts_from_another_repository() {
	need_busybox
	start_registry
	pd import --name "$REG/pd/first:v1" "$BUSYBOX_TAR"
	pd push "$REG/pd/first:v1"
	assert_ok "push to the first repository"
	# A second name of the same image, in another repository of the registry.
	pd import --name "$REG/pd/second:v2" "$BUSYBOX_TAR"
	pd push "$REG/pd/second:v2"
	assert_ok "push to the second repository"
	local layer
	layer=$(digest_of "$BUSYBOX_TAR")
	assert_contains "$OUT" "${layer:7:12}: Mounted from pd/first" "the layer is mounted"
	grep -q "POST /v2/pd/second/blobs/uploads/?mount=$layer&from=pd/first HTTP/1.1\" 201" "$REG_DIR/log" ||
		fail "the registry did not answer a mount with 201: $(grep -E 'POST|PUT' "$REG_DIR/log" | tail -5)"
	grep -q "PUT /v2/pd/second/blobs/uploads/" "$REG_DIR/log" &&
		fail "a blob was uploaded to the second repository"
	skopeo inspect --tls-verify=false "docker://$REG/pd/second:v2" >"$T_TMP/inspect.json" 2>&1 ||
		fail "skopeo inspect: $(cat "$T_TMP/inspect.json")"
}

test_push_chunked() {
	need_busybox
	start_registry
	pd import --name "$REG/pd/chunked:gz" "$BUSYBOX_TGZ"
	local size=$(stat -c %s "$BUSYBOX_TGZ")
	POCKET_DOCKER_PUSH_CHUNK=65536 pd push "$REG/pd/chunked:gz"
	assert_ok "chunked push"
	local patches expect=$(((size + 65535) / 65536))
	patches=$(grep -c "\"PATCH /v2/pd/chunked/blobs/uploads/" "$REG_DIR/log")
	assert_eq "$expect" "$patches" "one PATCH per 64 KiB of the layer"
	skopeo inspect --tls-verify=false "docker://$REG/pd/chunked:gz" >"$T_TMP/inspect.json" 2>&1 ||
		fail "skopeo inspect: $(cat "$T_TMP/inspect.json")"
	assert_contains "$(cat "$T_TMP/inspect.json")" "$(digest_of "$BUSYBOX_TGZ")" "the gzip layer"
	# gzip layers: Docker's schema 2.
	curl -s -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
		"http://$REG/v2/pd/chunked/manifests/gz" >"$T_TMP/manifest.json"
	assert_contains "$(cat "$T_TMP/manifest.json")" "application/vnd.docker.image.rootfs.diff.tar.gzip" "media type"
	podman_pull "$REG/pd/chunked:gz" || fail "podman pull: $(cat "$T_TMP/podman.out")"
	POCKET_DOCKER_PUSH_CHUNK=lots pd push "$REG/pd/chunked:gz"
	assert_exit 125 "a bad chunk size"
	assert_error_line "a bad chunk size"
}

test_push_errors() {
	need_busybox
	start_registry
	pd push "$REG/pd/none:v1"
	assert_exit 125 "push of an unknown image"
	assert_error_line "push of an unknown image"
	assert_contains "$ERR" "no such image" "push of an unknown image"
	pd import --name "$REG/pd/bb:v1" "$BUSYBOX_TAR"
	pd push "$REG/pd/bb@sha256:$(printf '0%.0s' $(seq 64))"
	assert_exit 125 "push by digest"
	assert_error_line "push by digest"
	pd push
	assert_exit 125 "push without a name"
}

cfg_mode() {
	stat -c %a "$DOCKER_CONFIG/config.json"
}

test_login_push_logout() {
	need_busybox
	start_registry auth
	pd import --name "$REG/pd/private:v1" "$BUSYBOX_TAR"
	pd push "$REG/pd/private:v1"
	assert_exit 1 "push without credentials"
	assert_error_line "push without credentials"
	assert_contains "$ERR" "authentication required" "push without credentials"
	# A wrong password: one line, nothing stored.
	pd_stdin "wrong-$T_TAG" login -u pd --password-stdin "$REG"
	assert_exit 1 "login with a wrong password"
	assert_error_line "login with a wrong password"
	assert_not_contains "$ERR" "wrong-$T_TAG" "the password is never shown"
	assert_absent "$DOCKER_CONFIG/config.json" "config after a failed login"
	# Other keys of the file are kept.
	mkdir -p "$DOCKER_CONFIG"
	echo '{"psFormat": "table {{.ID}}", "auths": {"other.example:5000": {"auth": "eDp5"}}}' >"$DOCKER_CONFIG/config.json"
	chmod 644 "$DOCKER_CONFIG/config.json"
	pd_stdin "s3cret-$T_TAG" login -u pd --password-stdin "$REG"
	assert_ok "login"
	assert_out "Login Succeeded" "login"
	assert_eq 600 "$(cfg_mode)" "config.json mode"
	local want
	want=$(printf 'pd:s3cret-%s' "$T_TAG" | base64 -w0)
	assert_eq "$want" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["auths"][sys.argv[2]]["auth"])' "$DOCKER_CONFIG/config.json" "$REG")" "the stored auth"
	assert_eq "table {{.ID}} eDp5" "$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["psFormat"], j["auths"]["other.example:5000"]["auth"])' "$DOCKER_CONFIG/config.json")" \
		"other keys kept"
	ls -A "$DOCKER_CONFIG" | grep -v '^config.json$' && fail "a temporary file was left in $DOCKER_CONFIG"
	# push and pull use the stored credentials.
	pd push "$REG/pd/private:v1"
	assert_ok "push after login"
	assert_contains "$OUT" "Pushed" "push after login"
	pd rmi "$REG/pd/private:v1"
	pd pull -q "$REG/pd/private:v1"
	assert_ok "pull after login"
	# logout removes the entry, and only it.
	pd logout "$REG"
	assert_ok "logout"
	assert_out "Removing login credentials for $REG" "logout"
	assert_eq "False eDp5 table {{.ID}}" "$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(sys.argv[2] in j["auths"], j["auths"]["other.example:5000"]["auth"], j["psFormat"])' "$DOCKER_CONFIG/config.json" "$REG")" \
		"after logout"
	assert_eq 600 "$(cfg_mode)" "config.json mode after logout"
	pd push "$REG/pd/private:v1"
	assert_exit 1 "push after logout"
	pd logout "$REG"
	assert_ok "second logout"
	assert_out "Not logged in to $REG" "second logout"
}

test_login_refuses_password_flag() {
	pd login -u pd -p "flag-$T_TAG" 127.0.0.1:1
	assert_exit 125 "login -p"
	assert_error_line "login -p"
	assert_contains "$ERR" "--password-stdin" "login -p says what to use"
	assert_not_contains "$ERR" "flag-$T_TAG" "the password is not echoed"
	pd login -u pd --password="flag-$T_TAG" 127.0.0.1:1
	assert_exit 125 "login --password="
	assert_absent "$DOCKER_CONFIG/config.json" "config after login -p"
	# No terminal and no --password-stdin: refused, not hung.
	_pd_exec /dev/null setsid "$PD" --root "$T_ROOT" login -u pd 127.0.0.1:1
	assert_exit 125 "login without a terminal"
	assert_error_line "login without a terminal"
}

test_login_does_not_follow_symlink() {
	need_busybox
	start_registry auth
	mkdir -p "$DOCKER_CONFIG"
	echo '{"auths": {}}' >"$T_TMP/target.json"
	ln -s "$T_TMP/target.json" "$DOCKER_CONFIG/config.json"
	pd_stdin "s3cret-$T_TAG" login -u pd --password-stdin "$REG"
	assert_exit 125 "login with config.json a symbolic link"
	assert_error_line "login with config.json a symbolic link"
	assert_contains "$ERR" "symbolic link" "login with config.json a symbolic link"
	[ -L "$DOCKER_CONFIG/config.json" ] || fail "the link was replaced"
	assert_eq '{"auths": {}}' "$(cat "$T_TMP/target.json")" "the link's target is unchanged"
	pd logout "$REG"
	assert_exit 125 "logout with config.json a symbolic link"
	assert_eq '{"auths": {}}' "$(cat "$T_TMP/target.json")" "the link's target is unchanged by logout"
}

run_tests "$@"
