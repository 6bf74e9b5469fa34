#!/usr/bin/env bash
# Smoke-tests one built qbitrr-lite binary, natively or under qemu-user
# (called explicitly: binfmt_misc is not assumed).
#
#   cross/smoke.sh BINARY [RUST_TRIPLE]
#
# 1. `file` says statically linked, no ELF interpreter; with SMOKE_UNWIND_PROBE
#    set, that probe (cross/unwind-probe) shows a panic unwinds on this target
# 2. `--version` prints "qbitrr-lite <Cargo.toml version>", `gen-config` prints a config
# 3. starts cross/fake_upstreams.py (fake qBittorrent + Radarr on 127.0.0.1)
# 4. `check --config` passes against them and fails against a closed port
# 5. `run` for real: the daemon logs in, polls torrents/info and the Radarr
#    queue, answers GET /health with 200 {"status":"ok",...}, writes its store,
#    then SIGTERM -> exit code 0 within 10 s
#
# Steps whose feature is not in the binary yet (`check`, `run --log-stdout`,
# the /health status server) are reported as SKIPPED; SMOKE_STRICT=1 turns a
# skip into a failure. Everything started here is stopped by PID on exit.
set -euo pipefail

[ $# -ge 1 ] || { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
BIN=$(readlink -f "$1")
TRIPLE=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
STRICT=${SMOKE_STRICT:-0}
# qemu-user makes start-up and every request slower; be generous.
WAIT_SECS=${SMOKE_WAIT_SECS:-60}

name=$(basename "$BIN")
say() { printf 'smoke[%s]: %s\n' "${TRIPLE:-$name}" "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }
skipped=()
skip() {
    say "SKIPPED: $*"
    skipped+=("$*")
    [ "$STRICT" != 1 ] || fail "strict mode: $*"
}

[ -x "$BIN" ] || fail "$BIN is not an executable file"
if [ -z "$TRIPLE" ]; then
    case "$(file -b "$BIN")" in
        *x86-64*) TRIPLE=x86_64-unknown-linux-musl ;;
        *aarch64*) TRIPLE=aarch64-unknown-linux-musl ;;
        *ARM*) TRIPLE=armv7-unknown-linux-musleabihf ;;
        *) fail "cannot tell the architecture of $BIN: $(file -b "$BIN")" ;;
    esac
fi

qemu_for() {
    local q
    for q in "$1" "$1-static"; do
        if command -v "$q" >/dev/null 2>&1; then
            printf '%s\n' "$q"
            return
        fi
    done
    fail "$1 not found (Debian package qemu-user; cross/build.sh installs it)"
}

# qemu emulates a named CPU, not its "max" default, so that an instruction
# newer than the oldest cores we claim to support would fail here: Cortex-A53
# (ARMv8.0: Raspberry Pi 3, RTD1296/RTD1619B NAS, most aarch64 routers) and
# Cortex-A7 (Raspberry Pi 2, ipq40xx and mt7623 routers).
QEMU_CPU_AARCH64=${SMOKE_QEMU_CPU_AARCH64:-cortex-a53}
QEMU_CPU_ARM=${SMOKE_QEMU_CPU_ARM:-cortex-a7}
host=$(uname -m)
case "$TRIPLE" in
    x86_64-*) [ "$host" = x86_64 ] && runner=() || runner=("$(qemu_for qemu-x86_64)") ;;
    aarch64-*) [ "$host" = aarch64 ] && runner=() || runner=("$(qemu_for qemu-aarch64)" -cpu "$QEMU_CPU_AARCH64") ;;
    armv7-*) runner=("$(qemu_for qemu-arm)" -cpu "$QEMU_CPU_ARM") ;;
    *) fail "unsupported triple $TRIPLE" ;;
esac
run_bin() { "${runner[@]}" "$BIN" "$@"; }
say "running ${runner[*]:-natively} $BIN"

# --- 1. static -------------------------------------------------------------
desc=$(file -b "$BIN")
case "$desc" in
    *"statically linked"*) say "ok: file: $desc" ;;
    *) fail "not statically linked: $desc" ;;
