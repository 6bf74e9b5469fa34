#!/usr/bin/env bash
# "COND && ok ... || bad ...": ok always succeeds, so bad runs only when COND fails.
# shellcheck disable=SC2015
# Checks the packaging sources and the built packages (no NAS or router needed).
#
#   scripts/check-packaging.sh [--lint-only] [PACKAGES_DIR]
#
# PACKAGES_DIR defaults to target/dist/packages (packaging/build.sh's output).
#
# Sources: `sh -n` on every POSIX shell script, `bash -n` on the bash ones,
#   ShellCheck on all of them, a syntax check of the Python helpers, JSON of the
#   SPK conf files, `systemd-analyze verify` of the unit (warnings count as
#   failures) and its `systemd-analyze security` exposure.
# Synology .spk: the tar members and their modes, INFO's keys and values
#   (version format, os_min_ver >= 7.0, arch matching the binary's ELF machine,
#   package.tgz checksum), conf/privilege and conf/resource, the icons' sizes,
#   the payload (static bin/qbitrr-lite, the .sc port file). For the x86_64
#   SPK: its scripts are run with the variables DSM sets (SYNOPKG_PKGDEST,
#   SYNOPKG_PKGVAR, ...) against cross/fake_upstreams.py: postinst ->
#   start -> status 0 -> /health -> stop (SIGTERM, clean exit) -> status 3,
#   then an upgrade keeps config.toml and the store.
# OpenWrt .ipk: outer gzip tar with debian-binary (2.0), data.tar.gz,
#   control.tar.gz; control fields, Architecture matching the binary,
#   conffiles, the files and modes in data; the procd init script is run with
#   stub procd functions and the command line it builds is checked.
# systemd tarball: members and modes; install.sh --root into a scratch
#   directory (x86_64), re-run (keeps config.toml), --uninstall.
#
# Flags of the daemon that a package uses but the binary does not know yet
# are reported as PENDING; PACKAGING_STRICT=1 makes that a failure.
set -euo pipefail
shopt -s inherit_errexit nullglob

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
STRICT=${PACKAGING_STRICT:-0}

lint_only=0
if [ "${1:-}" = --lint-only ]; then
    lint_only=1
    shift
fi
PKG_DIR=${1:-$ROOT/target/dist/packages}

failures=0
pending=()
checks=0
ok() { checks=$((checks + 1)); printf 'check-packaging: ok: %s\n' "$*"; }
bad() { failures=$((failures + 1)); printf 'check-packaging: FAIL: %s\n' "$*" >&2; }
pend() {
    pending+=("$*")
    printf 'check-packaging: PENDING: %s\n' "$*" >&2
    [ "$STRICT" != 1 ] || bad "strict: $*"
}
die() { printf 'check-packaging: error: %s\n' "$*" >&2; exit 1; }

ensure_tools() {
    local missing=()
    command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
    command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
    command -v file >/dev/null 2>&1 || missing+=(file)
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
    command -v dash >/dev/null 2>&1 || missing+=(dash)
    command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
    if [ ${#missing[@]} -gt 0 ]; then
        local sudo=()
        [ "$(id -u)" -eq 0 ] || sudo=(sudo)
        echo "check-packaging: installing ${missing[*]}" >&2
        "${sudo[@]}" apt-get update -qq
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/check-packaging.XXXXXX")
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

# ---------------------------------------------------------------- sources --
# Every shell script we ship or run, told apart by its shebang.
shell_scripts=(
    cross/*.sh
    packaging/*.sh packaging/*/*.sh
    packaging/synology/scripts/*
    packaging/openwrt/files/qbitrr-lite.init
    packaging/openwrt/control/*
    scripts/check-packaging.sh scripts/ci-cross.sh
)

lint() {
    local f shebang
    for f in "${shell_scripts[@]}"; do
        [ -f "$f" ] || continue
        [ -x "$f" ] || bad "$f is not executable"
        shebang=$(head -n1 "$f")
        case "$shebang" in
            '#!/bin/sh'*)
                if dash -n "$f" && sh -n "$f"; then ok "sh -n $f"; else bad "sh -n $f"; fi
                if shellcheck -s sh "$f"; then ok "shellcheck -s sh $f"; else bad "shellcheck -s sh $f"; fi
                ;;
            '#!/usr/bin/env bash' | '#!/bin/bash')
                if bash -n "$f"; then ok "bash -n $f"; else bad "bash -n $f"; fi
                if shellcheck "$f"; then ok "shellcheck $f"; else bad "shellcheck $f"; fi
                ;;
            *) bad "$f: unexpected shebang '$shebang'" ;;
        esac
    done
    for f in cross/fake_upstreams.py packaging/make_icon.py packaging/container/build-oci.py; do
        if python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])' "$f"; then
            ok "python syntax $f"
        else
            bad "python syntax $f"
        fi
    done
    for f in packaging/synology/conf/privilege packaging/synology/conf/resource packaging/synology/WIZARD_UIFILES/install_uifile; do
        if python3 -m json.tool "$f" >/dev/null; then ok "JSON $f"; else bad "JSON $f"; fi
    done
}

# systemd-analyze verify needs the unit's ExecStart binary and the standard
# units; a scratch root with both keeps it independent of this machine.
verify_unit() {
    local bin=$1 root=$WORK/sdroot out
    mkdir -p "$root/usr/lib/systemd" "$root/etc/systemd/system" "$root/usr/local/bin"
    cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/" 2>/dev/null || cp -a /lib/systemd/system "$root/usr/lib/systemd/"
    install -m 0644 packaging/systemd/qbitrr-lite.service "$root/etc/systemd/system/"
    install -m 0755 "$bin" "$root/usr/local/bin/qbitrr-lite"
    if out=$(systemd-analyze verify --root="$root" qbitrr-lite.service 2>&1) && [ -z "$out" ]; then
        ok "systemd-analyze verify qbitrr-lite.service"
    else
        bad "systemd-analyze verify qbitrr-lite.service: $out"
    fi
    local exposure
    exposure=$(systemd-analyze security --offline=yes --root="$root" qbitrr-lite.service 2>/dev/null \
        | sed -n 's/.*Overall exposure level for qbitrr-lite.service: \([0-9.]*\).*/\1/p')
    if [ -n "$exposure" ] && python3 -c "import sys; sys.exit(0 if float('$exposure') <= 2.0 else 1)"; then
        ok "systemd-analyze security: exposure $exposure (<= 2.0)"
    else
        bad "systemd-analyze security: exposure '${exposure:-?}' (want <= 2.0)"
    fi
}

ensure_tools
lint
if [ "$lint_only" = 1 ]; then
    stub=$WORK/stub
    printf '#!/bin/sh\n' >"$stub"
    verify_unit "$stub"
    echo "check-packaging: $checks passed, $failures failed"
    [ "$failures" -eq 0 ]
    exit
fi

# --------------------------------------------------------------- packages --
[ -d "$PKG_DIR" ] || die "no packages in $PKG_DIR (run packaging/build.sh)"

elf_machine() { od -An -t u2 -j 18 -N 2 "$1" | tr -d ' '; }
machine_of_triple() {
    case "$1" in
        x86_64-*) echo 62 ;;
        aarch64-*) echo 183 ;;
        armv7-*) echo 40 ;;
    esac
}
is_static() {
    local headers
    headers=$(readelf -l "$1")
    file -b "$1" | grep -q 'statically linked' && ! grep -q INTERP <<<"$headers"
}
png_size() { # prints WIDTHxHEIGHT of a PNG
    python3 - "$1" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read(24)
assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", "not a PNG"
print("%dx%d" % struct.unpack(">II", data[16:24]))
EOF
}

