#!/usr/bin/env bash
# Builds every package for every static binary found in DIST_DIR
# (cross/build.sh puts them there as qbitrr-lite-<version>-<triple>):
#   Synology .spk, OpenWrt .ipk + tarball, systemd tarball, and one multi-arch
#   OCI container image (an OCI layout and its oci-archive tar) of them all.
#
#   packaging/build.sh [DIST_DIR [OUT_DIR]]
#
# Defaults: DIST_DIR=target/dist, OUT_DIR=DIST_DIR/packages.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
DIST_DIR=${1:-$ROOT/target/dist}
OUT_DIR=${2:-$DIST_DIR/packages}
VERSION=$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n1)

found=0
images=()
rm -rf "$OUT_DIR"
mkdir -p "$OUT_DIR"
for triple in x86_64-unknown-linux-musl aarch64-unknown-linux-musl armv7-unknown-linux-musleabihf; do
    bin="$DIST_DIR/qbitrr-lite-$VERSION-$triple"
    [ -f "$bin" ] || continue
    found=$((found + 1))
    echo "packaging: $triple" >&2
    "$HERE/synology/build-spk.sh" "$bin" "$triple" "$OUT_DIR"
    "$HERE/openwrt/build-ipk.sh" "$bin" "$triple" "$OUT_DIR"
    "$HERE/systemd/build-tarball.sh" "$bin" "$triple" "$OUT_DIR"
    images+=("$triple=$bin")
done
if [ "$found" -eq 0 ]; then
    echo "packaging: no binaries in $DIST_DIR (run cross/build.sh first)" >&2
    exit 1
fi
echo "packaging: container image" >&2
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || echo 0)} \
    python3 "$HERE/container/build-oci.py" "$VERSION" "$OUT_DIR" "${images[@]}"