esac
headers=$(readelf -l "$BIN")
if grep -q INTERP <<<"$headers"; then fail "has an ELF interpreter (PT_INTERP)"; fi

# --- 1b. unwinding ----------------------------------------------------------
# SMOKE_UNWIND_PROBE: cross/unwind-probe built for the same target.
if [ -n "${SMOKE_UNWIND_PROBE:-}" ]; then
    probe_out=$("${runner[@]}" "$SMOKE_UNWIND_PROBE" 2>&1) || fail "unwind probe failed: $probe_out"
    grep -qx 'unwind ok' <<<"$probe_out" || fail "unwind probe: $probe_out"
    say "ok: a panic unwinds (thread join and catch_unwind, destructors run)"
fi

# --- 2. --version, gen-config ---------------------------------------------
want_version="qbitrr-lite $(sed -n 's/^version *= *"\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n1)"
got_version=$(run_bin --version)
[ "$got_version" = "$want_version" ] || fail "--version printed '$got_version', expected '$want_version'"
say "ok: --version: $got_version"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/qbitrr-lite-smoke.XXXXXX")
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
    done
    for p in "${pids[@]}"; do
        wait "$p" 2>/dev/null || true
    done
    if [ "${SMOKE_KEEP:-0}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

run_bin gen-config >"$WORK/example.toml"
grep -q '^\[qBit\]' "$WORK/example.toml" || fail "gen-config printed no [qBit] section"
say "ok: gen-config ($(wc -l <"$WORK/example.toml") lines)"

help=$(run_bin --help 2>&1 || true)
run_help=$(run_bin run --help 2>&1 || true)
has_check=0
has_log_stdout=0
has_health=0
grep -qE '^[[:space:]]+check[[:space:]]' <<<"$help" && has_check=1
grep -q -- '--log-stdout' <<<"$run_help" && has_log_stdout=1
# The status server's route is a literal in the binary once it exists.
grep -aqF '/health' "$BIN" && has_health=1

# --- 3. fake upstreams -----------------------------------------------------
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
python3 "$HERE/fake_upstreams.py" --ports-file "$WORK/ports" --log "$WORK/upstreams.log" &
pids+=($!)
for _ in $(seq 1 50); do
    [ -s "$WORK/ports" ] && break
    sleep 0.1
done
[ -s "$WORK/ports" ] || fail "fake upstreams did not start"
read -r QBIT_PORT RADARR_PORT <"$WORK/ports"
WEBUI_PORT=$(free_port)
say "fake qBittorrent on 127.0.0.1:$QBIT_PORT, fake Radarr on 127.0.0.1:$RADARR_PORT, status server on 127.0.0.1:$WEBUI_PORT"

write_config() { # write_config FILE QBIT_PORT
    cat >"$1" <<EOF
[Settings]
ConsoleLevel = "INFO"
Logging = true
LoopSleepTimer = 1
QueueRefreshTimer = 5

[WebUI]
Host = "127.0.0.1"
Port = $WEBUI_PORT

[qBit]
Host = "127.0.0.1"
Port = $2
UserName = "admin"
Password = "smoke-test"

[Radarr-Smoke]
Managed = true
URI = "http://127.0.0.1:$RADARR_PORT"
APIKey = "0123456789abcdef0123456789abcdef"
Category = "radarr-smoke"
EOF
}
write_config "$WORK/config.toml" "$QBIT_PORT"

# --- 4. check --------------------------------------------------------------
if [ "$has_check" = 1 ]; then
    run_bin check --config "$WORK/config.toml" >"$WORK/check.out" 2>&1 \
        || { cat "$WORK/check.out" >&2; fail "check failed against the fake upstreams"; }
    say "ok: check passes against the fakes"
    write_config "$WORK/closed.toml" "$(free_port)"
    if run_bin check --config "$WORK/closed.toml" >"$WORK/check-closed.out" 2>&1; then
        cat "$WORK/check-closed.out" >&2
        fail "check passed although qBittorrent's port is closed"
    fi
    say "ok: check fails when qBittorrent is unreachable"
else
    skip "check subcommand (not in this binary yet)"
fi

# --- 5. a real run ---------------------------------------------------------
run_args=(run --config "$WORK/config.toml" --data-dir "$WORK/data")
[ "$has_log_stdout" = 1 ] && run_args+=(--log-stdout)
# Started directly (not through a shell function), so that $! is the daemon
# (or qemu running it) and SIGTERM reaches it.
"${runner[@]}" "$BIN" "${run_args[@]}" >"$WORK/daemon.out" 2>&1 &
daemon=$!
pids+=("$daemon")

# At least two passes: log in, then torrents/info and the Radarr queue, twice (the queue is
# read again after QueueRefreshTimer, 5 s here).
polls() { grep -c "$1" "$WORK/upstreams.log" 2>/dev/null || true; }
deadline=$((SECONDS + WAIT_SECS))
until [ "$(polls '^qbit GET /api/v2/torrents/info.* 200')" -ge 2 ] && [ "$(polls '^radarr GET /api/v3/queue.* 200')" -ge 2 ]; do
    kill -0 "$daemon" 2>/dev/null || { tail -n 30 "$WORK/daemon.out" >&2; fail "the daemon exited early"; }
    [ $SECONDS -lt $deadline ] || { tail -n 30 "$WORK/daemon.out" "$WORK/upstreams.log" >&2; fail "no poll of torrents/info and the Radarr queue within ${WAIT_SECS}s"; }
    sleep 0.5
done
say "ok: the daemon logged in and made two passes over qBittorrent and Radarr"

health() { # prints "STATUS BODY", or "000 error" when nothing answers
    python3 - "$WEBUI_PORT" <<'EOF'
import sys, urllib.request, urllib.error
url = "http://127.0.0.1:%s/health" % sys.argv[1]
try:
    with urllib.request.urlopen(url, timeout=5) as r:
        print(r.status, r.read().decode(errors="replace"))
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode(errors="replace"))
except Exception as e:
    print("000", e)
EOF
}
if [ "$has_health" = 1 ]; then
    answer="000"
    deadline=$((SECONDS + WAIT_SECS))
    while :; do
        answer=$(health)
        case "$answer" in 200\ *) break ;; esac
        kill -0 "$daemon" 2>/dev/null || { tail -n 30 "$WORK/daemon.out" >&2; fail "the daemon exited early"; }
        [ $SECONDS -lt $deadline ] || { tail -n 30 "$WORK/daemon.out" >&2; fail "GET /health never answered 200 (last: $answer)"; }
        sleep 0.5
    done
    case "$answer" in
        *'"status":"ok"'* | *'"status": "ok"'*) say "ok: GET /health -> $answer" ;;
        *) fail "GET /health answered 200 without \"status\":\"ok\": $answer" ;;
    esac
