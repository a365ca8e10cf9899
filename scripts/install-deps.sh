#!/bin/bash
# Install what pocket-docker needs to build, demo and test on Debian 12.
# Idempotent and quick when everything is already there.
set -euo pipefail

PKGS=(
	build-essential pkg-config
	libsqlite3-dev libarchive-dev libcurl4-openssl-dev libjansson-dev
	libseccomp-dev libcap-dev libnl-route-3-dev libnftables-dev nettle-dev
	libcmocka-dev clang-format
	busybox-static uidmap debootstrap python3 tmux passt nftables slirp4netns
	xz-utils zstd
	man-db groff-base bash-completion
	docker-registry skopeo runc
	podman conmon containerd buildah
	libmicrohttpd-dev chromium chromium-driver python3-selenium
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
SUDO=
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