# Does the binary's `run` know this flag? (features still being added)
run_flags=
run_knows() { grep -q -- "$1" <<<"$run_flags"; }

check_flags_used() { # check_flags_used WHAT FLAG...
    local what=$1 flag
    shift
    for flag in "$@"; do
        if run_knows "$flag"; then
            ok "$what: 'run $flag' is known to the binary"
        else
            pend "$what uses 'run $flag', which the binary does not know yet"
        fi
    done
}

# ----------------------------------------------------------- Synology SPK --
check_spk() {
    local spk=$1 d name
    name=$(basename "$spk")
    d=$WORK/spk/${name%.spk}
    mkdir -p "$d/x" "$d/payload"
    local listing
    listing=$(tar -tvf "$spk") || { bad "$name: not a tar"; return; }
    file -b "$spk" | grep -q 'tar archive' || bad "$name: not an uncompressed tar ($(file -b "$spk"))"
    local want=(INFO package.tgz scripts/start-stop-status scripts/preinst scripts/postinst scripts/preuninst
        scripts/postuninst scripts/preupgrade scripts/postupgrade conf/privilege conf/resource
        WIZARD_UIFILES/install_uifile PACKAGE_ICON.PNG PACKAGE_ICON_256.PNG)
    local m
    for m in "${want[@]}"; do
        grep -qE "[[:space:]]$m\$" <<<"$listing" || bad "$name: member $m missing"
    done
    if awk '$6 ~ /^scripts\/./ && $1 != "-rwxr-xr-x" {bad=1} END {exit bad}' <<<"$listing"; then
        ok "$name: scripts are 0755"
    else
        bad "$name: a script is not 0755"
    fi
    if awk '$2 != "0/0" {bad=1} END {exit bad}' <<<"$listing"; then ok "$name: members owned by 0/0"; else bad "$name: members not owned by root"; fi
    tar -xf "$spk" -C "$d/x"
    ok "$name: members ($(wc -l <<<"$listing"))"

    # INFO: key="value" lines that sh can source
    if ! sh -n "$d/x/INFO"; then bad "$name: INFO is not shell-sourceable"; return; fi
    local k
    for k in package version os_min_ver arch maintainer description startable displayname; do
        # shellcheck disable=SC1091
        if [ -z "$(. "$d/x/INFO"; eval "printf %s \"\${$k:-}\"")" ]; then bad "$name: INFO $k is missing or empty"; fi
    done
    local package version os_min_ver arch checksum adminport extractsize startable
    # shellcheck disable=SC1091
    eval "$(. "$d/x/INFO"; printf 'package=%q version=%q os_min_ver=%q arch=%q checksum=%q adminport=%q extractsize=%q startable=%q' \
        "$package" "$version" "$os_min_ver" "$arch" "${checksum:-}" "${adminport:-}" "${extractsize:-}" "$startable")"
    [ "$package" = qbitrr-lite ] || bad "$name: INFO package=$package"
    [[ "$version" =~ ^[0-9][0-9._]*-[0-9]+$ ]] || bad "$name: INFO version '$version' is not <feature>-<build>"
    [[ "$os_min_ver" =~ ^([0-9]+)\.([0-9]+)-([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -ge 7 ] \
        || bad "$name: INFO os_min_ver '$os_min_ver' is not >= 7.0-xxxxx"
    [ "$startable" = yes ] || bad "$name: INFO startable=$startable"
    [ "$checksum" = "$(md5sum "$d/x/package.tgz" | cut -d' ' -f1)" ] || bad "$name: INFO checksum does not match package.tgz"
    [[ "$extractsize" =~ ^[0-9]+$ ]] || bad "$name: INFO extractsize '$extractsize'"
    ok "$name: INFO keys (version $version, os_min_ver $os_min_ver)"

    # payload
    tar -xzf "$d/x/package.tgz" -C "$d/payload"
    local bin=$d/payload/bin/qbitrr-lite
    [ -x "$bin" ] || { bad "$name: package.tgz has no executable bin/qbitrr-lite"; return; }
    is_static "$bin" && ok "$name: bin/qbitrr-lite is static" || bad "$name: bin/qbitrr-lite is not static"
    local machine family
    machine=$(elf_machine "$bin")
    case "$machine" in 62) family=x86_64 ;; 183) family=armv8 ;; 40) family=armv7 ;; *) family=unknown ;; esac
    [ "${arch%% *}" = "$family" ] && ok "$name: arch '${arch%% *} ...' matches the ELF machine ($machine)" \
        || bad "$name: arch '$arch' but the binary is ELF machine $machine"

    # conf/
    python3 - "$d/x/conf/privilege" "$d/x/conf/resource" "$d/payload" "$adminport" <<'EOF' && ok "$name: conf/privilege, conf/resource, .sc port" || bad "$name: conf/ checks"
