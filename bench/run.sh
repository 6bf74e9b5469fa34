#!/usr/bin/env bash
# Footprint benchmark of qbitrr-lite: memory, CPU per pass, disk writes, start-up,
# threads/fds and request rates against a fake qBittorrent and fake Arrs (bench/fakes.py),
# then the micro-benchmark of the decision core and the torrent-list parser.
#
#   bench/run.sh                 # the committed HEAD, full windows (about 6 minutes on 2 cores)
#   bench/run.sh --quick         # short windows: a smoke test, not numbers to publish
#   BENCH_SOURCE=worktree bench/run.sh   # the working tree instead of HEAD
#   bench/run.sh --only 4x5000   # some scenarios only (KxN)
#   BENCH_MUSL=1 bench/run.sh    # also the static musl build (needs cross/build.sh --setup-only)
#
# The binary is built with the repository's release profile into target/bench (a separate
# target directory, so other builds are not disturbed) from a snapshot of HEAD
# (git archive), so uncommitted edits do not end up in published numbers.
# Only 127.0.0.1 is used. Every process started is stopped by PID on exit.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export CARGO_TARGET_DIR="$repo/target/bench"
source_kind=${BENCH_SOURCE:-head}
mkdir -p "$CARGO_TARGET_DIR"

if [ "$source_kind" = head ]; then
    build_dir="$CARGO_TARGET_DIR/src"
    rm -rf "$build_dir"
    mkdir -p "$build_dir"
    git archive HEAD | tar -x -C "$build_dir"
    commit=$(git rev-parse --short HEAD)
else
    build_dir="$repo"
    commit="$(git rev-parse --short HEAD)+worktree"
fi

start=$(date +%s)
echo "[bench] building the release binary ($source_kind, $commit) into $CARGO_TARGET_DIR" >&2
(cd "$build_dir" && timeout 420 cargo build --release --locked --bin qbitrr-lite 2>&1 | tail -n 2 >&2)
bin="$CARGO_TARGET_DIR/qbitrr-lite.bench"
cp "$CARGO_TARGET_DIR/release/qbitrr-lite" "$bin"
echo "[bench] built in $(( $(date +%s) - start ))s" >&2

results="$CARGO_TARGET_DIR/results"
mkdir -p "$results"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
timeout 540 python3 "$repo/bench/run.py" --binary "$bin" --commit "$commit" --source "$build_dir" \
    --json "$results/$stamp.json" "$@" | tee "$results/$stamp.md"

# Optional: the same measurements on the static musl build (the shipped form), built with the
# cross toolchain cross/build.sh installs (cargo-zigbuild); two scenarios, about two minutes more.
if [ "${BENCH_MUSL:-0}" = 1 ]; then
    zigbuild_venv="${XDG_CACHE_HOME:-$HOME/.cache}/qbitrr-lite-cross/venv/bin"
    if [ -x "$zigbuild_venv/cargo-zigbuild" ]; then
        echo "[bench] building x86_64-unknown-linux-musl with cargo-zigbuild" >&2
        (cd "$build_dir" && PATH="$zigbuild_venv:$PATH" timeout 420 cargo +stable zigbuild --locked --release \
            --target x86_64-unknown-linux-musl --bin qbitrr-lite 2>&1 | tail -n 2 >&2)
        musl_bin="$CARGO_TARGET_DIR/qbitrr-lite.bench-musl"
        cp "$CARGO_TARGET_DIR/x86_64-unknown-linux-musl/release/qbitrr-lite" "$musl_bin"
        echo "" | tee -a "$results/$stamp.md"
        echo "x86_64-unknown-linux-musl (static):" | tee -a "$results/$stamp.md"
        timeout 300 python3 "$repo/bench/run.py" --binary "$musl_bin" --commit "$commit" --source "$build_dir" \
            --target-label x86_64-unknown-linux-musl --only 1x10000,4x5000 --no-startup \
            --json "$results/$stamp-musl.json" | tee -a "$results/$stamp.md"
    else
        echo "[bench] BENCH_MUSL=1 but no cargo-zigbuild (run cross/build.sh --setup-only): skipped" >&2
    fi
fi

if [ -f "$build_dir/benches/decide.rs" ]; then
    echo "[bench] micro-benchmark: cargo bench --bench decide" >&2
    quick=()
    case " $* " in *" --quick "*) quick=(--quick) ;; esac
    (cd "$build_dir" && timeout 300 cargo bench --locked --bench decide -- "${quick[@]}" 2>/dev/null) \
        | tee -a "$results/$stamp.md"
else
    echo "[bench] no benches/decide.rs in this source: micro-benchmark skipped" >&2
fi
echo "[bench] done in $(( $(date +%s) - start ))s; results in $results/$stamp.md and .json" >&2
