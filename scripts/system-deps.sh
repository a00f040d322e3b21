#!/usr/bin/env bash
# Debian packages the tests need: dcmtk (real DICOM peers), chromium (browser tests) and
# nginx (the front of deploy/local-cluster; run under its own prefix, never /etc/nginx).
# Idempotent: installs only what is missing. Run as root (CI and the dev machines are).
set -euo pipefail
need=()
command -v storescu >/dev/null 2>&1 || need+=(dcmtk)
[ -x /usr/bin/chromium ] || need+=(chromium)
# Chinese glyphs for the browser tests and screenshots (pages are Chinese by default).
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
[ -x /usr/sbin/nginx ] || need+=(nginx)
for pkg in ${EXTRA_DEBIAN_PACKAGES:-}; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${need[*]} (run as root: apt-get install ${need[*]})" >&2
  exit 1
fi
echo "installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
