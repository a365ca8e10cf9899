#!/bin/bash
# Images: pull from a real registry on loopback (Debian's docker-registry,
# fed by skopeo from an OCI layout this file writes), pull of a rootfs
# tarball by URL from a loopback HTTP server, run of images (layers stacked
# as overlay lower dirs, whiteouts applied, the image config's defaults),
# images, rmi, import, and the bad cases: 404, digest mismatch, unknown
# image, two pulls at once.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REG_PID=""
HTTP_PID=""

_stop_servers() {
	if [ -n "$REG_PID" ]; then
		kill "$REG_PID" 2>/dev/null
		wait "$REG_PID" 2>/dev/null
		REG_PID=""
	fi
	if [ -n "$HTTP_PID" ]; then
		kill "$HTTP_PID" 2>/dev/null
		wait "$HTTP_PID" 2>/dev/null
		HTTP_PID=""
	fi
}
trap _stop_servers EXIT

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Wait (bounded) until a URL answers; a readiness check, not a timing one.
_wait_url() {
	local i
	for i in $(seq 1 100); do
		curl -s -o /dev/null "$1" && return 0
		sleep 0.1
	done
	return 1
}

# start_registry [auth]: docker-registry on 127.0.0.1:$REG_PORT, storage in
# $REG_DIR; with "auth", basic auth (htpasswd) for user "pd", password
# "s3cret-$T_TAG".
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
		need_cmd openssl
		openssl req -x509 -newkey rsa:2048 -nodes -keyout "$REG_DIR/key.pem" -out "$REG_DIR/cert.pem" \
			-days 1 -subj /CN=pd-test >/dev/null 2>&1 || skip "openssl cannot make a certificate"
		auth="auth: {token: {realm: 'http://127.0.0.1:$2/token', service: pd-test, issuer: pd-test, rootcertbundle: $REG_DIR/cert.pem}}"
	fi
	cat >"$REG_DIR/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $REG_DIR/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$REG_PORT
$auth
EOF
	docker-registry serve "$REG_DIR/config.yml" >"$REG_DIR/log" 2>&1 &
	REG_PID=$!
	_wait_url "http://127.0.0.1:$REG_PORT/" || fail "the registry did not start: $(tail -5 "$REG_DIR/log")"
	REG=127.0.0.1:$REG_PORT
}

# start_http DIR: python's http.server on 127.0.0.1:$HTTP_PORT serving DIR.
start_http() {
	HTTP_PORT=$(free_port)
	python3 -m http.server --bind 127.0.0.1 --directory "$1" "$HTTP_PORT" >"$T_TMP/http.log" 2>&1 &
	HTTP_PID=$!
	_wait_url "http://127.0.0.1:$HTTP_PORT/" || fail "the http server did not start"
}

# make_oci DIR: an OCI layout with three layers (busybox; a layer adding
# /data/keep, /data/gone and /opq/old; a layer deleting /data/gone by a
# whiteout and making /opq opaque with /opq/new) and a config with
# Entrypoint, Cmd, Env, WorkingDir and StopSignal.  MODE (optional):
# multi    an index of this host's image and an s390x one
# foreign  an index with only the s390x image
# hostile  a fourth layer with an entry "../escape-$T_TAG"
# many     80 more layers, each adding /many/fN
# user     the config's User is 4321:4321
make_oci() {
	need_busybox
	python3 - "$1" "$BUSYBOX_TAR" "${2:-plain}" "$T_TAG" <<'EOF'
import gzip, hashlib, io, json, os, platform, sys, tarfile
out, bb, mode, tag = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
os.makedirs(out + "/blobs/sha256", exist_ok=True)
def blob(data):
    d = hashlib.sha256(data).hexdigest()
    with open(f"{out}/blobs/sha256/{d}", "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)
def layer(entries):
    buf = io.BytesIO()
    tf = tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT)
    for name, data in entries:
        ti = tarfile.TarInfo(name)
        ti.mtime = 0
        if data is None:
            ti.type, ti.mode = tarfile.DIRTYPE, 0o755
            tf.addfile(ti)
        else:
            ti.size, ti.mode = len(data), 0o644
            tf.addfile(ti, io.BytesIO(data))
    tf.close()
    return buf.getvalue()
raws = [open(bb, "rb").read(),
        layer([("data", None), ("data/keep", b"keep\n"), ("data/gone", b"gone\n"),
               ("opq", None), ("opq/old", b"old\n")]),
        layer([("data", None), ("data/.wh.gone", b""), ("opq", None),
               ("opq/.wh..wh..opq", b""), ("opq/new", b"new\n")])]
if mode == "hostile":
    raws.append(layer([("../escape-" + tag, b"escaped\n")]))
if mode == "many":
    raws += [layer([("many", None), (f"many/f{i}", b"x")]) for i in range(80)]
descs, diff_ids = [], []
for raw in raws:
    diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
    d, n = blob(gzip.compress(raw, mtime=0))
    descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": n})
arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
config = {"architecture": arch, "os": "linux", "created": "2024-01-02T03:04:05Z",
          "config": {"Entrypoint": ["/bin/sh", "-c"], "Cmd": ["echo default-cmd; pwd"],
                     "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=hello from the image"],
                     "WorkingDir": "/data", "StopSignal": "SIGQUIT"},
          "rootfs": {"type": "layers", "diff_ids": diff_ids}}
