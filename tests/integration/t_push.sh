#!/bin/bash
# push, login, logout against Debian's docker-registry on loopback: a push
# of an imported image (monolithic, chunked with PATCH, blobs the registry
# has skipped, a cross-repository mount), read back by skopeo, podman and
# pocket-docker's own pull; login with a wrong and a right password
# (htpasswd basic auth), the stored config.json (0600, other keys kept,
# never written through a symbolic link), logout, and -p refused.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REG_PID=""
REALM_PID=""

_stop_registry() {
	if [ -n "$REG_PID" ]; then
		kill "$REG_PID" 2>/dev/null
		wait "$REG_PID" 2>/dev/null
		REG_PID=""
	fi
	if [ -n "$REALM_PID" ]; then
		kill "$REALM_PID" 2>/dev/null
		wait "$REALM_PID" 2>/dev/null
		REALM_PID=""
	fi
	stop_http
}
trap _stop_registry EXIT

# Credentials of these tests live in the test's own directory, never in
# the caller's ~/.docker.
[ -n "${PD_INNER:-}" ] && export DOCKER_CONFIG=$T_TMP/docker-config
unset POCKET_DOCKER_PUSH_CHUNK

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_registry [auth | token PORT]: docker-registry on 127.0.0.1:$REG_PORT
# logging every request to $REG_DIR/log; with "auth", htpasswd basic auth
# for user "pd", password "s3cret-$T_TAG"; with "token", bearer tokens from
# the realm on PORT (start_realm), signed with $REG_DIR/key.pem.
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
	elif [ "${1:-}" = token ]; then
		auth="auth: {token: {realm: 'http://127.0.0.1:$2/token', service: pd-test, issuer: pd-test, rootcertbundle: $REG_DIR/cert.pem}}"
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

