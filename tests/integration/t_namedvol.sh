#!/bin/bash
# Named and anonymous volumes: `volume create|ls|inspect|rm|prune`, -v
# NAME:/path, --mount, --volumes-from, an image's Volumes, seeding from the
# image, and that nothing is left behind.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The volumes' directories under the state root (names only).
_vol_dirs() {
	ls -A "$T_ROOT/volumes" 2>/dev/null | tr '\n' ' '
}

test_named_volume_survives_rm_and_is_shared() {
	need_busybox
	pd run --name w --rootfs "$BUSYBOX_DIR" -v "data-$T_TAG:/data" /bin/sh -c 'echo written > /data/f'
	assert_ok "run writing into a new named volume"
	pd run --name r --rootfs "$BUSYBOX_DIR" -v "data-$T_TAG:/data:ro" /bin/sh -c \
		'cat /data/f; if touch /data/x 2>/dev/null; then echo WROTE; else echo DENIED; fi'
	assert_ok
	assert_out $'written\nDENIED' "a second container sees the first's file, read-only"
	pd volume rm "data-$T_TAG"
	assert_exit 125 "volume rm while containers' records use it"
	assert_error_line "volume in use"
	assert_contains "$ERR" "in use" "the refusal says why"
	pd rm w r
	assert_ok
	pd run --rm --rootfs "$BUSYBOX_DIR" -v "data-$T_TAG:/data" /bin/cat /data/f
	assert_ok
	assert_out written "the volume survived the rm of both containers"
	pd volume rm "data-$T_TAG"
	assert_ok "volume rm once unused"
	assert_out "data-$T_TAG"
	pd volume ls -q
	assert_out "" "no volume left"
	assert_eq "" "$(_vol_dirs)" "volumes/ after volume rm"
}

test_volume_commands() {
	pd volume create --label team=blue --label tier "v1-$T_TAG"
	assert_ok
	assert_out "v1-$T_TAG" "create prints the name"
	pd volume create "v1-$T_TAG"
	assert_ok "creating an existing volume again"
	pd volume create --opt type=tmpfs "v1-$T_TAG"
	assert_exit 125 "the same name with other options"
	pd volume create
	assert_ok
	assert_match "$OUT" '^[0-9a-f]{64}$' "a generated name"
	local gen=$OUT
	pd volume ls
	assert_ok
	assert_line "$OUT" "local    v1-$T_TAG" "ls table row"
	pd volume ls -q --filter label=team=blue
	assert_out "v1-$T_TAG" "filter by label"
	pd volume ls -q --filter "name=$T_TAG"
	assert_out "v1-$T_TAG" "filter by name"
	pd volume ls -q --filter dangling=false
	assert_out "" "no volume is used"
	pd volume ls --format '{{.Name}}|{{.Driver}}|{{.Labels}}' --filter label=tier
	assert_out "v1-$T_TAG|local|team=blue,tier=" "ls --format"
	pd volume inspect --format '{{.Mountpoint}} {{.Labels.team}}' "v1-$T_TAG"
	assert_out "$T_ROOT/volumes/v1-$T_TAG/_data blue" "inspect --format"
	[ -d "$T_ROOT/volumes/v1-$T_TAG/_data" ] || fail "the mountpoint inspect names is missing"
	pd volume inspect "v1-$T_TAG"
	assert_ok
	assert_eq "local" "$(python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Driver"])' <<<"$OUT")" "inspect JSON"
	pd volume inspect "nope-$T_TAG"
	assert_exit 125 "inspect of a missing volume"
	pd volume rm "nope-$T_TAG"
	assert_exit 125 "rm of a missing volume"
	pd volume rm -f "nope-$T_TAG"
	assert_ok "rm -f of a missing volume"
	local bad
	for bad in ../x .hidden a/b "" -x "$(printf 'a%.0s' {1..200})"; do
		pd volume create -- "$bad"
		assert_exit 125 "volume name '$bad'"
	done
	pd volume create --opt type=ext4 --opt device=/dev/sda "x-$T_TAG"
	assert_exit 125 "an unsupported driver option"
	pd volume create --opt foo=bar "x-$T_TAG"
	assert_exit 125 "an unknown driver option"
	pd volume prune
	assert_ok
	assert_not_contains "$OUT" "v1-$T_TAG" "prune without -a keeps named volumes"
	pd volume prune -a
	assert_ok
	assert_contains "$OUT" "v1-$T_TAG" "prune -a"
	assert_contains "$OUT" "$gen" "prune -a"
	pd volume ls -q
	assert_out "" "nothing left after prune -a"
	assert_eq "" "$(_vol_dirs)" "volumes/ after prune"
}