else
    skip "GET /health (no status server in this binary yet)"
fi

kill -TERM "$daemon"
stopped=0
for _ in $(seq 1 100); do
    if ! kill -0 "$daemon" 2>/dev/null; then stopped=1; break; fi
    sleep 0.1
done
[ "$stopped" = 1 ] || { tail -n 30 "$WORK/daemon.out" >&2; fail "still running 10 s after SIGTERM"; }
rc=0
wait "$daemon" || rc=$?
remaining=()
for p in "${pids[@]}"; do [ "$p" = "$daemon" ] || remaining+=("$p"); done
pids=("${remaining[@]}")
[ "$rc" = 0 ] || { tail -n 30 "$WORK/daemon.out" >&2; fail "exit code $rc after SIGTERM (expected 0)"; }
grep -q 'stopped cleanly' "$WORK/daemon.out" "$WORK/data/logs/"* 2>/dev/null \
    || { tail -n 30 "$WORK/daemon.out" >&2; fail "no 'stopped cleanly' in the log after SIGTERM"; }
[ -s "$WORK/data/qbitrr-lite.redb" ] || fail "no store at data/qbitrr-lite.redb"
say "ok: SIGTERM -> exit 0, 'stopped cleanly', store written"

if [ ${#skipped[@]} -gt 0 ]; then
    say "passed, with ${#skipped[@]} step(s) skipped: ${skipped[*]}"
else
    say "passed"
fi