# start_realm: a token realm on 127.0.0.1:$REALM_PORT that grants an RS256
# token for the scopes asked to user "pd" with password "s3cret-$T_TAG"
# (basic auth) and answers 401 to anyone else; each request's scopes are
# logged, one line each, to $T_TMP/realm.log.  Its key and certificate are
# made in $T_TMP/registry for start_registry token.
start_realm() {
	need_cmd openssl
	REALM_PORT=$(free_port)
	mkdir -p "$T_TMP/registry"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T_TMP/registry/key.pem" -out "$T_TMP/registry/cert.pem" \
		-days 1 -subj /CN=pd-test >/dev/null 2>&1 || skip "openssl cannot make a certificate"
	cat >"$T_TMP/realm.py" <<'PYEOF'
import base64, http.server, json, subprocess, sys, time, urllib.parse
port, keydir, password, log = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def signed_token(scopes):
    der = subprocess.run(["openssl", "x509", "-in", keydir + "/cert.pem", "-outform", "DER"],
                         capture_output=True, check=True).stdout
    head = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
    access = []
    for s in scopes:
        kind, name, actions = s.split(":")
        access.append({"type": kind, "name": name, "actions": actions.split(",")})
    now = int(time.time())
    claims = {"iss": "pd-test", "sub": "pd", "aud": "pd-test", "exp": now + 600, "nbf": now - 60,
              "iat": now, "jti": str(now), "access": access}
    msg = b64(json.dumps(head).encode()) + "." + b64(json.dumps(claims).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", keydir + "/key.pem"], input=msg.encode(),
                         capture_output=True, check=True).stdout
    return msg + "." + b64(sig)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        want = "Basic " + base64.b64encode(("pd:" + password).encode()).decode()
        if self.headers.get("Authorization") != want:
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        scopes = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query).get("scope", [])
        with open(log, "a") as f:
            f.write(" ".join(scopes) + "\n")
        body = json.dumps({"token": signed_token(scopes)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PYEOF
	python3 "$T_TMP/realm.py" "$REALM_PORT" "$T_TMP/registry" "s3cret-$T_TAG" "$T_TMP/realm.log" &
	REALM_PID=$!
	local i
	for i in $(seq 1 100); do
		curl -s -o /dev/null "http://127.0.0.1:$REALM_PORT/" && return 0
		sleep 0.1
	done
	fail "the token realm did not start"
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
	# The pulled image (a config blob now) pushes back as the same manifest.
	_pd_exec /dev/null "$PD" --root "$root2" push "$REG/pd/bb:v1"
	assert_ok "push of a pulled image"
	assert_contains "$OUT" "${layer:7:12}: Layer already exists" "push of a pulled image"
	assert_eq "$digest" "$(pushed_digest)" "a pulled image pushes back as the same manifest"
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

# The digest of REPO:TAG's manifest in the registry, from a HEAD (as Docker
# and skopeo learn it); either manifest type is accepted.
head_digest() {
	curl -sI -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
		-H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
		"http://$REG/v2/$1/manifests/$2" | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}

# inspect_field FILE KEY: a top-level field of skopeo inspect's JSON.
inspect_field() {
	python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(" ".join(v) if isinstance(v, list) else v)' "$1" "$2"
}

test_push_pulled_keeps_manifest_digest() {
	need_busybox
	start_registry
	# The source manifest is skopeo's (its own JSON layout, its own gzip of
	# the layer), bytes our manifest writer would not produce.
	make_save_archive "$T_TMP/src.tar" "" "echo from-skopeo"
	skopeo copy -q --dest-tls-verify=false "docker-archive:$T_TMP/src.tar" "docker://$REG/pd/x:v1" \
		>"$T_TMP/copy.out" 2>&1 || fail "skopeo copy: $(cat "$T_TMP/copy.out")"
	local src
	src=$(head_digest pd/x v1)
	[ -n "$src" ] || fail "no digest for pd/x:v1"
	pd pull -q "$REG/pd/x:v1"
	assert_ok "pull"
	pd tag "$REG/pd/x:v1" "$REG/pd/y:v1"
	assert_ok "tag"
	pd push "$REG/pd/y:v1"
	assert_ok "push"
	assert_eq "$src" "$(pushed_digest)" "push prints the digest the image was pulled by"
	assert_eq "$src" "$(head_digest pd/y v1)" "the registry holds the source manifest under pd/y"
	skopeo inspect --tls-verify=false "docker://$REG/pd/y:v1" >"$T_TMP/inspect.json" 2>&1 ||
		fail "skopeo inspect: $(cat "$T_TMP/inspect.json")"
	assert_eq "$src" "$(inspect_field "$T_TMP/inspect.json" Digest)" "skopeo inspect's Digest"
	curl -s -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
		"http://$REG/v2/pd/x/manifests/v1" >"$T_TMP/x.json"
	curl -s -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
		"http://$REG/v2/pd/y/manifests/v1" >"$T_TMP/y.json"
	cmp -s "$T_TMP/x.json" "$T_TMP/y.json" || fail "the manifest bytes differ: $(diff "$T_TMP/x.json" "$T_TMP/y.json")"
	# Pulled through a manifest list: the platform's manifest is kept and
	# pushed (as Docker does), by its own digest.
	local arch
	case $(uname -m) in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
	printf '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":%s,"digest":"%s","platform":{"architecture":"%s","os":"linux"}}]}' \
		"$(stat -c %s "$T_TMP/x.json")" "$src" "$arch" >"$T_TMP/list.json"
	curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/vnd.docker.distribution.manifest.list.v2+json' \
		--data-binary "@$T_TMP/list.json" "http://$REG/v2/pd/x/manifests/list" >"$T_TMP/put.code"
	assert_eq 201 "$(cat "$T_TMP/put.code")" "the registry took the manifest list"
	pd rmi "$REG/pd/x:v1" "$REG/pd/y:v1"
	assert_ok "rmi before the list's pull"
	pd pull -q "$REG/pd/x:list"
	assert_ok "pull through the list"
	pd tag "$REG/pd/x:list" "$REG/pd/y:list"
	pd push "$REG/pd/y:list"
	assert_ok "push of an image pulled through a list"
	assert_eq "$src" "$(pushed_digest)" "the platform manifest's digest"
	pd tag "$REG/pd/x:list" "$REG/pd/x:v1"
	pd tag "$REG/pd/x:list" "$REG/pd/y:v1"
	pd rmi "$REG/pd/x:list" "$REG/pd/y:list"
	# Removing the image removes its kept manifest too.
	pd rmi "$REG/pd/x:v1" "$REG/pd/y:v1"
	assert_ok "rmi"
	[ -z "$(ls -A "$T_ROOT/images/manifests" 2>/dev/null)" ] || fail "manifests left: $(ls "$T_ROOT/images/manifests")"
}

test_push_pulled_kept_manifest_must_match() {
	need_busybox
	start_registry
	make_save_archive "$T_TMP/src.tar" "" "echo from-skopeo"
	skopeo copy -q --dest-tls-verify=false "docker-archive:$T_TMP/src.tar" "docker://$REG/pd/x:v1" \
		>"$T_TMP/copy.out" 2>&1 || fail "skopeo copy: $(cat "$T_TMP/copy.out")"
	pd pull -q "$REG/pd/x:v1"
	assert_ok "pull"
	# A kept manifest that no longer names the image's blobs (tampered with
	# in the store) is not sent: push writes one of its own instead.
	local kept
	kept=$(ls "$T_ROOT"/images/manifests/* 2>/dev/null | head -1)
	[ -f "$kept" ] || fail "pull kept no manifest in $T_ROOT/images/manifests"
	cp "$kept" "$T_TMP/kept.orig"
	sed -i 's/"size": *[0-9]*/"size": 1/' "$kept"
	cmp -s "$kept" "$T_TMP/kept.orig" && fail "the kept manifest was not changed: $(cat "$kept")"
	pd tag "$REG/pd/x:v1" "$REG/pd/z:v1"
	pd push "$REG/pd/z:v1"
	assert_ok "push with a mismatched kept manifest"
	[ "$(pushed_digest)" != "$(head_digest pd/x v1)" ] || fail "the tampered manifest's digest was pushed"
	assert_eq "$(pushed_digest)" "$(head_digest pd/z v1)" "the written manifest"
	skopeo inspect --tls-verify=false "docker://$REG/pd/z:v1" >"$T_TMP/inspect.json" 2>&1 ||
		fail "skopeo inspect: $(cat "$T_TMP/inspect.json")"
}

# serve_dir DIR: python3's http.server on 127.0.0.1:$HTTP_PORT serving DIR.
HTTP_PID=""
serve_dir() {
	HTTP_PORT=$(free_port)
	python3 -m http.server --bind 127.0.0.1 --directory "$1" "$HTTP_PORT" >"$T_TMP/http.log" 2>&1 &
	HTTP_PID=$!
	local i
	for i in $(seq 1 100); do
		curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/" && return 0
		sleep 0.1
	done
	fail "the http server did not start"
}

stop_http() {
	if [ -n "$HTTP_PID" ]; then
		kill "$HTTP_PID" 2>/dev/null
		wait "$HTTP_PID" 2>/dev/null
		HTTP_PID=""
	fi
}

# check_tarball_push NAME FILE: NAME (a rootfs tarball image of FILE) is
# pushed to pd/tb:NAME-tag, its config's diff id is the digest of the
# uncompressed tar, and our own pull of it (another state root) runs it.
check_tarball_push() {
	local ref=$REG/pd/tb:$2
	pd tag "$1" "$ref"
	assert_ok "tag $1"
	pd push "$ref"
	assert_ok "push of $1"
	skopeo inspect --tls-verify=false "docker://$ref" >"$T_TMP/inspect.json" 2>&1 ||
		fail "skopeo inspect: $(cat "$T_TMP/inspect.json")"
	assert_eq "$(pushed_digest)" "$(inspect_field "$T_TMP/inspect.json" Digest)" "skopeo inspect's Digest"
	skopeo inspect --tls-verify=false --config "docker://$ref" >"$T_TMP/config.json" 2>&1 ||
		fail "skopeo inspect --config: $(cat "$T_TMP/config.json")"
	assert_eq "sha256:$(sha256sum "$BUSYBOX_TAR" | cut -d' ' -f1)" \
		"$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["rootfs"]["diff_ids"]))' "$T_TMP/config.json")" \
		"the config's diff id is the uncompressed tar's digest"
	local root2=$T_ROOT/second-$2
	mkdir -p "$root2"
	_pd_exec /dev/null "$PD" --root "$root2" pull -q "$ref"
	assert_ok "pull of the pushed $1"
	_pd_exec /dev/null "$PD" --root "$root2" run --rm "$ref" /bin/echo "ran-$2"
	assert_out "ran-$2" "run the pushed $1"
}

test_push_tarball_by_url() {
	need_busybox
	need_cmd xz
	start_registry
	mkdir -p "$T_TMP/www"
	cp "$BUSYBOX_TGZ" "$T_TMP/www/bb.tar.gz"
	xz -c "$BUSYBOX_TAR" >"$T_TMP/www/bb.tar.xz"
	serve_dir "$T_TMP/www"
	pd pull -q "http://127.0.0.1:$HTTP_PORT/bb.tar.gz"
	assert_ok "pull a gzip tarball by URL"
	pd pull -q "http://127.0.0.1:$HTTP_PORT/bb.tar.xz"
	assert_ok "pull an xz tarball by URL"
	stop_http
	check_tarball_push bb.tar.gz gz
	# gzip is sent as it is: the layer is the tarball pulled.
	assert_contains "$(cat "$T_TMP/inspect.json")" "$(digest_of "$BUSYBOX_TGZ")" "the gzip layer as pulled"
	# xz has no manifest media type: its tar is sent uncompressed.
	check_tarball_push bb.tar.xz xz
	assert_contains "$(cat "$T_TMP/inspect.json")" "$(digest_of "$BUSYBOX_TAR")" "the xz layer as its tar"
}

test_push_imported_gzip_tarball() {
	need_busybox
	start_registry
	pd import "$BUSYBOX_TGZ"
	assert_ok "import"
	check_tarball_push busybox.tar.gz imp
}

# The apparent size of the files under DIR as Docker counts a layer's
# (regular files and symbolic links, each inode once, directories not),
# in history's short form ("1.99MB").
tree_size_short() {
	python3 - "$1" <<'PYEOF'
import os, stat, sys
seen, total = set(), 0
for d, dirs, files in os.walk(sys.argv[1]):
    for n in dirs + files:
        st = os.lstat(os.path.join(d, n))
        if stat.S_ISDIR(st.st_mode):
            continue
        if st.st_nlink > 1:
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
        total += st.st_size
units, div, u = ["B", "kB", "MB", "GB"], 1, 0
while u + 1 < len(units) and total // div >= 1000:
    div, u = div * 1000, u + 1
print("%d%s" % (total, units[0]) if u == 0 else "%.3g%s" % (total / div, units[u]))
PYEOF
}

# history's SIZE is the layer uncompressed, as Docker shows it, not the
# size of the compressed blob: the same for the tarball and its gzip.
test_history_size_is_uncompressed() {
	need_busybox
	pd import "$BUSYBOX_TGZ"
	assert_ok "import the gzip tarball"
	pd import "$BUSYBOX_TAR"
	assert_ok "import the tarball"
	local want
	want=$(tree_size_short "$BUSYBOX_DIR")
	pd history --format '{{.Size}}' busybox.tar.gz
	assert_ok "history of the gzip tarball"
	assert_eq "$want" "$OUT" "SIZE of the gzip layer"
	pd history --format '{{.Size}}' busybox.tar
	assert_eq "$want" "$OUT" "SIZE of the plain layer"
	# A pulled image's layers too.
	start_registry
	pd tag busybox.tar.gz "$REG/pd/hist:v1"
	pd push "$REG/pd/hist:v1"
	assert_ok "push"
	local root2=$T_ROOT/second
	mkdir -p "$root2"
	_pd_exec /dev/null "$PD" --root "$root2" pull -q "$REG/pd/hist:v1"
	assert_ok "pull"
	_pd_exec /dev/null "$PD" --root "$root2" history --format '{{.Size}}' "$REG/pd/hist:v1"
	assert_ok "history of the pulled image"
	assert_eq "$want" "$OUT" "SIZE of the pulled gzip layer"
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

test_token_auth_login_push_mount() {
	need_busybox
	start_realm
	start_registry token "$REALM_PORT"
	pd_stdin "wrong-$T_TAG" login -u pd --password-stdin "$REG"
	assert_exit 1 "login refused by the realm"
	assert_error_line "login refused by the realm"
	assert_absent "$DOCKER_CONFIG/config.json" "config after a failed login"
	pd_stdin "s3cret-$T_TAG" login -u pd --password-stdin "$REG"
	assert_ok "login through the token realm"
	pd import --name "$REG/pd/first:v1" "$BUSYBOX_TAR"
	pd push "$REG/pd/first:v1"
	assert_ok "push with a bearer token"
	assert_contains "$OUT" "Pushed" "push with a bearer token"
	grep -q "repository:pd/first:pull,push" "$T_TMP/realm.log" ||
		fail "no token was asked for pull and push: $(cat "$T_TMP/realm.log")"
	pd import --name "$REG/pd/second:v1" "$BUSYBOX_TAR"
	pd push "$REG/pd/second:v1"
	assert_ok "second push with a bearer token"
	assert_contains "$OUT" "Mounted from pd/first" "a mount with a bearer token"
	grep "repository:pd/second:pull,push" "$T_TMP/realm.log" | grep -q "repository:pd/first:pull" ||
		fail "the mount's token did not ask to pull the source: $(cat "$T_TMP/realm.log")"
	skopeo inspect --tls-verify=false --creds "pd:s3cret-$T_TAG" "docker://$REG/pd/second:v1" >"$T_TMP/inspect.json" 2>&1 ||
		fail "skopeo inspect: $(cat "$T_TMP/inspect.json")"
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