test_relative_source_is_a_volume_name() {
	need_busybox
	mkdir "$T_TMP/here"
	cd "$T_TMP/here" || fail "cd"
	mkdir data
	echo host >data/hostfile
	pd run --rm --rootfs "$BUSYBOX_DIR" -v data:/d /bin/ls -A /d
	assert_ok
	assert_out "" "'data' named a new empty volume, not ./data"
	assert_eq "hostfile" "$(ls -A data)" "./data untouched"
	pd volume ls -q
	assert_out "data" "a volume named data"
	pd run --rm --rootfs "$BUSYBOX_DIR" -v ./data:/d /bin/true
	assert_exit 125 "-v ./data (neither absolute nor a name)"
	assert_error_line "-v ./data"
	pd run --rm --rootfs "$BUSYBOX_DIR" -v "../x:/d" /bin/true
	assert_exit 125 "-v ../x"
	pd volume rm data
	assert_ok
}

test_seeded_from_the_rootfs() {
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_DIR" -v "etc-$T_TAG:/etc" /bin/sh -c 'echo mine > /etc/added; cat /etc/passwd | head -1'
	assert_ok
	assert_match "$OUT" '^root:' "the new volume holds the rootfs's /etc"
	[ -f "$T_ROOT/volumes/etc-$T_TAG/_data/passwd" ] || fail "passwd not copied into the volume"
	echo changed >"$T_ROOT/volumes/etc-$T_TAG/_data/passwd"
	pd run --rm --rootfs "$BUSYBOX_DIR" -v "etc-$T_TAG:/etc" /bin/cat /etc/passwd /etc/added
	assert_ok
	assert_out $'changed\nmine' "a volume with content is not seeded again"
	pd run --rm --rootfs "$BUSYBOX_DIR" -v "nc-$T_TAG:/etc:nocopy" /bin/ls -A /etc
	assert_ok
	assert_out "" "nocopy: the volume stays empty"
	pd volume rm "etc-$T_TAG" "nc-$T_TAG"
	assert_ok
}

test_seed_never_follows_links_out() {
	# A rootfs whose /data/link points at a host directory: the link is
	# copied as a link, the host directory's files are not.
	need_busybox
	copy_busybox_rootfs "$T_TMP/rootfs"
	mkdir -p "$T_TMP/rootfs/data" "/tmp/pd-seedhost-$T_TAG"
	echo secret >"/tmp/pd-seedhost-$T_TAG/secret"
	ln -s "/tmp/pd-seedhost-$T_TAG" "$T_TMP/rootfs/data/link"
	ln -s "/tmp/pd-seedhost-$T_TAG" "$T_TMP/rootfs/vol"
	pd run --rm --rootfs "$T_TMP/rootfs" -v "s-$T_TAG:/data" /bin/true
	assert_ok
	[ -L "$T_ROOT/volumes/s-$T_TAG/_data/link" ] || fail "the link was not copied as a link"
	assert_eq "" "$(find "$T_ROOT/volumes/s-$T_TAG/_data" -name secret)" "host file copied through the link"
	# The destination itself a link out of the rootfs: resolved inside it.
	pd run --rm --rootfs "$T_TMP/rootfs" -v "t-$T_TAG:/vol/sub" /bin/true
	assert_ok
	assert_eq "" "$(find "$T_ROOT/volumes/t-$T_TAG/_data" -name secret)" "host directory copied through a destination link"
	pd volume rm "s-$T_TAG" "t-$T_TAG"
	assert_ok
	rm -rf "/tmp/pd-seedhost-$T_TAG"
}

