#!/usr/bin/env bash
# install-deps.sh — install the Debian packages kiln needs to build and test.
#
# Responsibility: make a clean Debian 12 machine (CI runs as root on a fresh clone) able to run
# `make`, `make test` and `make demo`. Flow: ask dpkg-query which of the wanted packages are
# missing; if none, exit at once (a repeated run is a sub-second no-op); otherwise run
# `apt-get update` once and `apt-get install -y --no-install-recommends` for the missing ones.
# Why: the Makefile calls this before every `make test`/`make demo`, so it must be cheap when
# everything is present and must never prompt. Runs as root, or through sudo when available.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

packages=(
  build-essential cmake pkg-config
  zlib1g-dev libzstd-dev libxxhash-dev libedit-dev libcmocka-dev
  liblinear-dev libsvm-dev liblapacke-dev   # models: LinearSVC, SVC, least squares
  python3-sklearn                          # model test oracle
  python3 python3-pandas python3-numpy   # test oracles
)
# Node.js is used by the benchmark peers only; install it from Debian only when absent.
if ! command -v node >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  if [ "$status" != "installed" ]; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo -E)
else
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: not root and no sudo; install them by hand" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
