#!/bin/bash
# Rootless image layers keep the owners the image records: an unprivileged
# user with a subordinate range extracts each layer inside a user namespace
# with its container map (layers/<hex>-subids), so a rootless container sees
# the image's ids; without a range everything is the user's (layers/<hex>-
# rootless, uid 0 inside).  rmi removes what the user could not enter.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# _make_owner_archive OUT: a `docker save` archive, tag ownimg:v1, of the
# busybox layer and a layer with /data 1234:1234 0750 (a file 0640 in it)
# and /sg 0:1234 2775 (setgid).
_make_owner_archive() {
	python3 - "$1" "$BUSYBOX_TAR" <<'EOF' || fail "cannot make the archive"
import hashlib, io, json, sys, tarfile
out, bb = sys.argv[1:3]
def layer(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data, uid, gid, mode in entries:
            ti = tarfile.TarInfo(name)
            ti.uid, ti.gid, ti.mode, ti.mtime = uid, gid, mode, 0
            if data is None:
                ti.type = tarfile.DIRTYPE
                tf.addfile(ti)
            else:
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()
raws = [open(bb, "rb").read(),
        layer([("data", None, 1234, 1234, 0o750), ("data/f", b"secret\n", 1234, 1234, 0o640),
               ("sg", None, 0, 1234, 0o2775)])]
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]},
                  "rootfs": {"type": "layers",
                             "diff_ids": ["sha256:" + hashlib.sha256(r).hexdigest() for r in raws]}}).encode()
name = hashlib.sha256(cfg).hexdigest() + ".json"
files = [(name, cfg)] + [("l%d/layer.tar" % i, r) for i, r in enumerate(raws)]
man = json.dumps([{"Config": name, "RepoTags": ["ownimg:v1"],
                   "Layers": ["l%d/layer.tar" % i for i in range(len(raws))]}]).encode()
with tarfile.open(out, "w") as tf:
    for n, data in [("manifest.json", man)] + files:
        ti = tarfile.TarInfo(n)
        ti.size, ti.mtime = len(data), 0
        tf.addfile(ti, io.BytesIO(data))
EOF
	chmod 0644 "$1"
}

# Layer directories under the state root (short names' l/ aside).
_layer_dirs() {
	find "$T_ROOT/layers" -mindepth 1 -maxdepth 1 ! -name l -printf '%f\n' 2>/dev/null | LC_ALL=C sort
}

_sub_start() { # _sub_start USER: the first subordinate uid of USER
	awk -F: -v u="$1" '$1 == u {print $2; exit}' /etc/subuid
}