test_mount_forms() {
	need_busybox
	mkdir "$T_TMP/src"
	echo bound >"$T_TMP/src/f"
	pd run --rm --rootfs "$BUSYBOX_DIR" \
		--mount "type=bind,source=$T_TMP/src,target=/b,readonly,bind-propagation=rslave" \
		--mount "type=volume,source=m-$T_TAG,target=/v" \
		--mount "type=volume,target=/anon" \
		--mount "type=tmpfs,target=/t,tmpfs-size=1m" \
		/bin/sh -c 'cat /b/f; touch /b/x 2>/dev/null && echo WROTE; echo v > /v/f; echo a > /anon/f;
			grep " /t " /proc/mounts | cut -d" " -f3; grep " /b " /proc/mounts | grep -c "ro,"'
	assert_ok
	assert_out $'bound\ntmpfs\n1' "bind ro, volume, anonymous volume and tmpfs"
	assert_absent "$T_TMP/src/x" "write through a readonly bind:"
	pd volume ls -q
	assert_out "m-$T_TAG" "the named volume stays, the anonymous one went with --rm"
	local spec
	for spec in "type=bind,target=/x" "type=bind,source=rel,target=/x" "type=volume,source=../x,target=/x" \
		"type=nfs,target=/x" "source=v" "type=tmpfs,source=x,target=/x" "type=bind,source=$T_TMP/src,target=/x,bind-propagation=weird" \
		"type=volume,target=/x,bogus=1" "type=bind,source=$T_TMP/missing-$T_TAG,target=/x"; do
		pd run --rm --rootfs "$BUSYBOX_DIR" --mount "$spec" /bin/true
		assert_exit 125 "--mount '$spec'"
		assert_error_line "--mount '$spec'"
	done
	assert_absent "$T_TMP/missing-$T_TAG" "a missing --mount bind source was created:"
	pd volume rm "m-$T_TAG"
	assert_ok
}

# --mount's fields are its own, never re-read as -v's SRC:DEST text: a
# source and a target may hold ':'; a field in double quotes may hold
# commas (Docker's CSV).
test_mount_paths_with_colons_and_commas() {
	need_busybox
	mkdir "$T_TMP/a:b" "$T_TMP/c,d"
	echo colon >"$T_TMP/a:b/f"
	echo comma >"$T_TMP/c,d/f"
	pd run --rm --rootfs "$BUSYBOX_DIR" \
		--mount "type=bind,source=$T_TMP/a:b,target=/x:y" \
		--mount "type=bind,\"source=$T_TMP/c,d\",\"target=/p,q\",readonly" \
		--mount "type=volume,source=cv-$T_TAG,target=/v:w" \
		/bin/sh -c 'cat /x:y/f "/p,q/f"; echo w > /x:y/new; echo v > /v:w/f; cat /v:w/f'
	assert_ok
	assert_out $'colon\ncomma\nv' "binds and a volume at paths with ':' and ','"
	assert_file_content "$T_TMP/a:b/new" "w" "a write through the bind with ':' in its source"
	pd volume rm "cv-$T_TAG"
	assert_ok
	pd run --rm --rootfs "$BUSYBOX_DIR" --mount "type=bind,source=\"$T_TMP/c,d\",target=/x" /bin/true
	assert_exit 125 "a quote inside an unquoted --mount field"
	assert_error_line "a quote inside an unquoted --mount field"
}

