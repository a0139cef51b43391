#!/bin/sh
# Installs the tools the registry/OCI integration tests use: Debian's Distribution v2 registry
# (docker-registry), skopeo, umoci, busybox-static, and chromium for the browser tests. Idempotent: does nothing when all are present.
# Set WITH_DEBOOTSTRAP=1 to also install debootstrap (only needed for the large fixture).
set -eu

need=""
command -v docker-registry >/dev/null 2>&1 || [ -x /usr/bin/docker-registry ] || need="$need docker-registry"
command -v skopeo >/dev/null 2>&1 || need="$need skopeo"
command -v umoci >/dev/null 2>&1 || need="$need umoci"
[ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || need="$need busybox-static"
# Debian's Chromium, driven by playwright-core in the browser tests (never a downloaded browser).
[ -x /usr/bin/chromium ] || need="$need chromium"
if [ "${WITH_DEBOOTSTRAP:-0}" = "1" ]; then
  command -v debootstrap >/dev/null 2>&1 || need="$need debootstrap"
fi

if [ -z "$need" ]; then
  echo "test tools already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# shellcheck disable=SC2086
$SUDO apt-get install -y --no-install-recommends $need
echo "installed:$need"
