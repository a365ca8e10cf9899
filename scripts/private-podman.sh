# Sourced by the tests and benchmarks that run podman: a private podman
# whose every file is under one directory, as docs/oci-runtime-clients.md
# records (its own CONTAINERS_CONF, cgroupfs, no network, the file events
# logger, rlimits this host allows, the JSON log for the runtimes named).
#
#   private_podman_conf DIR DEFAULT_RUNTIME [NAME PATH]...
#
# makes DIR/tmp and DIR/cni and writes DIR/containers.conf; each NAME PATH
# pair registers a runtime (podman passes it --log-format=json too).  The
# caller runs podman as
#   env CONTAINERS_CONF=DIR/containers.conf podman --root DIR/root \
#       --runroot DIR/runroot --tmpdir DIR/tmp --storage-driver overlay
private_podman_conf() {
	local dir=$1 default=$2 names=() runtimes=""
	shift 2
	mkdir -p "$dir/tmp" "$dir/cni"
	while [ $# -ge 2 ]; do
		names+=("\"$1\"")
		runtimes+="$1 = [\"$2\"]"$'\n'
		shift 2
	done
	local json
	json=$(printf '%s, ' '"crun"' '"runc"' '"pocket-runc"' "${names[@]}")
	cat >"$dir/containers.conf" <<CONF
[containers]
# podman 4.3's default rlimits exceed this host's hard limits (runc: "error setting rlimit").
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
netns = "none"
log_driver = "k8s-file"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$dir/tmp/events.log"
tmp_dir = "$dir/tmp"
runtime = "$default"
# --log-format=json --log FILE for these runtimes.
runtime_supports_json = [${json%, }]
[engine.runtimes]
$runtimes[network]
network_config_dir = "$dir/cni"
CONF
}