# "-v /path" alone: an anonymous volume at /path, as Docker's (and as
# --mount target=/path): kept across starts, removed by rm -v and --rm,
# kept by a plain rm.
test_v_path_alone_is_anonymous() {
	need_busybox
	pd run --name av --rootfs "$BUSYBOX_DIR" -v /data /bin/sh -c 'echo kept > /data/f; grep -c " /data " /proc/mounts'
	assert_ok
	assert_out 1 "a mount at /data"
	pd volume ls -q --filter label=com.docker.volume.anonymous
	assert_match "$OUT" '^[0-9a-f]{64}$' "one anonymous volume"
	local anon=$OUT
	pd start -a av
	pd run --rm --volumes-from av --rootfs "$BUSYBOX_DIR" /bin/cat /data/f
	assert_ok
	assert_out kept "the volume holds the first run's file"
	pd rm -v av
	assert_ok
	pd volume ls -q
	assert_out "" "rm -v removed the anonymous volume $anon"
	pd run --rm --rootfs "$BUSYBOX_DIR" -v /tmp/x /bin/sh -c 'echo y > /tmp/x/f; cat /tmp/x/f'
	assert_ok
	assert_out y "an anonymous volume of a --rm run"
	pd volume ls -q
	assert_out "" "--rm removed the anonymous volume"
	pd run --name av2 --rootfs "$BUSYBOX_DIR" -v /data /bin/true
	assert_ok
	pd rm av2
	assert_ok
	pd volume ls -q
	assert_match "$OUT" '^[0-9a-f]{64}$' "rm without -v keeps it"
	pd volume rm "$OUT"
	assert_ok
	local spec
	for spec in / /a/../b data; do
		pd run --rm --rootfs "$BUSYBOX_DIR" -v "$spec" /bin/true
		assert_exit 125 "-v '$spec'"
		assert_error_line "-v '$spec'"
	done
	assert_eq "" "$(_vol_dirs)" "volumes/ at the end"
}

test_tmpfs_and_bind_volumes() {
	need_busybox
	pd volume create --opt type=tmpfs --opt o=size=2m "tm-$T_TAG"
	assert_ok
	pd run --rm --rootfs "$BUSYBOX_DIR" -v "tm-$T_TAG:/t" /bin/sh -c 'grep " /t " /proc/mounts | cut -d" " -f3; echo x > /t/f'
	assert_ok
	assert_out tmpfs "a tmpfs volume mounts a tmpfs"
	assert_eq "" "$(ls -A "$T_ROOT/volumes/tm-$T_TAG/_data")" "nothing of a tmpfs volume on disk"
	mkdir "$T_TMP/dev"
	pd volume create --opt type=none --opt "device=$T_TMP/dev" --opt o=bind "bd-$T_TAG"
	assert_ok
	pd run --rm --rootfs "$BUSYBOX_DIR" -v "bd-$T_TAG:/d" /bin/sh -c 'echo via-volume > /d/f'
	assert_ok
	assert_file_content "$T_TMP/dev/f" via-volume "a bind volume writes to its device"
	pd volume create --opt type=none --opt "device=$T_ROOT" --opt o=bind "bad-$T_TAG"
	assert_exit 125 "a bind volume of the state root"
	pd volume rm "tm-$T_TAG" "bd-$T_TAG"
	assert_ok
	[ -f "$T_TMP/dev/f" ] || fail "removing a bind volume removed its device's files"
}

_make_volume_image() {
	# An OCI archive of busybox plus two layers (with a whiteout and an
	# opaque directory under /data) whose config declares Volumes /data.
	python3 - "$T_TMP/oci" "$BUSYBOX_TAR" <<'PY'
import gzip, hashlib, io, json, os, platform, sys, tarfile
out, bb = sys.argv[1], sys.argv[2]
os.makedirs(out + "/blobs/sha256", exist_ok=True)
def blob(data):
    d = hashlib.sha256(data).hexdigest()
    open(f"{out}/blobs/sha256/{d}", "wb").write(data)
    return "sha256:" + d, len(data)
def layer(entries):
    buf = io.BytesIO()
    tf = tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT)
    for name, data in entries:
        ti = tarfile.TarInfo(name)
        if data is None:
            ti.type, ti.mode = tarfile.DIRTYPE, 0o750
            ti.uid = ti.gid = 1234
            tf.addfile(ti)
        else:
            ti.size, ti.mode = len(data), 0o644
            tf.addfile(ti, io.BytesIO(data))
    tf.close()
    return buf.getvalue()
raws = [open(bb, "rb").read(),
        layer([("data", None), ("data/keep", b"keep\n"), ("data/gone", b"gone\n"), ("data/opq", None), ("data/opq/old", b"old\n")]),
        layer([("data", None), ("data/.wh.gone", b""), ("data/opq", None), ("data/opq/.wh..wh..opq", b""), ("data/opq/new", b"new\n")])]
descs, diff_ids = [], []
for raw in raws:
    diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
    d, n = blob(gzip.compress(raw, mtime=0))
    descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": n})
arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
cfg = {"architecture": arch, "os": "linux", "config": {"Cmd": ["/bin/sh"], "Volumes": {"/data": {}, "../bad": {}}},
       "rootfs": {"type": "layers", "diff_ids": diff_ids}}
cd, cn = blob(json.dumps(cfg).encode())
man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
       "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn}, "layers": descs}
md, mn = blob(json.dumps(man).encode())
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": man["mediaType"], "digest": md, "size": mn,
           "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}, open(out + "/index.json", "w"))
json.dump({"imageLayoutVersion": "1.0.0"}, open(out + "/oci-layout", "w"))
PY
	tar -cf "$T_TMP/img.tar" -C "$T_TMP/oci" . || fail "tar of the OCI layout"
	if [ -n "${1:-}" ]; then
		pd_as "$1" import --name "volimg:v1" "$T_TMP/img.tar"
	else
		pd import --name "volimg:v1" "$T_TMP/img.tar"
	fi
	assert_ok "import the image"
}

# A rootless user's named volume: made by `volume create` and by a run,
# seeded from the image with the owner and mode the container sees at the
# image's /data, written by root and by another user inside (a subordinate
# id outside), kept across runs, and removed by `volume rm` even where the
# user itself could not enter (a directory only the subordinate id may).
test_rootless_named_volume() {
	need_busybox
	rootless_prepare pdtest yes
	_make_volume_image pdtest
	pd_as pdtest run --rm volimg:v1 /bin/sh -c 'stat -c "%u:%g %a" /data'
	assert_ok
	local image_view=$OUT
	pd_as pdtest volume create "rv-$T_TAG"
	assert_ok
	assert_out "rv-$T_TAG" "volume create, rootless"
	pd_as pdtest run --rm -v "rv-$T_TAG:/data" volimg:v1 /bin/sh -c \
		'stat -c "%u:%g %a" /data; ls /data; echo root > /data/by-root; stat -c %u /data/by-root
		mkdir -m 700 /data/u; chown 1234:1234 /data/u; chmod 755 /data'
	assert_ok
	assert_out "$image_view"$'\nkeep\nopq\n0' "the volume seeded as the container sees the image's /data"
	pd_as pdtest run --rm --user 1234:1234 -v "rv-$T_TAG:/data" volimg:v1 /bin/sh -c \
		'echo user > /data/u/by-user; stat -c "%u:%g" /data/u/by-user; cat /data/by-root'
	assert_ok
	assert_out $'1234:1234\nroot' "another user writes to its directory in the volume, kept across runs"
	local data
	data=$(ls -d "$T_ROOT"/volumes/"rv-$T_TAG"/_data)
	assert_eq "$(id -u pdtest)" "$(stat -c %u "$data/by-root")" "root's file, outside"
	[ "$(stat -c %u "$data/u")" != "$(id -u pdtest)" ] && [ "$(stat -c %u "$data/u")" != 0 ] ||
		fail "uid 1234's directory is not a subordinate id outside: $(stat -c %u "$data/u")"
	pd_as pdtest run --rm -v "auto-$T_TAG:/data" volimg:v1 /bin/sh -c 'stat -c "%u:%g %a" /data; cat /data/keep'
	assert_ok
	assert_out "$image_view"$'\nkeep' "a volume a rootless run makes"
	pd_as pdtest volume ls -q
	assert_ok
	assert_eq "auto-$T_TAG rv-$T_TAG" "$(printf '%s\n' "$OUT" | sort | tr '\n' ' ' | sed 's/ $//')" "the user's volumes"
	pd_as pdtest volume rm "rv-$T_TAG" "auto-$T_TAG"
	assert_ok
	pd_as pdtest volume ls -q
	assert_out "" "no volume left"
	assert_eq "" "$(_vol_dirs)" "volumes/ after volume rm"
	pd_as pdtest rmi volimg:v1
	assert_ok
}