import json, os, re, sys
priv = json.load(open(sys.argv[1]))
assert priv["defaults"]["run-as"] == "package", "privilege: run-as must be package"
res = json.load(open(sys.argv[2]))
sc = os.path.join(sys.argv[3], res["port-config"]["protocol-file"])
text = open(sc).read()
ports = re.search(r'dst\.ports="(\d+)/tcp"', text)
assert ports, "no dst.ports in the .sc file"
assert ports.group(1) == sys.argv[4], "the .sc port %s is not INFO adminport %s" % (ports.group(1), sys.argv[4])
EOF
    [ "$(png_size "$d/x/PACKAGE_ICON.PNG")" = 64x64 ] && [ "$(png_size "$d/x/PACKAGE_ICON_256.PNG")" = 256x256 ] \
        && ok "$name: icons 64x64 and 256x256" || bad "$name: icon sizes"
    for m in "$d"/x/scripts/*; do
        sh -n "$m" || bad "$name: sh -n scripts/$(basename "$m")"
    done
    if [ "$family" = x86_64 ]; then SPK_X86_DIR=$d; fi
}

# Starts cross/fake_upstreams.py (logging to $2) and, once both listen, leaves
# "QBIT_PORT RADARR_PORT FREE_PORT" in $1 (the last for a status server).
start_fakes() {
    python3 cross/fake_upstreams.py --ports-file "$1.fakes" --log "$2" &
    pids+=($!)
    for _ in $(seq 1 50); do [ -s "$1.fakes" ] && break; sleep 0.1; done
    printf '%s %s\n' "$(cat "$1.fakes")" \
        "$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')" >"$1"
}

# Runs the x86_64 SPK's scripts the way DSM 7 does.
exercise_spk() {
    local d=$1 dsm=$WORK/dsm/qbitrr-lite
    mkdir -p "$dsm/target" "$dsm/var"
    cp -a "$d/payload/." "$dsm/target/"
    export SYNOPKG_PKGNAME=qbitrr-lite SYNOPKG_PKGDEST=$dsm/target SYNOPKG_PKGVAR=$dsm/var \
        SYNOPKG_TEMP_LOGFILE=$WORK/dsm/temp.log SYNOPKG_DSM_VERSION_MAJOR=7 SYNOPKG_PKG_STATUS=INSTALL
    local s=$d/x/scripts rc
    : >"$SYNOPKG_TEMP_LOGFILE"
    "$s/preinst" && "$s/postinst" || { bad "SPK: preinst/postinst failed: $(cat "$SYNOPKG_TEMP_LOGFILE")"; return; }
    [ -s "$dsm/var/config.toml" ] && ok "SPK postinst: example config.toml in SYNOPKG_PKGVAR" || bad "SPK postinst wrote no config.toml"
    [ "$(stat -c %a "$dsm/var/config.toml")" = 600 ] || bad "SPK: config.toml is not 0600"
    rc=0; "$s/start-stop-status" status || rc=$?
    [ "$rc" = 3 ] && ok "SPK status before start: 3" || bad "SPK status before start: $rc (want 3)"

    # The example config is not usable yet (CHANGE_ME): start must fail and say why.
    rc=0; "$s/start-stop-status" start 2>/dev/null || rc=$?
    if [ "$rc" != 0 ] && grep -q . "$SYNOPKG_TEMP_LOGFILE"; then
        ok "SPK start with the unedited example config fails with a message for the user"
    else
        bad "SPK start with the example config: rc=$rc, message: $(cat "$SYNOPKG_TEMP_LOGFILE")"
    fi

    # A real config against the fakes.
    local qport rport wport
    start_fakes "$WORK/ports" "$WORK/upstreams.log"
    read -r qport rport wport <"$WORK/ports"
    cat >"$dsm/var/config.toml" <<EOF
[Settings]
LoopSleepTimer = 1
[WebUI]
Host = "127.0.0.1"
Port = $wport
[qBit]
Host = "127.0.0.1"
Port = $qport
UserName = "admin"
Password = "x"
[Radarr-Smoke]
URI = "http://127.0.0.1:$rport"
APIKey = "0123456789abcdef0123456789abcdef"
Category = "radarr-smoke"
EOF
    : >"$SYNOPKG_TEMP_LOGFILE"
    rc=0; "$s/start-stop-status" start || rc=$?
    [ "$rc" = 0 ] && ok "SPK start: 0" || { bad "SPK start: $rc $(cat "$SYNOPKG_TEMP_LOGFILE") $(cat "$dsm/var/qbitrr-lite.out")"; return; }
    rc=0; "$s/start-stop-status" status || rc=$?
    [ "$rc" = 0 ] && ok "SPK status while running: 0" || bad "SPK status while running: $rc"
    local pid
    pid=$(cat "$dsm/var/qbitrr-lite.pid")
    for _ in $(seq 1 100); do grep -q '^radarr GET /api/v3/queue' "$WORK/upstreams.log" 2>/dev/null && break; sleep 0.1; done
    grep -q '^radarr GET /api/v3/queue' "$WORK/upstreams.log" && ok "SPK: the daemon polls the (fake) Radarr" \
        || bad "SPK: the daemon never polled the fake Radarr"
    if grep -aqF /health "$dsm/target/bin/qbitrr-lite"; then
        local answer=
        for _ in $(seq 1 50); do
            answer=$(python3 -c "import urllib.request as u; r=u.urlopen('http://127.0.0.1:$wport/health', timeout=3); print(r.status, r.read().decode())" 2>/dev/null) && break
            sleep 0.2
        done
        [[ "$answer" == 200* ]] && ok "SPK: GET /health -> $answer" || bad "SPK: GET /health -> ${answer:-no answer}"
    else
        pend "SPK: GET /health (no status server in this binary yet)"
    fi
    local t0=$SECONDS
    : >"$SYNOPKG_TEMP_LOGFILE"
    rc=0; "$s/start-stop-status" stop || rc=$?
    [ "$rc" = 0 ] && ok "SPK stop: 0 after $((SECONDS - t0)) s" || bad "SPK stop: $rc $(cat "$SYNOPKG_TEMP_LOGFILE")"
    kill -0 "$pid" 2>/dev/null && bad "SPK: daemon $pid still alive after stop"
    grep -q 'killing it' "$SYNOPKG_TEMP_LOGFILE" && bad "SPK stop needed SIGKILL"
    grep -qs 'stopped cleanly' "$dsm/var/qbitrr-lite.out" "$dsm/var/logs/"* \
        && ok "SPK: SIGTERM -> 'stopped cleanly'" || bad "SPK: no 'stopped cleanly' after stop: $(tail -5 "$dsm/var/qbitrr-lite.out")"
    rc=0; "$s/start-stop-status" status || rc=$?
    [ "$rc" = 3 ] && ok "SPK status after stop: 3" || bad "SPK status after stop: $rc"
    [ -s "$dsm/var/qbitrr-lite.redb" ] && ok "SPK: store in SYNOPKG_PKGVAR" || bad "SPK: no store in SYNOPKG_PKGVAR"

    # Upgrade: DSM replaces target/, keeps var/, runs the hooks.
    local sum_before
    sum_before=$(md5sum "$dsm/var/config.toml" "$dsm/var/qbitrr-lite.redb")
    export SYNOPKG_PKG_STATUS=UPGRADE
    "$s/preupgrade" && "$s/preuninst" && rm -rf "$dsm/target" && "$s/postuninst" \
        && mkdir -p "$dsm/target" && cp -a "$d/payload/." "$dsm/target/" && "$s/preinst" && "$s/postinst" && "$s/postupgrade" \
        || bad "SPK upgrade hooks failed"
    [ "$sum_before" = "$(md5sum "$dsm/var/config.toml" "$dsm/var/qbitrr-lite.redb")" ] \
        && ok "SPK upgrade keeps config.toml and the store" || bad "SPK upgrade changed config.toml or the store"
    rc=0; "$s/start-stop-status" start || rc=$?
    [ "$rc" = 0 ] && "$s/start-stop-status" status && "$s/start-stop-status" stop \
        && ok "SPK after upgrade: start, status 0, stop" || bad "SPK after upgrade: start/status/stop"

    # A first install through the wizard: its answers make a config that `check` accepts
    # (against the fakes); answers that make no valid config leave the example instead.
    local wiz=$WORK/dsm-wizard/qbitrr-lite
    mkdir -p "$wiz/target" "$wiz/var"
    cp -a "$d/payload/." "$wiz/target/"
    export SYNOPKG_PKG_STATUS=INSTALL SYNOPKG_PKGDEST=$wiz/target SYNOPKG_PKGVAR=$wiz/var
    : >"$SYNOPKG_TEMP_LOGFILE"
    if wizard_qbit_url="http://127.0.0.1:$qport" wizard_qbit_user=admin wizard_qbit_password='p"w\d' \
        wizard_arr_kind=radarr wizard_arr_url="http://127.0.0.1:$rport" \
        wizard_arr_key=0123456789abcdef0123456789abcdef wizard_arr_category=radarr \
        "$s/preinst" && \
        wizard_qbit_url="http://127.0.0.1:$qport" wizard_qbit_user=admin wizard_qbit_password='p"w\d' \
        wizard_arr_kind=radarr wizard_arr_url="http://127.0.0.1:$rport" \
        wizard_arr_key=0123456789abcdef0123456789abcdef wizard_arr_category=radarr \
        "$s/postinst"; then
        if grep -q '^\[Radarr-Movies\]' "$wiz/var/config.toml" && grep -qF 'Password = "p\"w\\d"' "$wiz/var/config.toml" \
            && "$wiz/target/bin/qbitrr-lite" check --config "$wiz/var/config.toml" >/dev/null 2>&1 \
            && [ "$(stat -c %a "$wiz/var/config.toml")" = 600 ]; then
            ok "SPK wizard: its answers make a 0600 config that check accepts against the fakes"
        else
            bad "SPK wizard: config from the answers: $(cat "$wiz/var/config.toml" "$SYNOPKG_TEMP_LOGFILE" 2>&1 | tail -20)"
        fi
    else
        bad "SPK wizard: preinst/postinst failed: $(cat "$SYNOPKG_TEMP_LOGFILE")"
    fi
    rm -f "$wiz/var/config.toml"
    : >"$SYNOPKG_TEMP_LOGFILE"
    wizard_qbit_url="http://127.0.0.1:$qport" wizard_qbit_password=x wizard_arr_url="http://127.0.0.1:$rport" \
        wizard_arr_key=abc wizard_arr_category=/bad/ "$s/postinst" \
        && grep -q CHANGE_ME "$wiz/var/config.toml" && grep -q 'example was written instead' "$SYNOPKG_TEMP_LOGFILE" \
        && ok "SPK wizard: answers that make no valid config leave the example, and say why" \
        || bad "SPK wizard: invalid answers: $(cat "$SYNOPKG_TEMP_LOGFILE")"
    unset SYNOPKG_PKGNAME SYNOPKG_PKGDEST SYNOPKG_PKGVAR SYNOPKG_TEMP_LOGFILE SYNOPKG_DSM_VERSION_MAJOR SYNOPKG_PKG_STATUS
}

# ------------------------------------------------------------ OpenWrt ipk --
openwrt_arch_machine() {
    case "$1" in
        x86_64) echo 62 ;;
        aarch64_*) echo 183 ;;
        arm_cortex-a*) echo 40 ;;
        *) echo 0 ;;
    esac
}

check_ipk() {
    local ipk=$1 name d
    name=$(basename "$ipk")
    d=$WORK/ipk/${name%.ipk}
    mkdir -p "$d/outer" "$d/control" "$d/data"
    file -b "$ipk" | grep -q 'gzip compressed' || bad "$name: not gzip"
    local members
    members=$(tar -tzf "$ipk" | sort | tr '\n' ' ')
    [ "$members" = "./control.tar.gz ./data.tar.gz ./debian-binary " ] \
        && ok "$name: outer members" || bad "$name: outer members are '$members'"
    tar -xzf "$ipk" -C "$d/outer"
    [ "$(cat "$d/outer/debian-binary")" = 2.0 ] || bad "$name: debian-binary is not 2.0"
    tar -xzf "$d/outer/control.tar.gz" -C "$d/control"
    tar -xzf "$d/outer/data.tar.gz" -C "$d/data"
    local f field
    for field in Package Version Architecture Maintainer Description Installed-Size License Section; do
        grep -q "^$field: ." "$d/control/control" || bad "$name: control has no $field"
    done
    local arch version
    arch=$(sed -n 's/^Architecture: //p' "$d/control/control")
    version=$(sed -n 's/^Version: //p' "$d/control/control")
    [[ "$version" =~ ^[0-9][0-9.]*-r[0-9]+$ ]] || bad "$name: Version '$version'"
    [ "$name" = "qbitrr-lite_${version}_${arch}.ipk" ] || bad "$name: file name does not match Version/Architecture"
    ok "$name: control fields (Architecture $arch, Version $version)"
    for f in postinst prerm; do
        [ -x "$d/control/$f" ] && sh -n "$d/control/$f" || bad "$name: control/$f"
    done
    while read -r f; do
        [ -e "$d/data$f" ] || bad "$name: conffile $f is not in data"
    done <"$d/control/conffiles"
    local bin=$d/data/usr/bin/qbitrr-lite
    [ "$(stat -c %a "$bin")" = 755 ] && is_static "$bin" && ok "$name: /usr/bin/qbitrr-lite 0755, static" || bad "$name: /usr/bin/qbitrr-lite"
    [ "$(elf_machine "$bin")" = "$(openwrt_arch_machine "$arch")" ] \
        && ok "$name: binary matches $arch" || bad "$name: binary (ELF $(elf_machine "$bin")) does not match $arch"
    [ "$(stat -c %a "$d/data/etc/init.d/qbitrr-lite")" = 755 ] || bad "$name: init script is not 0755"
    head -n1 "$d/data/etc/init.d/qbitrr-lite" | grep -qx '#!/bin/sh /etc/rc.common' || bad "$name: init script shebang"
    grep -qx 'USE_PROCD=1' "$d/data/etc/init.d/qbitrr-lite" || bad "$name: init script lacks USE_PROCD=1"
    [ -f "$d/data/etc/config/qbitrr-lite" ] || bad "$name: no /etc/config/qbitrr-lite"
    [ -f "$d/data/lib/upgrade/keep.d/qbitrr-lite" ] || bad "$name: no sysupgrade keep.d entry"
    IPK_DATA_DIR=$d/data
}

# Runs start_service of the init script with stub procd/UCI functions and
# prints what it asked procd for.
procd_stub() { # procd_stub INIT (UCI options from UCI_<option> variables)
    # shellcheck disable=SC2016 # the script is for dash, expanded there
    dash -c '
        config_load() { :; }
        config_get() { eval "v=\${UCI_$3:-}"; [ -n "$v" ] || v=$4; eval "$1=\$v"; }
        config_get_bool() { config_get "$@"; }
        procd_open_instance() { echo "OPEN"; }
        procd_set_param() { echo "SET $*"; }
        procd_append_param() { echo "APPEND $*"; }
        procd_close_instance() { echo "CLOSE"; }
        procd_add_reload_trigger() { echo "TRIGGER $*"; }
        . "$1"
        start_service
        service_triggers
    ' sh "$1" </dev/null
}

check_init_script() {
    local init=$1 out
    mkdir -p "$WORK/owrt"
    : >"$WORK/owrt/config.toml"
    out=$(UCI_config=$WORK/owrt/config.toml UCI_data_dir=$WORK/owrt/data UCI_user=no-such-user UCI_dry_run=0 procd_stub "$init")
    local want_cmd="SET command /usr/bin/qbitrr-lite run --config $WORK/owrt/config.toml --data-dir $WORK/owrt/data --log-stdout"
    grep -qxF "$want_cmd" <<<"$out" && ok "procd: command line" || bad "procd: command line; got: $(grep 'SET command' <<<"$out")"
    grep -qx 'SET respawn [0-9]* [0-9]* [0-9]*' <<<"$out" && ok "procd: respawn" || bad "procd: no respawn"
    grep -qx 'SET stdout 1' <<<"$out" && grep -qx 'SET stderr 1' <<<"$out" && ok "procd: stdout/stderr to logd" || bad "procd: stdout/stderr"
    grep -qx 'SET term_timeout 10' <<<"$out" && ok "procd: term_timeout 10" || bad "procd: term_timeout"
    grep -qx 'SET user root' <<<"$out" && ok "procd: falls back to root without the user" || bad "procd: user fallback"
    grep -qx 'TRIGGER qbitrr-lite' <<<"$out" || bad "procd: no reload trigger"
    [ -d "$WORK/owrt/data" ] || bad "procd: data_dir not created"
    out=$(UCI_config=$WORK/owrt/config.toml UCI_data_dir=$WORK/owrt/data UCI_user=root UCI_dry_run=1 procd_stub "$init")
    grep -qx 'APPEND command --dry-run' <<<"$out" && ok "procd: dry_run appends --dry-run" || bad "procd: dry_run"
    out=$(UCI_config=$WORK/owrt/missing.toml procd_stub "$init" 2>&1 || true)
    grep -q OPEN <<<"$out" && bad "procd: starts without a config file" || ok "procd: no instance without a config file"
    out=$(UCI_config=$WORK/owrt/config.toml UCI_enabled=0 procd_stub "$init")
    grep -q OPEN <<<"$out" && bad "procd: starts although disabled" || ok "procd: enabled=0 starts nothing"
}

# -------------------------------------------------------- systemd tarball --
check_systemd_tarball() {
    local tgz=$1 name d
    name=$(basename "$tgz")
    d=$WORK/sd/${name%.tar.gz}
    mkdir -p "$d"
    tar -xzf "$tgz" -C "$d"
    local top
    top=$(ls "$d")
    local f
    for f in qbitrr-lite install.sh qbitrr-lite.service qbitrr-lite.sysusers; do
        [ -f "$d/$top/$f" ] || bad "$name: no $top/$f"
    done
    [ -x "$d/$top/qbitrr-lite" ] && [ -x "$d/$top/install.sh" ] && ok "$name: members and modes" || bad "$name: modes"
    cmp -s "$d/$top/qbitrr-lite.service" packaging/systemd/qbitrr-lite.service || bad "$name: unit differs from packaging/systemd"
    if [ "$(elf_machine "$d/$top/qbitrr-lite")" = 62 ]; then
        local r=$WORK/sdinstall
        "$d/$top/install.sh" --root "$r" >/dev/null || { bad "$name: install.sh --root failed"; return; }
        [ -x "$r/usr/local/bin/qbitrr-lite" ] && [ -f "$r/etc/systemd/system/qbitrr-lite.service" ] \
            && [ -f "$r/etc/sysusers.d/qbitrr-lite.conf" ] && [ "$(stat -c %a "$r/etc/qbitrr-lite/config.toml")" = 640 ] \
            && [ "$(stat -c %a "$r/etc/qbitrr-lite")" = 750 ] \
            && ok "install.sh --root: binary, unit, sysusers, config.toml 0640 in a 0750 dir" || bad "install.sh --root: files"
        echo '# edited' >>"$r/etc/qbitrr-lite/config.toml"
        "$d/$top/install.sh" --root "$r" >/dev/null && grep -q '^# edited' "$r/etc/qbitrr-lite/config.toml" \
            && ok "install.sh again keeps the edited config.toml" || bad "install.sh re-run lost config.toml"
        "$d/$top/install.sh" --root "$r" --uninstall >/dev/null && [ ! -e "$r/usr/local/bin/qbitrr-lite" ] \
            && [ ! -e "$r/etc/systemd/system/qbitrr-lite.service" ] && [ -f "$r/etc/qbitrr-lite/config.toml" ] \
            && ok "install.sh --uninstall removes the service, keeps the config" || bad "install.sh --uninstall"
        SYSTEMD_X86_BIN=$d/$top/qbitrr-lite
    fi
}

# ---------------------------------------------------------- container image --
# The multi-arch OCI archive: each architecture's config (entrypoint, command, /config,
# port, HEALTHCHECK) as skopeo reads it, each layer's binary for that machine; and, as
# root, the amd64 image's root filesystem run the way a runtime would (chroot, its
# command, against the fakes): /health 200 and its HEALTHCHECK command exits 0.
# The digest of the first layer of the image for ARCH (and VARIANT) in OCI layout LAYOUT.
oci_layer() {
    python3 -c '
import json, os, sys
layout, arch, variant = sys.argv[1:4]
def blob(digest):
    return json.load(open(os.path.join(layout, "blobs", "sha256", digest.split(":")[1])))
index = json.load(open(os.path.join(layout, "index.json")))
images = blob(index["manifests"][0]["digest"])
for m in images["manifests"]:
    p = m["platform"]
    if p["architecture"] == arch and p.get("variant", "") == variant:
        print(blob(m["digest"])["layers"][0]["digest"].split(":")[1])
        break
else:
    sys.exit("no image for " + arch)
' "$1" "$2" "${3:-}"
}

check_oci() {
    local archive=$1 name version layout
    name=$(basename "$archive" .tar)
    version=${name#qbitrr-lite-}
    version=${version%-oci}
    layout=$WORK/oci/$name
    mkdir -p "$layout"
    tar -xf "$archive" -C "$layout" || { bad "$name: not a tar"; return; }
    local spec machine arch variant config layer bin
    for spec in x86_64:amd64: aarch64:arm64:v8 armv7:arm:v7; do
        IFS=: read -r machine arch variant <<<"$spec"
        # Each architecture packaged here (a systemd tarball) has its image.
        compgen -G "$PKG_DIR/qbitrr-lite-*-$machine-*-systemd.tar.gz" >/dev/null || continue
        local flags=(--override-arch "$arch")
        [ -n "$variant" ] && flags+=(--override-variant "$variant")
        config=$(skopeo inspect "${flags[@]}" --config --raw "oci:$layout:$version" 2>&1) || { bad "$name $arch: $config"; continue; }
        if python3 -c '
import json, sys
c = json.loads(sys.argv[1]); cfg = c["config"]
assert c["architecture"] == sys.argv[2] and c["os"] == "linux", c
assert cfg["Entrypoint"] == ["/qbitrr-lite"], cfg
assert cfg["Cmd"][:3] == ["run", "--config", "/config/config.toml"] and "--log-stdout" in cfg["Cmd"], cfg
assert "/config" in cfg["Volumes"] and "6969/tcp" in cfg["ExposedPorts"], cfg
assert cfg["Healthcheck"]["Test"][:3] == ["CMD", "/qbitrr-lite", "health"], cfg
' "$config" "$arch"; then
            ok "$name $arch: entrypoint, command, /config, port 6969, HEALTHCHECK"
        else
            bad "$name $arch: image config $config"
        fi
        # The layer's binary is for that machine.
        bin=$WORK/oci/$arch.bin
        layer=$(oci_layer "$layout" "$arch" "$variant") || { bad "$name $arch: no manifest"; continue; }
        tar -xzOf "$layout/blobs/sha256/$layer" qbitrr-lite >"$bin" 2>/dev/null || { bad "$name $arch: no /qbitrr-lite in the layer"; continue; }
        if [ "$(elf_machine "$bin")" = "$(machine_of_triple "$machine-")" ]; then
            ok "$name $arch: /qbitrr-lite is a $machine binary"
        else
            bad "$name $arch: /qbitrr-lite is ELF machine $(elf_machine "$bin")"
        fi
    done
    if [ "$(id -u)" -ne 0 ]; then
        pend "$name: running the amd64 image needs root (chroot)"
        return
    fi
    local root=$WORK/oci/rootfs
    mkdir -p "$root"
    layer=$(oci_layer "$layout" amd64) || { bad "$name: no amd64 image"; return; }
    tar -xzf "$layout/blobs/sha256/$layer" -C "$root"
    # What a runtime provides and the image does not hold: /dev/urandom (the token).
    mkdir -p "$root/dev"
    mknod -m 444 "$root/dev/urandom" c 1 9
    local qport rport wport
    start_fakes "$WORK/oci-ports" "$WORK/oci-upstreams.log"
    read -r qport rport wport <"$WORK/oci-ports"
    printf '%s\n' '[Settings]' 'LoopSleepTimer = 1' '[WebUI]' 'Host = "127.0.0.1"' "Port = $wport" \
        '[qBit]' "Host = \"http://127.0.0.1:$qport\"" 'UserName = "admin"' 'Password = "x"' \
        '[Radarr-Image]' "URI = \"http://127.0.0.1:$rport\"" 'APIKey = "0123456789abcdef0123456789abcdef"' \
        'Category = "radarr"' >"$root/config/config.toml"
    chroot "$root" /qbitrr-lite run --config /config/config.toml --data-dir /config --log-stdout \
        >"$WORK/oci-run.log" 2>&1 &
    local pid=$! answer=
    pids+=("$pid")
    for _ in $(seq 1 50); do
        answer=$(python3 -c "import urllib.request as u; r=u.urlopen('http://127.0.0.1:$wport/health', timeout=3); print(r.status)" 2>/dev/null) && break
        sleep 0.2
    done
    if [ "$answer" = 200 ]; then
        ok "$name: the amd64 image runs (chroot, its command): /health 200"
    else
        bad "$name: /health from the image: ${answer:-no answer} $(tail -5 "$WORK/oci-run.log")"
    fi
    if chroot "$root" /qbitrr-lite health --config /config/config.toml >/dev/null 2>&1; then
        ok "$name: its HEALTHCHECK command exits 0"
    else
        bad "$name: its HEALTHCHECK command failed"
    fi
    kill -TERM "$pid" 2>/dev/null
    local rc=0
    wait "$pid" || rc=$?
    if [ "$rc" = 0 ] && [ -s "$root/config/qbitrr-lite.redb" ]; then
        ok "$name: SIGTERM -> 0, the store in /config"
    else
        bad "$name: stop rc=$rc"
    fi
}

SPK_X86_DIR=
IPK_DATA_DIR=
SYSTEMD_X86_BIN=
spks=("$PKG_DIR"/*.spk)
ipks=("$PKG_DIR"/*.ipk)
sdtars=("$PKG_DIR"/*-systemd.tar.gz)
owrt_tars=("$PKG_DIR"/*-openwrt-*.tar.gz)
[ ${#spks[@]} -gt 0 ] || bad "no .spk in $PKG_DIR"
[ ${#ipks[@]} -gt 0 ] || bad "no .ipk in $PKG_DIR"
[ ${#sdtars[@]} -gt 0 ] || bad "no systemd tarball in $PKG_DIR"
[ ${#owrt_tars[@]} -gt 0 ] || bad "no OpenWrt tarball in $PKG_DIR"

for p in "${spks[@]}"; do check_spk "$p"; done
for p in "${ipks[@]}"; do check_ipk "$p"; done
for p in "${owrt_tars[@]}"; do
    members=$(tar -tzf "$p")
    if grep -qx './usr/bin/qbitrr-lite' <<<"$members" && grep -qx './etc/init.d/qbitrr-lite' <<<"$members"; then
        ok "$(basename "$p"): usr/bin and etc/init.d"
    else
        bad "$(basename "$p"): members"
    fi
done
for p in "${sdtars[@]}"; do check_systemd_tarball "$p"; done
ocis=("$PKG_DIR"/*-oci.tar)
if [ -e "${ocis[0]}" ]; then
    for p in "${ocis[@]}"; do check_oci "$p"; done
else
    bad "no OCI image archive in $PKG_DIR"
fi

if [ -n "$IPK_DATA_DIR" ]; then check_init_script "$IPK_DATA_DIR/etc/init.d/qbitrr-lite"; fi

# Runtime checks need a binary that runs here: the x86_64 one.
if [ -n "$SYSTEMD_X86_BIN" ]; then
    verify_unit "$SYSTEMD_X86_BIN"
    run_flags=$("$SYSTEMD_X86_BIN" run --help 2>&1 || true)
    exec_start=$(sed -n 's/^ExecStart=//p' packaging/systemd/qbitrr-lite.service)
    # shellcheck disable=SC2046
    check_flags_used "systemd unit" $(grep -o -- '--[a-z-]*' <<<"$exec_start")
    # shellcheck disable=SC2046
    check_flags_used "OpenWrt init script" $(grep 'procd_.*_param command' packaging/openwrt/files/qbitrr-lite.init | grep -o -- '--[a-z-]*')
else
    stub=$WORK/stub
    printf '#!/bin/sh\n' >"$stub"
    verify_unit "$stub"
    pend "no x86_64 packages: install.sh and the daemon flags were not exercised"
fi
if [ -n "$SPK_X86_DIR" ]; then
    exercise_spk "$SPK_X86_DIR"
else
    pend "no x86_64 SPK: start-stop-status was not exercised"
fi

echo "check-packaging: $checks passed, $failures failed"
if [ ${#pending[@]} -gt 0 ]; then
    echo "check-packaging: pending (${#pending[@]}):"
    printf '  - %s\n' "${pending[@]}"
fi
[ "$failures" -eq 0 ]
