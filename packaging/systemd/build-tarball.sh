#!/usr/bin/env bash
# Builds the systemd release tarball for one static qbitrr-lite binary:
# qbitrr-lite, qbitrr-lite.service, qbitrr-lite.sysusers, install.sh.
#
#   packaging/systemd/build-tarball.sh BINARY RUST_TRIPLE OUT_DIR
set -euo pipefail

[ $# -eq 3 ] || { sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
BIN=$1
TRIPLE=$2
OUT_DIR=$3
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
VERSION=$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n1)
: "${SOURCE_DATE_EPOCH:=$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)}"

name="qbitrr-lite-$VERSION-$TRIPLE-systemd"
STAGE=$(mktemp -d "${TMPDIR:-/tmp}/systemd.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/$name"
install -m 0755 "$BIN" "$STAGE/$name/qbitrr-lite"
install -m 0755 "$HERE/install.sh" "$STAGE/$name/install.sh"
install -m 0644 "$HERE/qbitrr-lite.service" "$HERE/qbitrr-lite.sysusers" "$STAGE/$name/"

mkdir -p "$OUT_DIR"
tar --format=gnu --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
    -czf "$OUT_DIR/$name.tar.gz" -C "$STAGE" "$name"
echo "$OUT_DIR/$name.tar.gz"