test_rootless_layers_keep_image_owners() {
	need_busybox
	rootless_prepare pdtest yes
	_make_owner_archive "$T_TMP/own.tar"
	pd_as pdtest load -i "$T_TMP/own.tar"
	assert_ok "rootless load"
	pd_as pdtest run --rm ownimg:v1 /bin/sh -c 'stat -c "%u:%g %a" /data /data/f /sg; cat /data/f'
	assert_ok "rootless run"
	assert_out $'1234:1234 750\n1234:1234 640\n0:1234 2775\nsecret' "the image's owners and modes, inside"
	# On disk: the host ids the container's map turns into 1234 (the
	# range's first id is the container's uid 1).
	local sub top
	sub=$(_sub_start pdtest)
	top=$(ls -d "$T_ROOT"/layers/*-subids/data 2>/dev/null | head -n 1)
	[ -n "$top" ] || fail "no -subids layer holds /data: $(_layer_dirs | tr '\n' ' ')"
	assert_eq "$((sub + 1233)):$((sub + 1233))" "$(stat -c %u:%g "$top")" "/data's owner on disk"
	# A named volume seeded from /data keeps its owner.
	pd_as pdtest run --rm -v "own-$T_TAG:/data" ownimg:v1 /bin/sh -c 'stat -c "%u:%g %a" /data; cat /data/f'
	assert_ok
	assert_out $'1234:1234 750\nsecret' "a named volume seeded from the image's /data"
	pd_as pdtest volume rm "own-$T_TAG"
	assert_ok
	# diff of a write under /data, which copies up a directory only uid
	# 1234 may enter: diff walks it inside the user's user namespace.
	pd_as pdtest run --name c2 ownimg:v1 /bin/sh -c 'echo h > /data/h'
	assert_ok
	pd_as pdtest diff c2
	assert_ok "rootless diff of a copied-up directory only uid 1234 may enter"
	assert_out $'C /data\nA /data/h' "diff under /data"
	pd_as pdtest rm c2
	assert_ok
	# diff, cp and commit of a rootless container over the -subids layers.
	pd_as pdtest run --name c1 ownimg:v1 /bin/sh -c 'echo more > /g; chown 1234:1234 /g'
	assert_ok
	pd_as pdtest diff c1
	assert_ok "rootless diff"
	assert_out "A /g" "diff over the -subids layers"
	mkdir "$T_TMP/out" && chown pdtest: "$T_TMP/out"
	pd_as pdtest cp c1:/data/f "$T_TMP/out/f"
	assert_ok "rootless cp out of a directory only uid 1234 may enter"
	assert_file_content "$T_TMP/out/f" secret
	pd_as pdtest commit c1 ownimg:v2
	assert_ok "rootless commit"
	pd_as pdtest rm c1
	assert_ok
	pd_as pdtest run --rm ownimg:v2 /bin/sh -c 'stat -c "%u:%g %a" /data /g'
	assert_ok
	assert_out $'1234:1234 750\n1234:1234 644' "the committed image, rootless"
	pd_as pdtest system df
	assert_ok "system df over -subids layers"
	pd_as pdtest rmi ownimg:v2
	assert_ok "rootless rmi of layers with subordinate owners"
	pd_as pdtest image prune -a -f
	assert_ok "rootless image prune"
	assert_eq "" "$(_layer_dirs)" "layers/ after rmi and prune"
}

# A layer extracted the old way (layers/<hex>-rootless, everything the
# user's) is not used by a user with a range: it is extracted again, and
# rmi removes both.
test_old_rootless_layers_are_not_used() {
	need_busybox
	rootless_prepare pdtest yes
	_make_owner_archive "$T_TMP/own.tar"
	pd_as pdtest load -i "$T_TMP/own.tar"
	assert_ok
	local d
	for d in "$T_ROOT"/layers/*-subids; do
		mv "$d" "${d%-subids}-rootless" || fail "rename $d"
		chown -R pdtest:pdtest "${d%-subids}-rootless"
	done
	rm -f "$T_ROOT"/layers/l/*
	pd_as pdtest run --rm ownimg:v1 /bin/sh -c 'stat -c "%u:%g %a" /data'
	assert_ok
	assert_out "1234:1234 750" "extracted again, with the image's owners"
	assert_eq 2 "$(_layer_dirs | grep -c -- '-subids$')" "both layers extracted again"
	pd_as pdtest rmi ownimg:v1
	assert_ok
	assert_eq "" "$(_layer_dirs)" "layers/ after rmi (old and new extractions)"
}

# Without a subordinate range nothing changes: the user owns every file,
# uid 0 inside.
test_rootless_layers_without_range() {
	need_busybox
	rootless_prepare pdtest-nosub no
	_make_owner_archive "$T_TMP/own.tar"
	pd_as pdtest-nosub load -i "$T_TMP/own.tar"
	assert_ok "load without a range"
	pd_as pdtest-nosub run --rm ownimg:v1 /bin/sh -c 'stat -c "%u:%g %a" /data /data/f; cat /data/f'
	assert_ok "run without a range"
	assert_out $'0:0 750\n0:0 640\nsecret' "everything the user's (0 inside)"
	assert_eq 2 "$(_layer_dirs | grep -c -- '-rootless$')" "the -rootless extraction"
	pd_as pdtest-nosub rmi ownimg:v1
	assert_ok
	assert_eq "" "$(_layer_dirs)" "layers/ after rmi"
}

run_tests "$@"