test_image_volumes_are_anonymous_and_seeded() {
	need_busybox
	_make_volume_image
	pd run --name iv volimg:v1 /bin/sh -c 'ls /data; ls /data/opq; stat -c "%u %a" /data; echo new > /data/made'
	assert_ok
	assert_out $'keep\nopq\nnew\n1234 750' "seeded with the image's merged /data (whiteout, opaque, owner, mode)"
	pd volume ls -q
	assert_match "$OUT" '^[0-9a-f]{64}$' "one anonymous volume"
	local anon=$OUT
	pd volume ls -q --filter label=com.docker.volume.anonymous
	assert_out "$anon" "marked anonymous as Docker marks it"
	pd start -a iv
	pd run --rm --volumes-from iv --rootfs "$BUSYBOX_DIR" /bin/cat /data/made
	assert_ok
	assert_out new "--volumes-from sees the image volume, kept across the start"
	pd volume prune
	assert_ok
	assert_not_contains "$OUT" "$anon" "prune keeps a volume a record uses"
	pd rm -v iv
	assert_ok
	pd volume ls -q
	assert_out "" "rm -v removed the anonymous volume"
	pd run --name iv2 volimg:v1 /bin/true
	assert_ok
	pd rm iv2
	pd volume ls -q
	assert_match "$OUT" '^[0-9a-f]{64}$' "rm without -v keeps it"
	anon=$OUT
	pd volume prune
	assert_ok
	assert_contains "$OUT" "$anon" "prune lists the volume it removed"
	pd volume ls -q
	assert_out "" "prune removed the unused anonymous volume"
	assert_eq "" "$(_vol_dirs)" "volumes/ at the end"
	pd rmi volimg:v1
}

_make_layered_save() {
	# _make_layered_save OUT TAG LAYERS_JSON: a `docker save` archive of
	# busybox plus one layer per element of LAYERS_JSON, each a list of
	# [name, content] entries (content null: a directory; a list: a link).
	python3 - "$1" "$BUSYBOX_TAR" "$2" "$3" <<'PY'
import hashlib, io, json, sys, tarfile
out, bb, tag, spec = sys.argv[1:5]
def layer(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in entries:
            ti = tarfile.TarInfo(name)
            if data is None:
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                tf.addfile(ti)
            elif isinstance(data, list):
                ti.type, ti.linkname = tarfile.SYMTYPE, data[0]
                tf.addfile(ti)
            else:
                ti.size, ti.mode = len(data), 0o644
                tf.addfile(ti, io.BytesIO(data.encode()))
    return buf.getvalue()
raws = [open(bb, "rb").read()] + [layer(l) for l in json.loads(spec)]
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]},
                  "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(r).hexdigest() for r in raws]}}).encode()
name = hashlib.sha256(cfg).hexdigest() + ".json"
files = [(f"l{i}/layer.tar", r) for i, r in enumerate(raws)]
man = json.dumps([{"Config": name, "RepoTags": [tag], "Layers": [n for n, _ in files]}]).encode()
with tarfile.open(out, "w") as tf:
    for n, data in [("manifest.json", man), (name, cfg)] + files:
        ti = tarfile.TarInfo(n)
        ti.size, ti.mtime = len(data), 0
        tf.addfile(ti, io.BytesIO(data))
PY
}

test_seed_stops_at_a_higher_layers_whiteout() {
	# Layer 1 has /data/secret, layer 2 deletes /data, layer 3 makes /data
	# again (not opaque): the container sees no secret, nor may the volume.
	need_busybox
	_make_layered_save "$T_TMP/wh.tar" "whimg:v1" \
		'[[["data",null],["data/secret","s\n"]], [[".wh.data",""]], [["data",null],["data/new","n\n"]]]'
	pd import "$T_TMP/wh.tar"
	assert_ok "import the whiteout image"
	pd run --rm -v "wh-$T_TAG:/data" whimg:v1 /bin/ls /data
	assert_ok
	assert_out "new" "the container sees only the top layer's /data"
	assert_eq "new" "$(ls "$T_ROOT/volumes/wh-$T_TAG/_data")" "the volume has only the top layer's /data"
	pd volume rm "wh-$T_TAG"
	assert_ok
	pd rmi whimg:v1
}

