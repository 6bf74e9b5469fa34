#!/usr/bin/env bash
# Installs what the integration tests need: qbittorrent-nox (the real
# qBittorrent the tests run against) and mktorrent (makes test torrents).
# Idempotent: does nothing when both are already on PATH.
set -euo pipefail

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
    echo "install-test-deps: nothing to do"
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
