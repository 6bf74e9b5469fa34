#!/usr/bin/env bash
# Builds OpenWrt packages around one static qbitrr-lite binary, with plain tar:
#  - one .ipk (opkg, OpenWrt <= 24.10) per OpenWrt package architecture the
#    binary runs on: opkg refuses a package whose Architecture the router
#    does not list (`opkg print-architecture`);
#  - one .tar.gz of the same files, to unpack over / where opkg is not used
#    (OpenWrt releases that moved to apk).
#
#   packaging/openwrt/build-ipk.sh BINARY RUST_TRIPLE OUT_DIR [OPENWRT_ARCH...]
#
# Environment: IPK_RELEASE (default 1), SOURCE_DATE_EPOCH (default: last commit time).
set -euo pipefail

[ $# -ge 3 ] || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
BIN=$1
TRIPLE=$2
OUT_DIR=$3
shift 3
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

# OpenWrt package architectures each binary runs on. armv7 needs an FPU
# (VFPv3-D16 or better): not arm_cortex-a9 without FPU, not ARMv5/ARMv6.
case "$TRIPLE" in
    x86_64-unknown-linux-musl) default_archs=(x86_64) ;;
    aarch64-unknown-linux-musl) default_archs=(aarch64_generic aarch64_cortex-a53 aarch64_cortex-a72 aarch64_cortex-a76) ;;
    armv7-unknown-linux-musleabihf)
        default_archs=(arm_cortex-a7_neon-vfpv4 arm_cortex-a7_vfpv4 arm_cortex-a9_vfpv3-d16 arm_cortex-a9_neon
            arm_cortex-a15_neon-vfpv4 arm_cortex-a8_vfpv3 arm_cortex-a5_vfpv4)
        ;;
    *)
        echo "build-ipk: no OpenWrt architecture for $TRIPLE" >&2
        exit 2
        ;;
esac
if [ $# -gt 0 ]; then archs=("$@"); else archs=("${default_archs[@]}"); fi

PKG=qbitrr-lite
VERSION=$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n1)
PKG_VERSION="$VERSION-r${IPK_RELEASE:-1}"
: "${SOURCE_DATE_EPOCH:=$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)}"

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/ipk.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT

tar_det() { # what OpenWrt's ipkg-build does: GNU tar, root-owned; plus sorted names and fixed times
    tar --format=gnu --sort=name --owner=0 --group=0 --numeric-owner \
        --mtime="@$SOURCE_DATE_EPOCH" "$@"
}

# data: the files as they land on the router
D=$STAGE/data
install -D -m 0755 "$BIN" "$D/usr/bin/qbitrr-lite"
install -D -m 0755 "$HERE/files/qbitrr-lite.init" "$D/etc/init.d/qbitrr-lite"
install -D -m 0600 "$HERE/files/qbitrr-lite.uci" "$D/etc/config/qbitrr-lite"
install -D -m 0644 "$HERE/files/keep.d" "$D/lib/upgrade/keep.d/qbitrr-lite"
tar_det -czf "$STAGE/data.tar.gz" -C "$D" .
installed_size=$(du -sb --apparent-size "$D" | cut -f1)

mkdir -p "$OUT_DIR"
for arch in "${archs[@]}"; do
    C=$STAGE/control-$arch
    mkdir -p "$C"
    cat >"$C/control" <<CONTROL
Package: $PKG
Version: $PKG_VERSION
License: MIT
Section: net
Architecture: $arch
Installed-Size: $installed_size
Maintainer: qbitrr-lite
Description: Keeps qBittorrent and Radarr/Sonarr/Lidarr/Readarr in step, reading
 qBitrr's config.toml. Static binary for $TRIPLE.
CONTROL
    printf '%s\n' /etc/config/qbitrr-lite >"$C/conffiles"
    install -m 0755 "$HERE/control/postinst" "$HERE/control/prerm" "$C/"
    tar_det -czf "$STAGE/control.tar.gz" -C "$C" .
    echo 2.0 >"$STAGE/debian-binary"
    ipk="$OUT_DIR/${PKG}_${PKG_VERSION}_${arch}.ipk"
    tar_det -czf "$ipk" -C "$STAGE" ./debian-binary ./data.tar.gz ./control.tar.gz
    echo "$ipk"
done

# Plain tarball (no opkg): tar -xzf it in / on the router, then run the
# postinst steps by hand (packaging/README.md).
tarball="$OUT_DIR/${PKG}-${VERSION}-openwrt-${TRIPLE}.tar.gz"
mkdir -p "$D/usr/share/qbitrr-lite"
install -m 0755 "$HERE/control/postinst" "$D/usr/share/qbitrr-lite/postinst"
tar_det -czf "$tarball" -C "$D" .
echo "$tarball"
