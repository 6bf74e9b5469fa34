#!/usr/bin/env bash
# Installs what the integration tests need: qbittorrent-nox (the real
# qBittorrent the tests run against) and mktorrent (makes test torrents),
# and, when run as root, the Debian 13 chroot with qbittorrent-nox 5.1 the
# tests also run against (scripts/qbittorrent5-chroot.sh; the tests that need
# it fail in CI without it). Idempotent: does nothing when all are in place.
set -euo pipefail
cd "$(dirname "$0")/.."

# The chroot needs root (debootstrap, chroot, mount); CI runs as root. Without
# it, the qBittorrent 5.1 tests are skipped (outside CI) or fail (in CI).
qbittorrent5_chroot() {
    if [ "$(id -u)" -eq 0 ]; then
        echo "install-test-deps: qbittorrent-nox 5.1 chroot: $(scripts/qbittorrent5-chroot.sh)"
    else
        echo "install-test-deps: not root: no qbittorrent-nox 5.1 chroot (run scripts/qbittorrent5-chroot.sh as root for the 5.1 tests)"
    fi
}

packages=(qbittorrent-nox mktorrent)
missing=()
for pkg in "${packages[@]}"; do
    if command -v "$pkg" >/dev/null 2>&1; then
        echo "install-test-deps: $pkg already installed ($(command -v "$pkg"))"
    else
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    qbittorrent5_chroot
    exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo_cmd=(sudo)
    else
        echo "install-test-deps: need root (or sudo) to install: ${missing[*]}" >&2
        exit 1
    fi
fi

echo "install-test-deps: installing ${missing[*]} with apt-get"
"${sudo_cmd[@]}" apt-get update
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${packages[@]}"

for pkg in "${packages[@]}"; do
    command -v "$pkg" >/dev/null 2>&1 || {
        echo "install-test-deps: $pkg still missing after apt-get install" >&2
        exit 1
    }
done
echo "install-test-deps: installed: $(qbittorrent-nox --version 2>/dev/null || echo qbittorrent-nox), mktorrent"
qbittorrent5_chroot