MT_M, MT_I = "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json"
def image(cfg):
    cd, cn = blob(json.dumps(cfg).encode())
    manifest = {"schemaVersion": 2, "mediaType": MT_M,
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
                "layers": descs}
    md, mn = blob(json.dumps(manifest).encode())
    return cd, {"mediaType": MT_M, "digest": md, "size": mn,
                "platform": {"architecture": cfg["architecture"], "os": "linux"}}
if mode == "user":
    config["config"]["User"] = "4321:4321"
cd, entry = image(config)
foreign = dict(config, architecture="s390x")
if mode in ("multi", "foreign"):
    entries = [image(foreign)[1]] if mode == "foreign" else [entry, image(foreign)[1]]
    idx, n = blob(json.dumps({"schemaVersion": 2, "mediaType": MT_I, "manifests": entries}).encode())
    entry = {"mediaType": MT_I, "digest": idx, "size": n}
entry["annotations"] = {"org.opencontainers.image.ref.name": "v1"}
index = {"schemaVersion": 2, "manifests": [entry]}
with open(out + "/index.json", "w") as f:
    json.dump(index, f)
with open(out + "/oci-layout", "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
print(cd)
EOF
}

# push_image NAME [MODE]: build the OCI layout and push it as $REG/NAME.
push_image() {
	rm -rf "$T_TMP/oci"
	CONFIG_DIGEST=$(make_oci "$T_TMP/oci" "${2:-}") || fail "could not build the OCI layout"
	local creds=()
	[ -f "$REG_DIR/htpasswd" ] && creds=(--dest-creds "pd:s3cret-$T_TAG")
	TMPDIR=$T_TMP skopeo copy -q --all --dest-tls-verify=false "${creds[@]}" "oci:$T_TMP/oci:v1" "docker://$REG/$1" \
		>"$T_TMP/skopeo.log" 2>&1 || fail "skopeo copy failed: $(cat "$T_TMP/skopeo.log")"
}

# Extracted layers, and their short names (layers/l/) left.
layer_dirs() {
	find "$T_ROOT/layers" -mindepth 1 -maxdepth 1 ! -name l 2>/dev/null | wc -l
}

short_links() {
	find "$T_ROOT/layers/l" -mindepth 1 2>/dev/null | wc -l
}

blob_count() {
	find "$T_ROOT/images/blobs/sha256" -type f 2>/dev/null | wc -l
}

test_pull_and_run_registry_image() {
	start_registry
	push_image test/bb:v1
	pd pull -q "$REG/test/bb:v1"
	assert_ok "pull"
	assert_out "$REG/test/bb:v1" "pull -q prints the name"
	assert_eq 3 "$(layer_dirs)" "three layers extracted"
	pd images
	assert_ok "images"
	assert_match "$OUT" "^$REG/test/bb +v1 +${CONFIG_DIGEST:7:12} " "images row"
	pd images -q
	assert_out "${CONFIG_DIGEST:7:12}" "images -q"
	pd images --format json
	assert_contains "$OUT" "\"ID\":\"$CONFIG_DIGEST\"" "images --format json"
	# The image's Entrypoint + Cmd, WorkingDir.
	pd run --rm "$REG/test/bb:v1"
	assert_ok "run with the image's command"
	assert_out $'default-cmd\n/data' "Entrypoint, Cmd and WorkingDir"
	# A command replaces Cmd (the Entrypoint stays); whiteouts applied.
	pd run --rm "$REG/test/bb:v1" 'echo "$GREETING"; ls /data; ls /opq'
	assert_ok "run with a command"
	assert_out $'hello from the image\nkeep\nnew' "Env, a whiteout'd file and an opaque dir"
	# User flags win; --rootfs takes an image too.
	pd run --rm -e GREETING=mine -w / --rootfs "$REG/test/bb:v1" 'echo "$GREETING"; pwd'
	assert_ok "run --rootfs IMAGE"
	assert_out $'mine\n/' "-e and -w win over the image"
	pd run --rm --entrypoint /bin/echo "$REG/test/bb:v1" one two
	assert_ok "--entrypoint"
	assert_out "one two" "--entrypoint replaces the Entrypoint and drops Cmd"
	pd run --rm --entrypoint "" "$REG/test/bb:v1" /bin/echo three
	assert_out "three" "--entrypoint '' clears it"
	pd run --rm "${CONFIG_DIGEST:7:12}" 'test ! -e /data/gone && echo absent'
	assert_ok "run by id"
	assert_out absent "run by image id"
	# A second pull only checks the manifest.
	pd pull "$REG/test/bb:v1"
	assert_ok "second pull"
	assert_contains "$ERR" "up to date" "second pull"
	# Blobs and layers are not written by containers.
	pd run --rm "$REG/test/bb:v1" 'echo x > /data/keep; rm /data/keep; echo ok'
	assert_ok
	pd run --rm "$REG/test/bb:v1" 'cat /data/keep'
	assert_out keep "a layer is unchanged by an earlier container"
}