test_seed_stops_at_an_opaque_directory() {
	# Layer 2 marks /data opaque and adds /data/sub/x: /data/sub, the
	# volume's destination, has only x (an opaque parent hides the layers
	# below as much as an opaque destination does).
	need_busybox
	_make_layered_save "$T_TMP/opq.tar" "opqimg:v1" \
		'[[["data",null],["data/secret","s\n"],["data/sub",null],["data/sub/deep","d\n"]], [["data",null],["data/.wh..wh..opq",""],["data/sub",null],["data/sub/x","x\n"]]]'
	pd import "$T_TMP/opq.tar"
	assert_ok "import the opaque image"
	pd run --rm -v "opq-$T_TAG:/data/sub" -v "opd-$T_TAG:/data" opqimg:v1 /bin/ls /data /data/sub
	assert_ok
	assert_out $'/data:\nsub\n\n/data/sub:\nx' "the container sees only sub and x"
	assert_eq "x" "$(ls "$T_ROOT/volumes/opq-$T_TAG/_data")" "the volume at /data/sub has only x"
	assert_eq "sub" "$(ls "$T_ROOT/volumes/opd-$T_TAG/_data")" "the volume at /data has only sub"
	pd volume rm "opq-$T_TAG" "opd-$T_TAG"
	assert_ok
	pd rmi opqimg:v1
}

test_seed_follows_a_link_across_layers() {
	# Layer 1 has /real/f, layer 2 adds /vol -> /real: the volume at
	# /vol is mounted on /real, so it is seeded with the merged /real.
	need_busybox
	_make_layered_save "$T_TMP/ln.tar" "lnimg:v1" \
		'[[["real",null],["real/f","f\n"]], [["vol",["/real"]]]]'
	pd import "$T_TMP/ln.tar"
	assert_ok "import the link image"
	pd run --rm -v "ln-$T_TAG:/vol" lnimg:v1 /bin/ls /vol
	assert_ok
	assert_out "f" "the container sees /real through /vol"
	assert_eq "f" "$(ls "$T_ROOT/volumes/ln-$T_TAG/_data")" "the volume was seeded through the link in another layer"
	pd volume rm "ln-$T_TAG"
	assert_ok
	pd rmi lnimg:v1
}

test_volumes_from() {
	need_busybox
	mkdir "$T_TMP/h"
	pd run --name src --rootfs "$BUSYBOX_DIR" -v "vf-$T_TAG:/v" -v "$T_TMP/h:/h" /bin/sh -c 'echo one > /v/f'
	assert_ok
	pd run --rm --volumes-from src:ro --rootfs "$BUSYBOX_DIR" /bin/sh -c \
		'cat /v/f; echo host > /h/g 2>/dev/null || echo DENIED'
	assert_ok
	assert_out $'one\nDENIED' "--volumes-from CONTAINER:ro"
	pd run --rm --volumes-from "nope-$T_TAG" --rootfs "$BUSYBOX_DIR" /bin/true
	assert_exit 125 "--volumes-from a missing container"
	pd rm src
	pd volume rm "vf-$T_TAG"
	assert_ok
}

test_parallel_runs_create_one_volume() {
	need_busybox
	local i
	for i in 1 2 3 4; do
		"$PD" --root "$T_ROOT" run --rm --rootfs "$BUSYBOX_DIR" -v "par-$T_TAG:/etc" /bin/sh -c "echo $i > /etc/run$i" \
			>"$T_TMP/out$i" 2>&1 &
	done
	wait
	for i in 1 2 3 4; do
		[ -s "$T_TMP/out$i" ] && fail "parallel run $i printed: $(cat "$T_TMP/out$i")"
		assert_file_content "$T_ROOT/volumes/par-$T_TAG/_data/run$i" "$i" "parallel run $i's file"
	done
	pd volume ls -q
	assert_out "par-$T_TAG" "one volume"
	pd volume rm "par-$T_TAG"
	assert_ok
}

test_rm_refused_then_forced_container_rm() {
	need_busybox
	pd run -d --name busy --rootfs "$BUSYBOX_DIR" -v "busy-$T_TAG:/v" /bin/sleep 60
	assert_ok
	pd volume rm -f "busy-$T_TAG"
	assert_exit 125 "volume rm -f of a volume a running container uses"
	assert_contains "$ERR" "${OUT:0:12}" "the refusal names the container"
	pd rm -f busy
	assert_ok
	pd volume rm "busy-$T_TAG"
	assert_ok
}

run_tests "$@"
