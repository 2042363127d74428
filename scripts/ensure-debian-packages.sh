#!/usr/bin/env bash
# Installs Debian packages the tests use when their command is missing:
#   scripts/ensure-debian-packages.sh docker-compose:docker-compose [command:package ...]
# Idempotent and quiet when everything is present. Needs root (or sudo) to install.
# Test files run in parallel and may ask at the same time: installs are serialised with a
# lock, and what another run installed meanwhile is not installed again.
set -euo pipefail
missing_packages() {
  missing=()
  for pair in "$@"; do
    cmd=${pair%%:*}
    pkg=${pair#*:}
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
}
missing_packages "$@"
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "missing Debian packages: ${missing[*]} (run as root, or install them: apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi
exec 9>"${TMPDIR:-/tmp}/sluice-ensure-debian-packages.lock"
flock 9
missing_packages "$@"
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