test_pull_by_digest_and_platform_index() {
	start_registry
	push_image test/multi:v1 multi
	pd pull -q "$REG/test/multi:v1"
	assert_ok "pull of an index"
	pd images -q
	assert_out "${CONFIG_DIGEST:7:12}" "the index entry for this host was chosen"
	pd run --rm "$REG/test/multi:v1" 'cat /data/keep'
	assert_out keep "run the image chosen from the index"
	# By manifest digest: verified against the digest asked for.
	local mdigest
	mdigest=$(curl -s -H 'Accept: application/vnd.oci.image.index.v1+json' -o /dev/null \
		-D - "http://$REG/v2/test/multi/manifests/v1" | tr -d '\r' | sed -n 's/^Docker-Content-Digest: //Ip')
	[ -n "$mdigest" ] || fail "no digest from the registry"
	pd pull -q "$REG/test/multi@$mdigest"
	assert_ok "pull by digest"
	pd run --rm "$REG/test/multi@$mdigest" 'echo by-digest'
	assert_out by-digest "run NAME@DIGEST"
	pd pull "$REG/test/multi@sha256:$(printf '%064d' 0)"
	assert_exit 1 "pull of an unknown digest"
	assert_error_line "pull of an unknown digest"
	# Only another architecture: refused, naming what there is.
	push_image test/foreign:v1 foreign
	pd pull "$REG/test/foreign:v1"
	assert_exit 1 "pull of an image for another architecture"
	assert_error_line "pull of a foreign image"
	assert_contains "$ERR" "s390x" "the error names the platform offered"
}

test_docker_schema2_manifest() {
	start_registry
	CONFIG_DIGEST=$(make_oci "$T_TMP/oci") || fail "could not build the OCI layout"
	TMPDIR=$T_TMP skopeo copy -q --format v2s2 --dest-tls-verify=false "oci:$T_TMP/oci:v1" \
		"docker://$REG/test/docker:v2" >"$T_TMP/skopeo.log" 2>&1 || fail "skopeo copy failed: $(cat "$T_TMP/skopeo.log")"
	curl -s -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
		"http://$REG/v2/test/docker/manifests/v2" | grep -q 'application/vnd.docker.distribution.manifest.v2+json' ||
		fail "the registry does not hold a Docker schema 2 manifest"
	pd pull -q "$REG/test/docker:v2"
	assert_ok "pull of a Docker schema 2 image"
	pd run --rm "$REG/test/docker:v2" 'echo "$GREETING"; ls /data'
	assert_ok "run of a Docker schema 2 image"
	assert_out $'hello from the image\nkeep' "Docker schema 2: config and whiteouts"
}

test_image_user() {
	start_registry
	push_image test/user:v1 user
	pd pull -q "$REG/test/user:v1"
	assert_ok
	pd run --rm "$REG/test/user:v1" 'id -u; id -g'
	assert_ok "run as the image's User"
	assert_out $'4321\n4321' "the image's User"
	pd run --rm -u 0 "$REG/test/user:v1" 'id -u'
	assert_out 0 "-u wins over the image's User"
}

test_basic_auth() {
	start_registry auth
	push_image test/private:v1
	pd pull "$REG/test/private:v1"
	assert_exit 1 "pull without credentials"
	assert_error_line "pull without credentials"
	assert_contains "$ERR" "authentication required" "pull without credentials"
	pd_stdin "wrong-$T_TAG" pull --username pd --password-stdin "$REG/test/private:v1"
	assert_exit 1 "pull with a wrong password"
	assert_error_line "pull with a wrong password"
	assert_not_contains "$ERR" "wrong-$T_TAG" "the password is never shown"
	pd_stdin "s3cret-$T_TAG" pull -q --username pd --password-stdin "$REG/test/private:v1"
	assert_ok "pull with basic auth"
	printf '{"auths": {"%s": {"auth": "%s"}}}' "$REG" "$(printf 'pd:s3cret-%s' "$T_TAG" | base64)" >"$T_TMP/auth.json"
	pd rmi "$REG/test/private:v1"
	pd pull -q --authfile "$T_TMP/auth.json" "$REG/test/private:v1"
	assert_ok "pull with an auth file"
	pd run --rm "$REG/test/private:v1" 'cat /data/keep'
	assert_out keep "run the private image"
	pd images -q
	assert_out "${CONFIG_DIGEST:7:12}" "one image"
}

