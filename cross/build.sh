#!/usr/bin/env bash
# Builds the static musl binaries of qbitrr-lite and smoke-tests each one
# (natively or under qemu-user). See cross/README.md.
#
#   cross/build.sh [options] [all | x86_64 | aarch64 | armv7 | <rust triple>]...
#
# Options:
#   --no-smoke     build only, skip cross/smoke.sh
#   --measure      also build the `release-abort` profile (panic = "abort") and
#                  print what unwinding costs per target (not shipped)
#   --setup-only   install the toolchain pieces and exit
#   -h, --help     this text
#
# Environment:
#   CROSS_TARGET_DIR  cargo target dir for the cross builds (default: target/cross)
#   DIST_DIR          where the finished binaries are copied (default: target/dist)
#
# Installs what it needs, idempotently: Debian packages (qemu-user, file,
# binutils, python3-venv), ziglang + cargo-zigbuild from PyPI into a private
# virtualenv, the musl rust-std targets and a pinned nightly with rust-src
# (armv7 has no prebuilt rust-std, so its std is built from source).
set -euo pipefail
shopt -s inherit_errexit

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

# Pinned tool versions. The nightly builds armv7's std (-Zbuild-std); std and
# the compiler must match, so it is a dated nightly, not "nightly".
NIGHTLY=nightly-2026-05-20
ZIGLANG_VERSION=0.17.1
CARGO_ZIGBUILD_VERSION=0.24.0
# x86_64 and aarch64 use prebuilt rust-std on the stable channel.
STABLE=${CROSS_STABLE_TOOLCHAIN:-stable}

TOOLS_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/qbitrr-lite-cross
VENV=$TOOLS_DIR/venv
export CARGO_TARGET_DIR=${CROSS_TARGET_DIR:-$ROOT/target/cross}
DIST_DIR=${DIST_DIR:-$ROOT/target/dist}

ALL_TRIPLES=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl armv7-unknown-linux-musleabihf)

log() { printf 'cross/build: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }

smoke=1
measure=0
setup_only=0
triples=()
while [ $# -gt 0 ]; do
    case "$1" in
        --no-smoke) smoke=0 ;;
        --measure) measure=1 ;;
        --setup-only) setup_only=1 ;;
        -h | --help) usage; exit 0 ;;
        all) triples+=("${ALL_TRIPLES[@]}") ;;
        x86_64 | x86_64-unknown-linux-musl) triples+=(x86_64-unknown-linux-musl) ;;
        aarch64 | arm64 | aarch64-unknown-linux-musl) triples+=(aarch64-unknown-linux-musl) ;;
        armv7 | armhf | armv7-unknown-linux-musleabihf) triples+=(armv7-unknown-linux-musleabihf) ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
    shift
done
[ ${#triples[@]} -gt 0 ] || triples=("${ALL_TRIPLES[@]}")

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root (or sudo) for: $*"
    fi
}

apt_updated=0
apt_install() {
    if [ "$apt_updated" -eq 0 ]; then
        as_root apt-get update -qq
        apt_updated=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

# Debian packages: qemu-user (qemu-aarch64, qemu-arm), file, readelf (binutils).
setup_apt() {
    local missing=()
    command -v file >/dev/null 2>&1 || missing+=(file)
    command -v readelf >/dev/null 2>&1 || missing+=(binutils)
    command -v gzip >/dev/null 2>&1 || missing+=(gzip)
    if [ "$smoke" -eq 1 ]; then
        command -v python3 >/dev/null 2>&1 || missing+=(python3)
        if command -v qemu-aarch64 >/dev/null 2>&1 && command -v qemu-arm >/dev/null 2>&1; then
            :
        elif command -v qemu-aarch64-static >/dev/null 2>&1 && command -v qemu-arm-static >/dev/null 2>&1; then
            :
        else
            missing+=(qemu-user)
        fi
    fi
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing Debian packages: ${missing[*]}"
        apt_install "${missing[@]}"
    fi
}

# ziglang (the linker and musl libc) and cargo-zigbuild, from PyPI, in a venv.
setup_zig() {
    command -v python3 >/dev/null 2>&1 || { log "installing python3"; apt_install python3; }
    local want="ziglang==$ZIGLANG_VERSION cargo-zigbuild==$CARGO_ZIGBUILD_VERSION"
    if [ -x "$VENV/bin/cargo-zigbuild" ] && [ -f "$VENV/.installed" ] && [ "$(cat "$VENV/.installed")" = "$want" ]; then
        return
    fi
    log "installing $want into $VENV"
    mkdir -p "$TOOLS_DIR"
    if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
        apt_install python3-venv
        rm -rf "$VENV"
        python3 -m venv "$VENV"
    fi
    # shellcheck disable=SC2086 # $want is two requirement specifiers
    "$VENV/bin/python3" -m pip install --quiet --disable-pip-version-check $want
    printf '%s\n' "$want" >"$VENV/.installed"
}

need_rustup_target() {
    local toolchain=$1 triple=$2
    if ! rustup "+$toolchain" target list --installed 2>/dev/null | grep -qx "$triple"; then
        log "rustup: adding target $triple to $toolchain"
        rustup "+$toolchain" target add "$triple" >&2
    fi
}

setup_rust() {
    command -v rustup >/dev/null 2>&1 || die "rustup is required (https://rustup.rs)"
    local t needs_nightly=0
    for t in "${triples[@]}"; do
        case "$t" in
            armv7-unknown-linux-musleabihf) needs_nightly=1 ;;
            *) need_rustup_target "$STABLE" "$t" ;;
        esac
    done
    if [ "$needs_nightly" -eq 1 ]; then
        if ! rustup toolchain list | grep -q "^$NIGHTLY"; then
            log "rustup: installing $NIGHTLY (minimal)"
            rustup toolchain install "$NIGHTLY" --profile minimal >&2
        fi
        if ! rustup "+$NIGHTLY" component list --installed 2>/dev/null | grep -qx rust-src; then
            log "rustup: adding rust-src to $NIGHTLY"
            rustup "+$NIGHTLY" component add rust-src >&2
        fi
    fi
}

