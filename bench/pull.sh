#!/bin/bash
# Pull of one multi-layer image from a registry on loopback (Debian's
# docker-registry on 127.0.0.1, fed by skopeo): pocket-docker pull against
# skopeo copy (to an OCI layout: download and verify only, no extraction)
# and podman pull (download, verify, extract into its overlay store), each
# cold (empty store) and warm (the image already there: what a second pull
# costs).
#
# The image: the busybox rootfs, the python rootfs when its fixture is
# built (build/fixtures/python.tar), and two small layers, gzip-compressed.
#
# Must run as root.  Knobs: BENCH_PULL_RUNS (runs per command, default 10;
# quick 3), BENCH_QUICK, PD_BIN (the binary), BENCH_MD (where the markdown
# section goes; default build/bench/pull.md, not BENCHMARKS.md).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${BENCH_PULL_RUNS:-$(qv 10 3)}
MD=${BENCH_MD:-$BENCH_OUT/pull.md}
[ "$(id -u)" = 0 ] || die "run as root"
need_pkgs hyperfine docker-registry skopeo python3 busybox-static
mkdir -p "$BENCH_OUT"

TMP=$(mktemp -d /tmp/pd-bench-pull.XXXXXX)
REG_PID=""
cleanup() {
	set +e
	if [ -n "$REG_PID" ]; then
		kill "$REG_PID" 2>/dev/null
		wait "$REG_PID" 2>/dev/null
	fi
	if command -v podman >/dev/null; then
		podman --root "$TMP/podroot" --runroot "$TMP/podrun" rmi -a -f >/dev/null 2>&1 || true
		umount -R "$TMP/podroot/overlay" 2>/dev/null || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

FIX=$REPO/build/fixtures
[ -f "$FIX/busybox.tar" ] || bash "$REPO/tests/fixtures/mk-busybox.sh" "$FIX" >/dev/null
LAYERS=("$FIX/busybox.tar")
[ -f "$FIX/python.tar" ] && LAYERS+=("$FIX/python.tar")

# The OCI layout.
python3 - "$TMP/oci" "${LAYERS[@]}" <<'EOF'
import gzip, hashlib, io, json, os, platform, sys, tarfile
out, tars = sys.argv[1], sys.argv[2:]
os.makedirs(out + "/blobs/sha256")
def blob(data):
    d = hashlib.sha256(data).hexdigest()
    open(f"{out}/blobs/sha256/{d}", "wb").write(data)
    return "sha256:" + d, len(data)
def small(i):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        data = (f"layer {i}\n" * 1000).encode()
        ti = tarfile.TarInfo(f"etc/bench-{i}")
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()
raws = [open(t, "rb").read() for t in tars] + [small(1), small(2)]
descs, diffs = [], []
for r in raws:
    diffs.append("sha256:" + hashlib.sha256(r).hexdigest())
    d, n = blob(gzip.compress(r, compresslevel=6, mtime=0))
    descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": n})
arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
cfg = {"architecture": arch, "os": "linux", "config": {"Cmd": ["/bin/sh"]},
       "rootfs": {"type": "layers", "diff_ids": diffs}}
cd, cn = blob(json.dumps(cfg).encode())
m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
     "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
     "layers": descs}
md, mn = blob(json.dumps(m).encode())
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": m["mediaType"], "digest": md, "size": mn,
           "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}, open(out + "/index.json", "w"))
open(out + "/oci-layout", "w").write('{"imageLayoutVersion": "1.0.0"}')
print(f"{len(raws)} layers, {sum(d['size'] for d in descs) / 1e6:.1f} MB compressed, "
      f"{sum(len(r) for r in raws) / 1e6:.1f} MB uncompressed", file=sys.stderr)
EOF

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$TMP/reg"
cat >"$TMP/reg/config.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $TMP/reg/storage
http:
  addr: 127.0.0.1:$PORT
EOF
docker-registry serve "$TMP/reg/config.yml" >"$TMP/reg/log" 2>&1 &
REG_PID=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/v2/" && break; sleep 0.1; done
REF=127.0.0.1:$PORT/bench/img:v1
TMPDIR=$TMP skopeo copy -q --dest-tls-verify=false "oci:$TMP/oci:v1" "docker://$REF"

PDS="$PD --root $TMP/pd"
CMDS=(
	-n "pocket-docker pull (cold)" --prepare "rm -rf $TMP/pd" "$PDS pull -q $REF"
	-n "skopeo copy to oci: (cold)" --prepare "rm -rf $TMP/sk" "skopeo copy -q --src-tls-verify=false docker://$REF oci:$TMP/sk:v1"
)
PODMAN_NOTE=""
if command -v podman >/dev/null &&
	podman --root "$TMP/podroot" --runroot "$TMP/podrun" pull -q --tls-verify=false "$REF" >/dev/null 2>&1; then
	POD="podman --root $TMP/podroot --runroot $TMP/podrun"
	CMDS+=(-n "podman pull (cold)" --prepare "$POD rmi -a -f" "$POD pull -q --tls-verify=false $REF")
else
	PODMAN_NOTE="podman pull: SKIP (podman missing or cannot pull here)"
fi
log "cold pulls, $RUNS runs each"
hyperfine -N -w 1 -r "$RUNS" --export-json "$BENCH_OUT/pull-cold.json" --export-markdown "$TMP/cold.md" \
	"${CMDS[@]}" >&2

# Warm: the image is already there.
$PDS pull -q "$REF" >/dev/null
skopeo copy -q --src-tls-verify=false "docker://$REF" "oci:$TMP/sk:v1"
WARM=(
	-n "pocket-docker pull (warm)" "$PDS pull -q $REF"
	-n "skopeo copy to oci: (warm)" "skopeo copy -q --src-tls-verify=false docker://$REF oci:$TMP/sk:v1"
)
[ -z "$PODMAN_NOTE" ] && WARM+=(-n "podman pull (warm)" "$POD pull -q --tls-verify=false $REF")
log "warm pulls, $((RUNS * 2)) runs each"
hyperfine -N -w 2 -r "$((RUNS * 2))" --export-json "$BENCH_OUT/pull-warm.json" --export-markdown "$TMP/warm.md" \
	"${WARM[@]}" >&2

{
	echo "## Pull from a loopback registry"
	echo
	machine_info
	echo "- skopeo: $(tool_version skopeo --version)"
	[ -z "$PODMAN_NOTE" ] && echo "- podman: $(tool_version podman --version)"
	echo
	echo "Cold (empty store):"
	echo
	cat "$TMP/cold.md"
	echo
	echo "Warm (the image already stored; pocket-docker checks the manifest only):"
	echo
	cat "$TMP/warm.md"
	if [ -n "$PODMAN_NOTE" ]; then
		echo
		echo "$PODMAN_NOTE"
	fi
} | tee "$MD"