# A partial download left by an interrupted pull is resumed from where it
# ended (Range): good bytes complete the blob; bad ones are caught by the
# digest check, dropped, and the next pull starts over.
test_resume_partial_download() {
	start_registry
	push_image test/bb:v1
	local hex size half
	hex=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"][7:])' "$T_TMP/oci/index.json")
	hex=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"][7:])' "$T_TMP/oci/blobs/sha256/$hex")
	size=$(stat -c %s "$T_TMP/oci/blobs/sha256/$hex")
	half=$((size / 2))
	mkdir -p "$T_ROOT/images/tmp"
	# Good bytes: the pull completes the file.
	head -c "$half" "$T_TMP/oci/blobs/sha256/$hex" >"$T_ROOT/images/tmp/$hex.partial"
	pd pull -q "$REG/test/bb:v1"
	assert_ok "pull resuming a good partial"
	cmp -s "$T_ROOT/images/blobs/sha256/$hex" "$T_TMP/oci/blobs/sha256/$hex" || fail "the resumed blob differs"
	assert_absent "$T_ROOT/images/tmp/$hex.partial" "the partial file"
	pd rmi "$REG/test/bb:v1"
	assert_ok
	# Bad bytes of the same length: only a resume can make the digest differ.
	head -c "$half" /dev/zero >"$T_ROOT/images/tmp/$hex.partial"
	pd pull "$REG/test/bb:v1"
	assert_exit 1 "pull resuming a bad partial"
	assert_contains "$ERR" "digest mismatch" "the bad partial is caught"
	assert_absent "$T_ROOT/images/tmp/$hex.partial" "the bad partial"
	pd images -q
	assert_out "" "nothing recorded"
	pd pull -q "$REG/test/bb:v1"
	assert_ok "the next pull starts over"
	pd run --rm "$REG/test/bb:v1" 'cat /data/keep'
	assert_out keep
}