version() {
    sed -n 's/^version *= *"\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n1
}

# build_one TRIPLE PROFILE [PACKAGE_DIR BIN]: prints the path of the built binary.
build_one() {
    local triple=$1 profile=$2 pkgdir=${3:-$ROOT} binname=${4:-qbitrr-lite} start end
    local cmd=(cargo "+$STABLE")
    local extra=()
    case "$triple" in
        armv7-unknown-linux-musleabihf)
            cmd=(cargo "+$NIGHTLY")
            # Builds std too; the rustflags for this target are in .cargo/config.toml
            # (found from the current directory, which stays $ROOT).
            extra=("-Zbuild-std=std,panic_abort")
            ;;
    esac
    log "building $binname for $triple ($profile profile)"
    start=$(date +%s)
    PATH="$VENV/bin:$PATH" "${cmd[@]}" zigbuild --locked --manifest-path "$pkgdir/Cargo.toml" \
        --profile "$profile" --target "$triple" "${extra[@]}" --bin "$binname" >&2
    end=$(date +%s)
    log "built $binname for $triple ($profile) in $((end - start)) s"
    printf '%s\n' "$((end - start))" >"$CARGO_TARGET_DIR/$triple/$profile/.build-seconds-$binname"
    printf '%s\n' "$CARGO_TARGET_DIR/$triple/$profile/$binname"
}

setup_apt
setup_zig
setup_rust
if [ "$setup_only" -eq 1 ]; then
    log "setup done"
    exit 0
fi

VERSION=$(version)
mkdir -p "$DIST_DIR"
summary=()
for triple in "${triples[@]}"; do
    bin=$(build_one "$triple" release)
    out=$DIST_DIR/qbitrr-lite-$VERSION-$triple
    cp "$bin" "$out"
    chmod 0755 "$out"
    file -b "$out" | grep -q 'statically linked' || die "$out is not statically linked: $(file -b "$out")"
    headers=$(readelf -l "$out")
    if grep -q INTERP <<<"$headers"; then die "$out has an ELF interpreter"; fi
    size=$(stat -c %s "$out")
    gz=$(gzip -9 -c "$out" | wc -c)
    secs=$(cat "$CARGO_TARGET_DIR/$triple/release/.build-seconds-qbitrr-lite")
    line="$triple release $size bytes (gzip -9: $gz) built in ${secs}s"
    if [ "$measure" -eq 1 ]; then
        abin=$(build_one "$triple" release-abort)
        asize=$(stat -c %s "$abin")
        line="$line; panic=abort would be $asize bytes (unwind costs $((size - asize)))"
    fi
    summary+=("$line")
    if [ "$smoke" -eq 1 ]; then
        # Same toolchain, flags and profile settings: does a panic unwind here?
        probe=$(build_one "$triple" release "$ROOT/cross/unwind-probe" unwind-probe)
        SMOKE_UNWIND_PROBE=$probe "$ROOT/cross/smoke.sh" "$out" "$triple"
    fi
done

log "binaries in $DIST_DIR:"
for line in "${summary[@]}"; do log "  $line"; done
