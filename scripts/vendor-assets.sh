#!/usr/bin/env bash
# Re-fetch the vendored front-end assets from the npm registry. The results are committed,
# so `make run` needs neither npm nor the internet; run this only to upgrade them.
# Source maps are not shipped: their trailing comments are removed so static-file
# post-processing does not look for the missing .map files.
set -euo pipefail
BOOTSTRAP_VERSION="${BOOTSTRAP_VERSION:-5.3.9}"
here="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent "bootstrap@${BOOTSTRAP_VERSION}" >/dev/null 2>&1
tar xzf "bootstrap-${BOOTSTRAP_VERSION}.tgz"
dest="$here/cloudhospital/static/vendor/bootstrap"
mkdir -p "$dest"
cp package/LICENSE "$dest/LICENSE"
for f in css/bootstrap.min.css js/bootstrap.bundle.min.js; do
  sed -e '/sourceMappingURL=/d' "package/dist/$f" > "$dest/$(basename "$f")"
done
echo "Bootstrap ${BOOTSTRAP_VERSION} vendored into $dest"