# Rootless: an unprivileged user pulls into a state root it owns and runs
# the image; its layers are extracted without privilege (with its range,
# the -subids variant; whiteouts as user.overlay xattrs).
test_rootless_pull_and_run() {
	need_root
	need_cmd setpriv unshare
	ensure_test_user pdtest yes
	setpriv --reuid=pdtest --regid=pdtest --init-groups unshare --user --map-root-user true 2>/dev/null ||
		skip "user namespaces unavailable to pdtest"
	start_registry
	push_image test/bb:v1
	chmod 0755 "$T_TMP"
	mkdir -p "$T_TMP/bin"
	cp "$PD" "$T_TMP/bin/pocket-docker"
	PD=$T_TMP/bin/pocket-docker
	chown pdtest: "$T_ROOT"
	pd_as pdtest pull -q "$REG/test/bb:v1"
	assert_ok "rootless pull"
	ls -d "$T_ROOT"/layers/*-subids >/dev/null 2>&1 || fail "no rootless layer extraction (with the range: -subids)"
	pd_as pdtest run --rm "$REG/test/bb:v1" 'id -u; echo "$GREETING"; ls /data; ls /opq'
	assert_ok "rootless run"
	assert_out $'0\nhello from the image\nkeep\nnew' "rootless: whiteouts, opaque dir and Env"
	pd_as pdtest rmi "$REG/test/bb:v1"
	assert_ok "rootless rmi"
	assert_eq 0 "$(layer_dirs)" "layers freed"
}

# A disk that fills: the pull fails with a clear error and keeps nothing
# (no blob, no layer, no partial file, no record).
test_full_disk_stores_nothing() {
	need_root
	start_registry
	push_image test/bb:v1
	local small=$T_TMP/small size rc err left images
	mkdir -p "$small"
	# Full while downloading (500k), and while extracting (1200k).
	for size in 500k 1200k; do
		mount -t tmpfs -o size=$size tmpfs "$small" || skip "cannot mount a tmpfs"
		_pd_exec /dev/null "$PD" --root "$small" pull "$REG/test/bb:v1"
		rc=$RC err=$ERR
		left=$(find "$small/images/blobs/sha256" "$small/images/tmp" "$small/layers" -mindepth 1 -not -name '*.lock' 2>/dev/null)
		_pd_exec /dev/null "$PD" --root "$small" images -q
		images=$OUT
		umount "$small"
		[ "$rc" = 1 ] || fail "pull on a full disk ($size): expected exit 1, got $rc"
		ERR=$err
		assert_error_line "pull on a full disk ($size)"
		assert_contains "$err" "No space left on device" "the error says why ($size)"
		assert_eq "" "$left" "nothing kept on the full disk ($size)"
		assert_eq "" "$images" "nothing recorded ($size)"
	done
}

# Bearer tokens: a realm that refuses, one that hands out a token the
# registry does not accept (clear errors, nothing stored), and one that
# grants signed tokens (RS256, the certificate the registry trusts).
test_bearer_tokens() {
	local tport
	tport=$(free_port)
	mkdir -p "$T_TMP/realm"
	cat >"$T_TMP/realm/server.py" <<'PYEOF'
import base64, http.server, json, subprocess, sys, time, urllib.parse
def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def signed_token(scopes):
    # An RS256 JWT with the certificate in x5c, as the registry's token
    # auth expects; signed by openssl with the key the registry trusts.
    d = sys.argv[3]
    der = subprocess.run(["openssl", "x509", "-in", d + "/cert.pem", "-outform", "DER"],
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
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", d + "/key.pem"], input=msg.encode(),
                         capture_output=True, check=True).stdout
    return msg + "." + b64(sig)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        mode = open(sys.argv[2]).read().strip()
        if mode == "deny":
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        token = "not-a-valid-token"
        if mode == "grant":
            q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            token = signed_token(q.get("scope", []))
        body = json.dumps({"token": token}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PYEOF
	echo deny >"$T_TMP/realm/mode"
	python3 "$T_TMP/realm/server.py" "$tport" "$T_TMP/realm/mode" "$T_TMP/registry" &
	HTTP_PID=$!
	start_registry token "$tport"
	_wait_url "http://127.0.0.1:$tport/" || fail "the token server did not start"
	pd pull "$REG/test/bb:v1"
	assert_exit 1 "pull with a realm that refuses"
	assert_error_line "pull with a realm that refuses"
	assert_contains "$ERR" "access denied" "the realm's refusal"
	echo bogus >"$T_TMP/realm/mode"
	pd pull "$REG/test/bb:v1"
	assert_exit 1 "pull with a token the registry rejects"
	assert_error_line "pull with a bad token"
	assert_contains "$ERR" "authentication failed" "a bad token"
	assert_not_contains "$ERR" "not-a-valid-token" "the token is never shown"
	pd images -q
	assert_out "" "nothing recorded"
	assert_eq 0 "$(blob_count)" "nothing stored"
	# A realm that grants signed tokens: push, then pull with a token.
	echo grant >"$T_TMP/realm/mode"
	push_image test/bb:v1
	pd pull -q "$REG/test/bb:v1"
	assert_ok "pull with a bearer token"
	pd run --rm "$REG/test/bb:v1" 'cat /data/keep'
	assert_out keep "run the image pulled with a token"
}

test_hostile_layer_stores_nothing() {
	start_registry
	push_image test/evil:v1 hostile
	pd pull "$REG/test/evil:v1"
	assert_exit 1 "pull of a layer with '..'"
	assert_error_line "pull of a hostile layer"
	assert_absent "$T_ROOT/escape-$T_TAG"
	assert_absent "$T_ROOT/layers/escape-$T_TAG"
	assert_absent "/tmp/escape-$T_TAG"
	pd images -q
	assert_out "" "nothing recorded"
	assert_eq 0 "$(layer_dirs)" "no layer kept"
	assert_eq 0 "$(blob_count)" "no blob kept"
}

test_stop_signal_from_image() {
	start_registry
	push_image test/bb:v1
	pd pull -q "$REG/test/bb:v1"
	pd run -d --name "sig-$T_TAG" "$REG/test/bb:v1" \
		'trap "echo got-quit; exit 0" QUIT; trap "echo got-term; exit 0" TERM; echo ready; while :; do sleep 0.1; done'
	assert_ok "run -d"
	local i
	for i in $(seq 1 100); do
		pd logs "sig-$T_TAG"
		[ "$OUT" = ready ] && break
		sleep 0.1
	done
	pd stop "sig-$T_TAG"
	assert_ok "stop"
	pd logs "sig-$T_TAG"
	assert_contains "$OUT" got-quit "stop sent the image's StopSignal"
	pd rm "sig-$T_TAG"
}

# Many layers: their lowerdir list must fit overlay's one page of options.
test_many_layers() {
	start_registry
	push_image test/many:v1 many
	pd pull -q "$REG/test/many:v1"
	assert_ok "pull of 83 layers"
	assert_eq 83 "$(layer_dirs)" "83 layers extracted"
	pd run --rm "$REG/test/many:v1" 'ls /many | wc -l; cat /data/keep'
	assert_ok "run of 83 layers"
	assert_out $'80\nkeep' "every layer is stacked"
	# Shared layers: removing one image keeps what another uses.
	push_image test/bb:v1
	pd pull -q "$REG/test/bb:v1"
	assert_ok
	assert_eq 83 "$(layer_dirs)" "the three shared layers are stored once"
	pd rmi "$REG/test/many:v1"
	assert_ok "rmi of the many-layer image"
	assert_eq 3 "$(layer_dirs)" "the layers the other image uses are kept"
	pd run --rm "$REG/test/bb:v1" 'cat /data/keep'
	assert_out keep "the other image still runs"
}

test_rmi_in_use_and_layers_freed() {
	start_registry
	push_image test/bb:v1
	pd pull -q "$REG/test/bb:v1"
	assert_ok "pull"
	pd run --name "user-$T_TAG" "$REG/test/bb:v1" 'true'
	assert_ok "run"
	pd rmi "$REG/test/bb:v1"
	assert_exit 125 "rmi of an image in use"
	assert_error_line "rmi of an image in use"
	assert_contains "$ERR" "in use by container user-$T_TAG" "rmi names the container"
	assert_eq 3 "$(layer_dirs)" "layers kept"
	pd rm "user-$T_TAG"
	assert_ok
	pd rmi "$REG/test/bb:v1"
	assert_ok "rmi"
	assert_contains "$OUT" "Untagged: $REG/test/bb:v1" "rmi report"
	assert_contains "$OUT" "Deleted: $CONFIG_DIGEST" "rmi report"
	assert_eq 0 "$(layer_dirs)" "layers freed"
	assert_eq 0 "$(blob_count)" "blobs freed"
	assert_eq 0 "$(short_links)" "short names freed"
	pd images -q
	assert_out "" "no image left"
	pd rmi "$REG/test/bb:v1"
	assert_exit 125 "rmi of an unknown image"
	assert_error_line "rmi of an unknown image"
}

test_rmi_force_untags_image_in_use() {
	start_registry
	push_image test/bb:v1
	pd pull -q "$REG/test/bb:v1"
	pd run -d --name "user-$T_TAG" "$REG/test/bb:v1" 'sleep 30'
	assert_ok "run -d"
	pd rmi -f "$REG/test/bb:v1"
	assert_ok "rmi -f"
	assert_contains "$OUT" "Untagged:" "rmi -f untags"
	assert_eq 3 "$(layer_dirs)" "layers kept for the running container"
	pd images
	assert_contains "$OUT" "<none>" "the image stays, nameless"
	pd exec "user-$T_TAG" cat /data/keep
	assert_out keep "the container still runs on its layers"
	pd rm -f "user-$T_TAG"
	assert_ok
	pd rmi "${CONFIG_DIGEST:7:12}"
	assert_ok "rmi by id once unused"
	assert_eq 0 "$(layer_dirs)" "layers freed"
}

test_pull_url_and_run_by_basename() {
	need_busybox
	mkdir -p "$T_TMP/www"
	cp "$BUSYBOX_TGZ" "$T_TMP/www/bb-$T_TAG.tar.gz"
	start_http "$T_TMP/www"
	local url=http://127.0.0.1:$HTTP_PORT/bb-$T_TAG.tar.gz
	local digest
	digest=sha256:$(sha256sum "$BUSYBOX_TGZ" | cut -d' ' -f1)
	# A stale partial download of this URL (its data and validator from an
	# older run): the server does not honour the range, so the pull starts
	# over and stores only good bytes.
	local key
	key=url-$(printf '%s' "$url" | sha256sum | cut -d' ' -f1)
	mkdir -p "$T_ROOT/images/tmp"
	echo "stale bytes" >"$T_ROOT/images/tmp/$key.partial"
	echo '"stale-etag"' >"$T_ROOT/images/tmp/$key.validator"
	pd pull -q "$url"
	assert_ok "pull URL"
	assert_absent "$T_ROOT/images/tmp/$key.partial" "the stale partial"
	assert_out "$url" "pull -q URL"
	[ -f "$T_ROOT/images/blobs/sha256/${digest#sha256:}" ] || fail "the tarball is stored by its sha256"
	pd run --rm --rootfs "bb-$T_TAG.tar.gz" /bin/echo by-basename
	assert_ok "run --rootfs BASENAME"
	assert_out by-basename
	pd run --rm --rootfs "$url" /bin/echo by-url
	assert_out by-url "run --rootfs URL"
	pd run --rm --rootfs "$digest" /bin/echo by-digest
	assert_out by-digest "run --rootfs DIGEST"
	pd images
	assert_contains "$OUT" "$url" "images lists the URL"
	# 404: a clear error, nothing stored.
	pd pull "http://127.0.0.1:$HTTP_PORT/missing-$T_TAG.tar.gz"
	assert_exit 1 "pull of a 404"
	assert_error_line "pull of a 404"
	assert_contains "$ERR" "404" "the error names the status"
	# Not a tarball: refused, the blob not kept.
	echo "not a tarball" >"$T_TMP/www/junk-$T_TAG.tar.gz"
	pd pull "http://127.0.0.1:$HTTP_PORT/junk-$T_TAG.tar.gz"
	assert_exit 1 "pull of a file that is no tarball"
	assert_error_line "pull of junk"
	assert_eq 1 "$(blob_count)" "only the good tarball is stored"
	assert_eq 1 "$(layer_dirs)" "only the good tarball is extracted"
	pd rmi "bb-$T_TAG.tar.gz"
	assert_ok "rmi by basename"
	assert_eq 0 "$(blob_count)" "rmi frees the tarball"
}

# An interrupted download (the server closes half way) fails the pull but
# keeps the good half with its ETag; the next pull asks only for the rest
# (Range + If-Range) and verifies the whole.
test_pull_url_resumes_after_interruption() {
	need_busybox
	local port
	port=$(free_port)
	cat >"$T_TMP/server.py" <<'PYEOF'
import http.server, re, sys
port, path, log = int(sys.argv[1]), sys.argv[2], sys.argv[3]
data = open(path, "rb").read()
seen = []
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        rng, ifr = self.headers.get("Range"), self.headers.get("If-Range")
        if self.path.endswith(".tar.gz"):
            seen.append(1)
        with open(log, "a") as f:
            f.write(f"{rng} {ifr}\n")
        n = len(data)
        if rng and ifr == '"v1"':
            start = int(re.match(r"bytes=(\d+)-", rng).group(1))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{n - 1}/{n}")
            self.send_header("Content-Length", str(n - start))
            self.send_header("ETag", '"v1"')
            self.end_headers()
            self.wfile.write(data[start:])
            return
        self.send_response(200)
        self.send_header("Content-Length", str(n))
        self.send_header("ETag", '"v1"')
        self.end_headers()
        if len(seen) == 1:
            self.wfile.write(data[: n // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(data)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PYEOF
	python3 "$T_TMP/server.py" "$port" "$BUSYBOX_TGZ" "$T_TMP/requests" &
	HTTP_PID=$!
	_wait_url "http://127.0.0.1:$port/" || fail "the server did not start"
	: >"$T_TMP/requests"
	local url=http://127.0.0.1:$port/bb.tar.gz
	pd pull -q "$url"
	assert_exit 1 "an interrupted pull"
	assert_error_line "an interrupted pull"
	pd images -q
	assert_out "" "nothing recorded after the interruption"
	assert_eq 0 "$(blob_count)" "no blob after the interruption"
	pd pull -q "$url"
	assert_ok "the pull after the interruption"
	assert_match "$(sed -n 2p "$T_TMP/requests")" '^bytes=[1-9][0-9]*- "v1"$' "the second pull asked for the rest only"
	local digest
	digest=$(sha256sum "$BUSYBOX_TGZ" | cut -d' ' -f1)
	[ -f "$T_ROOT/images/blobs/sha256/$digest" ] || fail "the resumed tarball is not stored under its sha256"
	pd run --rm --rootfs bb.tar.gz /bin/echo resumed
	assert_out resumed "run the resumed download"
}

test_pull_file_url() {
	need_busybox
	cp "$BUSYBOX_TGZ" "$T_TMP/file-$T_TAG.tgz"
	pd pull -q "file://$T_TMP/file-$T_TAG.tgz"
	assert_ok "pull file://"
	pd run --rm --rootfs "file-$T_TAG.tgz" /bin/echo from-file
	assert_ok "run the file:// pull by base name"
	assert_out from-file
	pd pull "file://$T_TMP/missing-$T_TAG.tgz"
	assert_exit 1 "pull of a missing file://"
	assert_error_line "pull of a missing file://"
	pd images -q
	assert_eq 1 "$(printf '%s\n' "$OUT" | grep -c .)" "one image"
}

test_digest_mismatch_stores_nothing() {
	start_registry
	push_image test/bb:v1
	# Corrupt the second layer in the registry's storage (same size).
	local hex data
	hex=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["layers"][1]["digest"][7:])' \
		"$T_TMP/oci/blobs/sha256/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"][7:])' "$T_TMP/oci/index.json")")
	data=$REG_DIR/storage/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data
	[ -f "$data" ] || fail "no blob data at $data"
	printf 'X' | dd of="$data" bs=1 seek=20 conv=notrunc status=none
	pd pull "$REG/test/bb:v1"
	assert_exit 1 "pull of a corrupt layer"
	assert_error_line "pull of a corrupt layer"
	assert_contains "$ERR" "digest mismatch" "the error says why"
	pd images -q
	assert_out "" "no image recorded"
	assert_eq 0 "$(layer_dirs)" "no layer extracted"
	[ -e "$T_ROOT/images/blobs/sha256/$hex" ] && fail "the corrupt blob was stored"
	find "$T_ROOT/images/tmp" -name "$hex*" | grep -q . && fail "the corrupt partial was kept"
	true
}

test_unknown_images() {
	start_registry
	pd pull "$REG/test/nothing:v1"
	assert_exit 1 "pull of an unknown repository"
	assert_error_line "pull of an unknown repository"
	assert_contains "$ERR" "not found" "unknown manifest"
	pd run --rm --pull never "nosuch-$T_TAG" true
	assert_exit 125 "run of an unknown image"
	assert_error_line "run of an unknown image"
	assert_contains "$ERR" "no such image" "run of an unknown image"
	pd pull "bad//ref"
	assert_exit 125 "pull of an invalid reference"
	assert_error_line "pull of an invalid reference"
	pd images -q
	assert_out "" "nothing recorded"
}

test_two_pulls_at_once_one_copy() {
	start_registry
	push_image test/bb:v1
	"$PD" --root "$T_ROOT" pull -q "$REG/test/bb:v1" >"$T_TMP/a.out" 2>"$T_TMP/a.err" &
	local a=$!
	"$PD" --root "$T_ROOT" pull -q "$REG/test/bb:v1" >"$T_TMP/b.out" 2>"$T_TMP/b.err" &
	local b=$!
	wait "$a" || fail "first pull failed: $(cat "$T_TMP/a.err")"
	wait "$b" || fail "second pull failed: $(cat "$T_TMP/b.err")"
	assert_eq 3 "$(layer_dirs)" "one extraction per layer"
	assert_eq 4 "$(blob_count)" "one copy of each blob (3 layers, 1 config)"
	pd images -q
	assert_out "${CONFIG_DIGEST:7:12}" "one image"
	find "$T_ROOT/images/tmp" "$T_ROOT/layers" -name '*.partial' -o -name '.tmp-*' | grep -q . &&
		fail "temp files left: $(ls -a "$T_ROOT/images/tmp" "$T_ROOT/layers")"
	true
}

test_images_columns_aligned() {
	# As Docker prints it: each column as wide as its widest cell.
	need_busybox
	pd import --name bb:1.0 "$BUSYBOX_TAR"
	assert_ok
	pd import --name a-much-longer-repository-name/with/several/parts:v2 "$BUSYBOX_TAR"
	assert_ok
	pd images
	assert_ok
	local col line
	col=$(printf '%s\n' "$OUT" | head -n 1 | awk '{print index($0, "TAG")}')
	while IFS= read -r line; do
		case ${line:$((col - 1))} in
		1.0\ * | v2\ *) ;;
		*) fail "tag not under TAG (column $col) in: $line" ;;
		esac
	done < <(printf '%s\n' "$OUT" | tail -n +2)
	pd rmi bb:1.0 a-much-longer-repository-name/with/several/parts:v2
	assert_ok
}

test_import_archives() {
	need_cmd skopeo
	CONFIG_DIGEST=$(make_oci "$T_TMP/oci") || fail "could not build the OCI layout"
	TMPDIR=$T_TMP skopeo copy -q "oci:$T_TMP/oci:v1" "oci-archive:$T_TMP/img-oci.tar:v1" ||
		fail "skopeo copy to oci-archive failed"
	TMPDIR=$T_TMP skopeo copy -q "oci:$T_TMP/oci:v1" "docker-archive:$T_TMP/img-docker.tar:saved/bb:v2" ||
		fail "skopeo copy to docker-archive failed"
	pd import --name oci/bb:v1 "$T_TMP/img-oci.tar"
	assert_ok "import an OCI archive"
	pd run --rm oci/bb:v1 'ls /data /opq'
	assert_ok "run the OCI import"
	assert_contains "$OUT" keep
	assert_not_contains "$OUT" gone "whiteout in the OCI import"
	pd import "$T_TMP/img-docker.tar"
	assert_ok "import a docker save archive"
	pd run --rm saved/bb:v2
	assert_ok "run the docker import by its RepoTags name"
	assert_out $'default-cmd\n/data' "the docker import keeps the config"
	pd import --name plain:1 "$BUSYBOX_TGZ"
	assert_ok "import a rootfs tarball"
	pd run --rm plain:1 /bin/echo plain
	assert_out plain "run the plain import"
	echo junk >"$T_TMP/junk.tar"
	pd import "$T_TMP/junk.tar"
	assert_exit 1 "import of junk"
	assert_error_line "import of junk"
	# Two names for one image: rmi of one only untags it.
	pd import --name second/bb:v9 "$T_TMP/img-oci.tar"
	assert_ok "import under a second name"
	pd rmi second/bb:v9
	assert_ok "rmi of one of two names"
	assert_out "Untagged: second/bb:v9" "only the name goes"
	pd run --rm oci/bb:v1 'cat /data/keep'
	assert_out keep "the image stays under its other name"
	pd images
	assert_not_contains "$OUT" "second/bb" "the name is gone"
	assert_contains "$OUT" "oci/bb" "images after import"
	assert_contains "$OUT" "saved/bb" "images after import"
	assert_contains "$OUT" "plain" "images after import"
}

run_tests "$@"
