#!/usr/bin/env bash
# Builds a DSM 7 package (.spk) around one static qbitrr-lite binary, with
# plain tar (an .spk is an uncompressed tar; package.tgz inside is the payload).
#
#   packaging/synology/build-spk.sh BINARY RUST_TRIPLE OUT_DIR
#
# Environment: SPK_BUILD (build number, default 1; must grow with every
# release of the same version), SOURCE_DATE_EPOCH (file times, default: the
# last commit's time), MAINTAINER.
set -euo pipefail

[ $# -eq 3 ] || { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
BIN=$1
TRIPLE=$2
OUT_DIR=$3
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

# Synology arch names for each Rust target: the CPU family plus its platforms,
# listed by name so that platforms outside DSM's family table match too.
case "$TRIPLE" in
    x86_64-unknown-linux-musl)
        SYNO_NAME=x86_64
        SYNO_ARCH="x86_64 apollolake avoton braswell broadwell broadwellnk broadwellnkv2 broadwellntbap bromolow cedarview denverton epyc7002 geminilake geminilakenk grantley kvmx64 purley r1000 r1000nk v1000 v1000nk"
        ;;
    aarch64-unknown-linux-musl)
        SYNO_NAME=armv8
        SYNO_ARCH="armv8 rtd1296 rtd1619b armada37xx"
        ;;
    armv7-unknown-linux-musleabihf)
        SYNO_NAME=armv7
        SYNO_ARCH="armv7 alpine alpine4k armada370 armada375 armada38x armadaxp monaco"
        ;;
    *)
        echo "build-spk: no Synology arch for $TRIPLE" >&2
        exit 2
        ;;
esac

PKG=qbitrr-lite
VERSION=$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n1)
BUILD=$(printf '%04d' "${SPK_BUILD:-1}")
SPK_VERSION="$VERSION-$BUILD"
MAINTAINER=${MAINTAINER:-qbitrr-lite}
: "${SOURCE_DATE_EPOCH:=$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)}"
PORT=6969

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/spk.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT

tar_det() { # deterministic tar: root-owned, sorted, fixed times
    tar --format=gnu --sort=name --owner=0 --group=0 --numeric-owner \
        --mtime="@$SOURCE_DATE_EPOCH" "$@"
}

# package.tgz: what DSM extracts into /var/packages/qbitrr-lite/target
mkdir -p "$STAGE/payload/bin" "$STAGE/payload/app"
install -m 0755 "$BIN" "$STAGE/payload/bin/qbitrr-lite"
install -m 0644 "$HERE/qbitrr-lite.sc" "$STAGE/payload/app/qbitrr-lite.sc"
tar_det -czf "$STAGE/package.tgz" -C "$STAGE/payload" .

mkdir -p "$STAGE/spk"
mv "$STAGE/package.tgz" "$STAGE/spk/"
cp -r "$HERE/scripts" "$HERE/conf" "$HERE/WIZARD_UIFILES" "$STAGE/spk/"
chmod 0755 "$STAGE/spk/scripts/"*
chmod 0644 "$STAGE/spk/conf/"* "$STAGE/spk/WIZARD_UIFILES/"*
python3 "$ROOT/packaging/make_icon.py" 64 "$STAGE/spk/PACKAGE_ICON.PNG"
python3 "$ROOT/packaging/make_icon.py" 256 "$STAGE/spk/PACKAGE_ICON_256.PNG"

cat >"$STAGE/spk/INFO" <<EOF
package="$PKG"
version="$SPK_VERSION"
os_min_ver="7.0-40000"
arch="$SYNO_ARCH"
maintainer="$MAINTAINER"
displayname="qbitrr-lite"
description="Keeps qBittorrent and Radarr/Sonarr/Lidarr/Readarr in step, reading qBitrr's config.toml. The installer asks for qBittorrent and one Radarr or Sonarr; more in /var/packages/$PKG/var/config.toml."
startable="yes"
ctl_stop="yes"
thirdparty="yes"
adminprotocol="http"
adminport="$PORT"
adminurl="/"
extractsize="$(du -sk --apparent-size "$STAGE/payload" | cut -f1)"
checksum="$(md5sum "$STAGE/spk/package.tgz" | cut -d' ' -f1)"
create_time="$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d-%H:%M:%S)"
EOF

mkdir -p "$OUT_DIR"
SPK="$OUT_DIR/$PKG-$SYNO_NAME-$SPK_VERSION.spk"
tar_det -cf "$SPK" -C "$STAGE/spk" INFO package.tgz scripts conf WIZARD_UIFILES PACKAGE_ICON.PNG PACKAGE_ICON_256.PNG
echo "$SPK"
