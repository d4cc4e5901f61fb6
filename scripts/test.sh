#!/usr/bin/env bash
# Runs every test on a fresh machine: installs what the tests need, then the format check,
# clippy with warnings as errors, the docs, and every test of every crate with every backend.
#
#   ./scripts/test.sh
#
# Test servers: redis-server comes from Debian's package, SecantusDB (a MongoDB wire-protocol
# server) from PyPI into a virtualenv, dynalite (a DynamoDB implementation) from npm, the last two
# under the ignored folder .tools/; each is installed below when missing. The tests start and stop their own servers on free ports of 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=no
apt_install() {
  if [ "$apt_updated" = no ]; then
    as_root apt-get update -qq
    apt_updated=yes
  fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
  echo "== installing redis-server (Debian package)"
  apt_install redis-server redis-tools
  # The package may start a system service on port 6379; the tests never use it.
  as_root service redis-server stop >/dev/null 2>&1 || true
fi

if [ ! -x .tools/bin/secantusd-py ]; then
  echo "== installing SecantusDB==0.7.0b3 (PyPI, GPL: run as a separate process only) into .tools/"
  python3 -m venv .tools/secantus-venv || { apt_install python3-venv; python3 -m venv .tools/secantus-venv; }
  .tools/secantus-venv/bin/pip install -q "SecantusDB==0.7.0b3"
  mkdir -p .tools/bin
  ln -sf ../secantus-venv/bin/secantusd-py .tools/bin/secantusd-py
fi

if [ ! -x .tools/bin/dynalite ]; then
  echo "== installing dynalite@4 (npm) into .tools/"
  mkdir -p .tools/dynalite .tools/bin
  npm install --silent --no-audit --no-fund --prefix .tools/dynalite dynalite@4
  ln -sf ../dynalite/node_modules/.bin/dynalite .tools/bin/dynalite
fi

echo "== toolchain"
cargo --version
rustup component list --installed 2>/dev/null | grep -E '^(rustfmt|clippy)' || true

echo "== stated MSRVs (each crate's rust-version against its dependencies')"
python3 scripts/check-msrv.py

echo "== packaging (every publishable crate's manifest and file list)"
cargo package --workspace --exclude storage-bench --exclude test-support --no-verify --allow-dirty --quiet

echo "== format"
cargo fmt --all -- --check

echo "== clippy"
cargo clippy --workspace --all-targets --all-features -- -D warnings

echo "== docs (broken links are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace --all-features --quiet

echo "== tests"
cargo test --workspace --all-features
