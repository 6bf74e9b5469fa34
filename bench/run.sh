#!/usr/bin/env bash
# Footprint benchmark of qbitrr-lite: memory, CPU per pass, disk writes, start-up,
# threads/fds and request rates against a fake qBittorrent and fake Arrs (bench/fakes.py),
# then the micro-benchmark of the decision core and the torrent-list parser.
#
#   bench/run.sh                 # the committed HEAD, full windows (about 7 minutes on 2 cores)
#   bench/run.sh --quick         # short windows: a smoke test, not numbers to publish
#   BENCH_SOURCE=worktree bench/run.sh   # the working tree instead of HEAD
#   bench/run.sh --only 4x5000   # some scenarios only (KxN)
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
