#!/usr/bin/env bash
# Installs what the integration tests need: qbittorrent-nox (the real
# qBittorrent the tests run against), mktorrent (makes test torrents), chromium
# (loads the status page headless),
# promtool (checks /metrics; taken out of Debian's prometheus package without
# installing the server), and, when run as root, the Debian 13 chroot with
# qbittorrent-nox 5.1 the tests also run against (scripts/qbittorrent5-chroot.sh;
# the tests that need it fail in CI without it). Idempotent: does nothing when
# all are in place.
set -euo pipefail
cd "$(dirname "$0")/.."

# promtool alone, into the user's cache (the tests look there, after $PROMTOOL and PATH):
# `apt-get download` needs no root, and unpacking the .deb installs no Prometheus service.
install_promtool() {
    local dir=${XDG_CACHE_HOME:-$HOME/.cache}/qbitrr-lite-tools
    if command -v promtool >/dev/null 2>&1 || [ -x "$dir/promtool" ]; then
        echo "install-test-deps: promtool already there"
        return
    fi
    local tmp
    tmp=$(mktemp -d)
    if ! (cd "$tmp" && apt-get download prometheus >/dev/null 2>&1); then
        # No package lists yet (a fresh machine): refresh them once, as root.
        if [ "$(id -u)" -eq 0 ]; then
            apt-get update >/dev/null
        fi
        (cd "$tmp" && apt-get download prometheus >/dev/null 2>&1) || {
            echo "install-test-deps: apt-get download prometheus failed (run apt-get update?)" >&2
            rm -rf "$tmp"
            return 1
        }
    fi
    dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/x"
    mkdir -p "$dir"
    install -m 0755 "$tmp/x/usr/bin/promtool" "$dir/promtool"
    rm -rf "$tmp"
    echo "install-test-deps: promtool: $("$dir/promtool" --version 2>&1 | head -1) in $dir"
}

# The chroot needs root (debootstrap, chroot, mount); CI runs as root. Without
# it, the qBittorrent 5.1 tests are skipped (outside CI) or fail (in CI).
qbittorrent5_chroot() {
    if [ "$(id -u)" -eq 0 ]; then
        echo "install-test-deps: qbittorrent-nox 5.1 chroot: $(scripts/qbittorrent5-chroot.sh)"
    else
        echo "install-test-deps: not root: no qbittorrent-nox 5.1 chroot (run scripts/qbittorrent5-chroot.sh as root for the 5.1 tests)"
    fi
}

# chromium: the status page is tested in a real headless browser.
packages=(qbittorrent-nox mktorrent chromium)
missing=()
for pkg in "${packages[@]}"; do
    if command -v "$pkg" >/dev/null 2>&1; then
        echo "install-test-deps: $pkg already installed ($(command -v "$pkg"))"
    else
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    install_promtool || promtool_failed=1
    qbittorrent5_chroot
    exit "${promtool_failed:-0}"
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
echo "install-test-deps: installed: $(qbittorrent-nox --version 2>/dev/null || echo qbittorrent-nox), mktorrent, chromium"
install_promtool
qbittorrent5_chroot
