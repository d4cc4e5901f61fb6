#!/usr/bin/env bash
# Runs every test on a fresh machine: installs what the tests need, then the format check,
# clippy with warnings as errors, and every test of every crate with every backend.
#
#   ./scripts/test.sh
#
# Backends that need servers (Redis, MongoDB, DynamoDB) install them here, into ignored folders
# under .tools/, as their crates land; today every backend is embedded (memory, SQLite, files).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== toolchain"
cargo --version
rustup component list --installed 2>/dev/null | grep -E '^(rustfmt|clippy)' || true

echo "== format"
cargo fmt --all -- --check

echo "== clippy"
cargo clippy --workspace --all-targets --all-features -- -D warnings

echo "== tests"
cargo test --workspace --all-features
