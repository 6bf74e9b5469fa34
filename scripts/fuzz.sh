#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time, each starting from its committed
# seeds (fuzz/corpus/<target>/), on the pinned nightly that cross/build.sh also uses.
#
#   scripts/fuzz.sh            # 30 s per target (what CI runs)
#   scripts/fuzz.sh 600        # 10 minutes per target
#   scripts/fuzz.sh 60 config  # one target
#
# New inputs go to a scratch corpus under target/fuzz-corpus/, not into the committed seeds. A
# crash fails the run and leaves its input in fuzz/artifacts/<target>/: turn it into a
# regression test (a seed, and a unit test of the reader it broke) before fixing it.
# Prints the executions per target at the end.
set -euo pipefail
shopt -s inherit_errexit
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

SECONDS_PER_TARGET=${1:-30}
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
    TARGETS=(config torrents_info view_answers arr_json http_request)
fi
# One pinned nightly for the project, declared in cross/build.sh.
NIGHTLY=$(sed -n 's/^NIGHTLY=//p' cross/build.sh)
CARGO_FUZZ_VERSION=0.13.2
TOOLS=${XDG_CACHE_HOME:-$HOME/.cache}/qbitrr-lite-fuzz

log() { printf '[fuzz] %s\n' "$*" >&2; }

if ! rustup toolchain list | grep -q "^$NIGHTLY"; then
    log "rustup: installing $NIGHTLY (minimal)"
    rustup toolchain install "$NIGHTLY" --profile minimal >&2
fi
if [ "$("$TOOLS/bin/cargo-fuzz" --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
    log "installing cargo-fuzz $CARGO_FUZZ_VERSION into $TOOLS"
    cargo install --quiet --locked --root "$TOOLS" "cargo-fuzz@$CARGO_FUZZ_VERSION" >&2
fi
export PATH="$TOOLS/bin:$PATH"

started=$(date +%s)
log "building the targets (address sanitizer, $NIGHTLY)"
cargo "+$NIGHTLY" fuzz build >&2

summary=()
for t in "${TARGETS[@]}"; do
    scratch="$ROOT/target/fuzz-corpus/$t"
    artifacts="$ROOT/fuzz/artifacts/$t"
    mkdir -p "$scratch" "$artifacts"
    out=$(mktemp)
    log "$t: ${SECONDS_PER_TARGET}s"
    if ! cargo "+$NIGHTLY" fuzz run "$t" "$scratch" "$ROOT/fuzz/corpus/$t" -- \
        -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="$artifacts/" -print_final_stats=1 >"$out" 2>&1; then
        tail -n 40 "$out" >&2
        log "$t: FAILED; the input is in fuzz/artifacts/$t/"
        exit 1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$out" | tail -n 1)
    summary+=("$t: ${runs:-?} executions in ${SECONDS_PER_TARGET}s, ${cov:-cov: ?}")
    rm -f "$out"
done
log "done in $(($(date +%s) - started))s"
printf '%s\n' "${summary[@]}"
