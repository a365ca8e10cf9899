#!/bin/bash
# What networking adds to `run --rm /bin/true`: pocket-docker without a
# network of its own (loopback only, the default), with --network bridge
# (bridge, veth pair, lease, nft table), and with one published port (+ the
# DNAT rules going in and out); podman on the same busybox tarball with
# --network none and --network bridge, when podman is installable (a visible
# SKIP otherwise).
#
# Must run as root.  Knobs: BENCH_NET_RUNS (runs per command, default 40;
# quick 10), BENCH_QUICK, BENCH_VERBOSE, BENCH_MD (the markdown file the
# section goes to; default build/bench/network.md, not BENCHMARKS.md).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
enter_private_ns "$@"

RUNS=${BENCH_NET_RUNS:-$(qv 40 10)}
PORT=${BENCH_NET_PORT:-18180}
MD=${BENCH_MD:-$BENCH_OUT/network.md}

need_pkgs hyperfine busybox-static python3 iproute2 nftables
bench_begin network
prepare_busybox "$TMP"
: >"$TMP/skipped"
[ -e "$MD" ] || : >"$MD"

# podman's bridge: its own network config under $TMP; the bridge link and
# the iptables-nft tables its CNI plugins make on the host go when we are
# done (only those that were not there before).
PODMAN_BRIDGE_LINKS=$(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort)
NFT_TABLES_BEFORE=$(nft list tables 2>/dev/null | sort || true)
podman_net_cleanup() {
	local l t
	for l in $(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort |
		comm -13 <(printf '%s\n' "$PODMAN_BRIDGE_LINKS") - | grep -E '^(cni-)?podman[0-9]+$'); do
		ip link del "$l" 2>/dev/null || true
	done
	command -v nft >/dev/null || return 0
	nft list tables 2>/dev/null | sort | comm -13 <(printf '%s\n' "$NFT_TABLES_BEFORE") - |
		while read -r t; do
			case $t in
			"table ip nat" | "table ip filter" | "table ip6 nat" | "table ip6 filter") nft delete ${t} ;;
			esac
		done
}
if podman_setup "$FIX_TAR"; then
	on_exit podman_net_cleanup
	PODMAN_BRIDGE_RUN=${PODMAN_RUN/--network none/--network bridge}
else
	PODMAN_BRIDGE_RUN=
fi

set --
ROWS=()
if [ -n "$PD" ]; then
	base="$PD --root $STATE run --rm --rootfs $FIX_DIR"
	works pd-none "$base /bin/true" &&
		set -- "$@" pd-none "$base /bin/true"
	works pd-bridge "$base --network bridge /bin/true" &&
		set -- "$@" pd-bridge "$base --network bridge /bin/true"
	works pd-publish "$base -p $PORT:80 /bin/true" &&
		set -- "$@" pd-publish "$base -p $PORT:80 /bin/true"
fi
ROWS+=(--row "pd-none|pocket-docker run --rm /bin/true (loopback only)")
ROWS+=(--row "pd-bridge|pocket-docker run --rm --network bridge /bin/true")
ROWS+=(--row "pd-publish|pocket-docker run --rm -p $PORT:80 /bin/true (bridge + DNAT rules)")
ROWS+=(--row "podman-none|podman run --rm --network none /bin/true")
ROWS+=(--row "podman-bridge|podman run --rm --network bridge /bin/true")
if [ "$PODMAN_OK" = 1 ]; then
	pcmd="$PODMAN run --rm $PODMAN_RUN pdbench-busybox /bin/true"
	works podman-none "$pcmd" && set -- "$@" podman-none "$pcmd"
	pcmd="$PODMAN run --rm $PODMAN_BRIDGE_RUN pdbench-busybox /bin/true"
	works podman-bridge "$pcmd" && set -- "$@" podman-bridge "$pcmd"
else
	echo "podman-none|$PODMAN_WHY" >>"$TMP/skipped"
	echo "podman-bridge|$PODMAN_WHY" >>"$TMP/skipped"
fi

hf_rounds "$TMP/net" 2 $(((RUNS + 1) / 2)) 2 "$@"

# Nothing of pocket-docker's may be left: no veth, no rule, no lease.
if [ -n "$PD" ]; then
	left=$(ip -o link show | grep -cE ': pd[0-9a-f]{8}@' || true)
	[ "$left" = 0 ] || log "WARNING: $left pocket-docker veths left after the runs"
	if command -v nft >/dev/null && nft list table ip pocket_docker 2>/dev/null | grep -q 'comment "pd:'; then
		log "WARNING: container rules left in table ip pocket_docker"
	fi
fi

SKIP_ARGS=()
while IFS= read -r -d '' a; do SKIP_ARGS+=("$a"); done < <(skipped_args)
write_machine "$TMP/machine" "- tools: ${PODMAN_VERSION:-podman not usable}, $(tool_version hyperfine --version)"
python3 "$BENCH_DIR/report.py" --section network --md "$MD" --machine "$TMP/machine" \
	--title "What --network adds to run --rm /bin/true" \
	"${ROWS[@]}" "${SKIP_ARGS[@]}" --ratio "none|pd-none" \
	--pair "pd-none|podman-none" --pair "pd-bridge|podman-bridge" --pair-label "podman" \
	--note "Each command ran $RUNS times in 2 rounds (\`hyperfine -N\`, 2 warm-up runs per round, the order rotating); medians. \`x none\` = the row's median / pocket-docker's without a network. The bridge and the nft table already exist after the warm-up runs, as on any host that has run one bridge container; each run still creates and deletes its veth pair, lease and (with -p) its two DNAT rules. podman: its own storage under a temporary directory, the busybox tarball imported with \`podman import\`, \`--cgroup-manager cgroupfs --events-backend none\`, CNI bridge networking." \
	--merged "$BENCH_OUT/network.json" \
	"$TMP"/net-*.json
