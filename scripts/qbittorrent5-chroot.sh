#!/usr/bin/env bash
# A Debian 13 (trixie) chroot with qbittorrent-nox 5.x and mktorrent, for running a real
# qBittorrent 5 beside the host's 4.5.2 (bench/qbittorrent_load.py --chroot DIR; later the
# integration tests). Idempotent: an existing, complete chroot is reused. Needs root and
# debootstrap (installed from Debian's packages when missing). Prints the chroot's path.
#
#   scripts/qbittorrent5-chroot.sh            # /var/cache/qbitrr-lite/trixie
#   QBITRR_LITE_CHROOT=/srv/trixie scripts/qbittorrent5-chroot.sh
set -euo pipefail

root=${QBITRR_LITE_CHROOT:-/var/cache/qbitrr-lite/trixie}
mirror=${QBITRR_LITE_DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ -x "$root/usr/bin/qbittorrent-nox" ] && [ -f "$root/.qbitrr-lite-complete" ]; then
    echo "$root"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "qbittorrent5-chroot: needs root (debootstrap, chroot)" >&2
    exit 1
fi
if ! command -v debootstrap >/dev/null; then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
fi
mkdir -p "$(dirname "$root")"
if [ ! -x "$root/usr/bin/apt-get" ]; then
    rm -rf "$root"
    debootstrap --variant=minbase trixie "$root" "$mirror" >&2
fi
# apt inside the chroot needs /proc; mounted only for the install and always unmounted.
mount -t proc proc "$root/proc"
trap 'umount "$root/proc" 2>/dev/null || umount -l "$root/proc"' EXIT
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    qbittorrent-nox mktorrent ca-certificates >&2
chroot "$root" qbittorrent-nox --version >&2
touch "$root/.qbitrr-lite-complete"
echo "$root"
