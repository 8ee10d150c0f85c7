#!/usr/bin/env bash
# Installs the Debian packages memfleet needs to build, test, fuzz and benchmark.
#
# Idempotent: packages already installed are left alone; `apt-get update` runs only when
# something is missing. Works as root, or through sudo when run as another user.
# Exits non-zero if a package cannot be installed.
#
# Usage: scripts/install-deps.sh [--check]   (--check: report what is missing, install nothing)
set -euo pipefail

packages=(
  build-essential cmake ninja-build g++
  clang                       # libFuzzer targets in tests/fuzz
  clang-format                # make format-check
  libgtest-dev libgmock-dev   # unit tests
  libbenchmark-dev            # bench/
  libxxhash-dev
  liburing-dev
  python3-pytest              # tests/integration
  python3-pymemcache python3-pylibmc python3-memcache
  memcached                   # the reference server (test oracle, side-by-side benchmarks)
  libmemcached-tools          # memccapable
  php-cli php-memcached       # tests/integration/test_binary.py: PHP memcached, binary protocol
  sasl2-bin                   # saslpasswd2: SASL users for the reference memcached (test_auth.py)
  nlohmann-json3-dev          # router config (mcrouter's JSON dialect)
  libyaml-cpp-dev             # router config (twemproxy's nutcracker.yml)
  nutcracker                  # twemproxy: the router's placement and benchmark reference
  prometheus                  # promtool: checks the router's /metrics
  libcache-memcached-fast-perl  # Perl Cache::Memcached::Fast, a real client through the router
)

check_only=0
case "${1:-}" in
  --check) check_only=1 ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-deps: dpkg-query not found; this script supports Debian/Ubuntu only" >&2
  exit 1
fi

is_installed() {
  local status
  status=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) || return 1
  [[ "$status" == "installed" ]]
}

missing=()
for p in "${packages[@]}"; do
  if ! is_installed "$p"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "install-deps: missing: ${missing[*]}"
if ((check_only)); then
  exit 1
fi

if [[ $(id -u) -eq 0 ]]; then
  sudo_cmd=()
elif command -v sudo >/dev/null 2>&1; then
  sudo_cmd=(sudo)
else
  echo "install-deps: not root and sudo is not available; install as root: apt-get install ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-deps: apt-get update"
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
echo "install-deps: installing: ${missing[*]}"
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"

# Verify: apt-get can succeed and still leave a package unconfigured.
still_missing=()
for p in "${missing[@]}"; do
  if ! is_installed "$p"; then
    still_missing+=("$p")
  fi
done
if ((${#still_missing[@]} > 0)); then
  echo "install-deps: still not installed: ${still_missing[*]}" >&2
  exit 1
fi
echo "install-deps: installed ${#missing[@]} package(s)"
