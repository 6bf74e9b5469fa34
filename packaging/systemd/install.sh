#!/bin/sh
# Installs qbitrr-lite as a systemd service (Raspberry Pi OS, Debian, Ubuntu).
# Run as root from the unpacked release folder:
#
#   sudo ./install.sh [--now] [--root DIR] [BINARY]
#   sudo ./install.sh --uninstall [--purge]
#
# BINARY defaults to ./qbitrr-lite next to this script. It must match the
# userland architecture (`dpkg --print-architecture`): arm64 -> aarch64 binary,
# armhf -> armv7 binary (also on a 64-bit kernel), amd64 -> x86_64 binary.
# Raspberry Pi 1 and Zero (W) are ARMv6: none of the binaries runs there.
#
#   --now        start the service at once (otherwise: enable only, so that
#                config.toml can be edited first)
#   --root DIR   install into DIR instead of / (packaging tests; no user is
#                created and systemctl is not called)
#   --uninstall  stop, disable and remove the service and binary; keeps
#                /etc/qbitrr-lite and /var/lib/qbitrr-lite unless --purge
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
NAME=qbitrr-lite
ROOT=
NOW=0
UNINSTALL=0
PURGE=0
BIN=$HERE/qbitrr-lite

while [ $# -gt 0 ]; do
    case "$1" in
        --now) NOW=1 ;;
        --root) ROOT=${2:?--root needs a directory}; shift ;;
        --uninstall) UNINSTALL=1 ;;
        --purge) PURGE=1 ;;
        -h | --help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "install.sh: unknown option $1" >&2; exit 2 ;;
        *) BIN=$1 ;;
    esac
    shift
done

say() { printf 'install.sh: %s\n' "$*"; }
die() { printf 'install.sh: error: %s\n' "$*" >&2; exit 1; }

live=1
[ -z "$ROOT" ] || live=0
if [ "$live" -eq 1 ] && [ "$(id -u)" -ne 0 ]; then
    die "run as root (sudo $0)"
fi

BIN_DST=$ROOT/usr/local/bin/$NAME
UNIT_DST=$ROOT/etc/systemd/system/$NAME.service
SYSUSERS_DST=$ROOT/etc/sysusers.d/$NAME.conf
CONF_DIR=$ROOT/etc/$NAME
CONFIG=$CONF_DIR/config.toml
STATE_DIR=$ROOT/var/lib/$NAME

if [ "$UNINSTALL" -eq 1 ]; then
    if [ "$live" -eq 1 ]; then
        systemctl disable --now "$NAME.service" 2>/dev/null || true
    fi
    rm -f "$UNIT_DST" "$BIN_DST" "$SYSUSERS_DST"
    [ "$live" -eq 0 ] || systemctl daemon-reload
    if [ "$PURGE" -eq 1 ]; then
        rm -rf "$CONF_DIR" "$STATE_DIR" "$ROOT/var/lib/private/$NAME"
        say "removed, with $CONF_DIR and $STATE_DIR"
    else
        say "removed; kept $CONF_DIR and $STATE_DIR (--purge deletes them)"
    fi
    exit 0
fi

[ -f "$BIN" ] || die "no binary at $BIN"
[ -f "$HERE/$NAME.service" ] || die "$NAME.service is not next to this script"

# ELF e_machine of the binary vs. the userland architecture.
elf_machine() {
    od -An -t u2 -j 18 -N 2 "$1" | tr -d ' '
}
machine=$(elf_machine "$BIN")
case "$machine" in
    62) bin_arch=amd64 ;;
    183) bin_arch=arm64 ;;
    40) bin_arch=armhf ;;
    *) die "$BIN is not an x86_64, aarch64 or armv7 Linux binary" ;;
esac
if [ "$live" -eq 1 ]; then
    if command -v dpkg >/dev/null 2>&1; then
        host_arch=$(dpkg --print-architecture)
    else
        case "$(uname -m)" in
            x86_64) host_arch=amd64 ;;
            aarch64) host_arch=arm64 ;;
            armv7l | armv8l) host_arch=armhf ;;
            *) host_arch=$(uname -m) ;;
        esac
    fi
    if [ "$(uname -m)" = armv6l ]; then
        die "this is an ARMv6 board (Raspberry Pi 1 / Zero): the armv7 binary cannot run here"
    fi
    if [ "$host_arch" != "$bin_arch" ]; then
        die "$BIN is for $bin_arch, this system is $host_arch: use the $host_arch release (see README)"
    fi
    "$BIN" --version >/dev/null || die "$BIN does not run on this machine"
fi

say "installing $NAME ($bin_arch) into ${ROOT:-/}"
install -D -m 0755 "$BIN" "$BIN_DST"
install -D -m 0644 "$HERE/$NAME.service" "$UNIT_DST"
install -D -m 0644 "$HERE/$NAME.sysusers" "$SYSUSERS_DST"

if [ "$live" -eq 1 ]; then
    if command -v systemd-sysusers >/dev/null 2>&1; then
        systemd-sysusers "$SYSUSERS_DST"
    elif ! id "$NAME" >/dev/null 2>&1; then
        useradd --system --home-dir "/var/lib/$NAME" --no-create-home --shell /usr/sbin/nologin "$NAME"
    fi
fi

# /etc/qbitrr-lite: root-owned, readable by the service's group (the config
# holds API keys and passwords).
install -d -m 0750 "$CONF_DIR"
created=0
if [ ! -f "$CONFIG" ]; then
    (umask 077 && "$BIN_DST" gen-config >"$CONFIG.tmp" 2>/dev/null && mv -f "$CONFIG.tmp" "$CONFIG") \
        || { rm -f "$CONFIG.tmp"; die "could not write an example $CONFIG"; }
    created=1
fi
chmod 0640 "$CONFIG"
if [ "$live" -eq 1 ]; then
    chown "root:$NAME" "$CONF_DIR" "$CONFIG"
fi

if [ "$live" -eq 0 ]; then
    say "done (--root: no user created, systemctl not called)"
    exit 0
fi

systemctl daemon-reload
systemctl enable "$NAME.service"
if [ "$NOW" -eq 1 ] || { [ "$created" -eq 0 ] && systemctl is-active --quiet "$NAME.service"; }; then
    systemctl restart "$NAME.service"
    say "started: systemctl status $NAME; journalctl -u $NAME -f"
else
    [ "$created" -eq 1 ] && say "wrote an example $CONFIG: put your qBittorrent and Arr settings in it"
    say "then: sudo systemctl start $NAME; journalctl -u $NAME -f"
fi
