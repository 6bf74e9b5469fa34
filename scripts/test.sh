#!/usr/bin/env bash
# The project's test command (README "Test it"; also what CI runs):
# installs what the integration tests need, then format check, clippy, all tests.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh
cargo fmt --check
cargo clippy --all-targets -- -D warnings
cargo test --all-targets
