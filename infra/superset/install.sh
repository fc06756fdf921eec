#!/usr/bin/env bash
# Installs Apache Superset (pinned, infra/superset/requirements.txt) into a virtual environment.
# Usage: infra/superset/install.sh <venv-dir>. Idempotent: a stamp with the requirements' hash
# makes a second run return at once; a changed requirements file reinstalls.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${1:?usage: install.sh <venv-dir>}"
requirements="$here/requirements.txt"
stamp="$venv/.oracul-requirements.sha256"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/superset" ]; then
  exit 0
fi

# Superset 6 needs Python >= 3.10 with the venv module.
python=""
for candidate in python3.12 python3.11 python3.10 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
    "$candidate" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
    python="$candidate"
    break
  fi
done
if [ -z "$python" ]; then
  echo "no Python >= 3.10 with venv found (Debian: apt-get install python3 python3-venv; see scripts/install-system-deps.sh)" >&2
  exit 1
fi

echo "installing Superset into $venv with $("$python" --version)"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip wheel setuptools
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
echo "$want" >"$stamp"
