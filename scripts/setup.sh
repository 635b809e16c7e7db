#!/usr/bin/env bash
# Installs everything Skywatch needs on a fresh Debian machine (run as root): Debian packages,
# the Python environment in .venv/, and the console's front-end packages from npm.
# Idempotent: each step is skipped when its result is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBS=(chromium fonts-noto-cjk postgresql nodejs npm cmake g++)  # cmake, g++: ROS 2 message packages
missing=()
for pkg in "${DEBS[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# nodejs/npm may come from elsewhere than Debian (e.g. a preinstalled Node): accept any on PATH.
if command -v node >/dev/null && command -v npm >/dev/null; then
    missing=("${missing[@]/nodejs/}"); missing=("${missing[@]/npm/}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
    python3.11 -m venv .venv
fi
if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
    .venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
    touch .venv/.installed
fi
# ROS 2 from PyPI wheels and the ros_ws/ packages; skips whatever is already built.
bash scripts/build_ros.sh

if [ ! -f web/console/node_modules/.installed ] || [ web/console/package-lock.json -nt web/console/node_modules/.installed ]; then
    (cd web/console && npm ci --no-audit --no-fund --loglevel=error)
    touch web/console/node_modules/.installed
fi
