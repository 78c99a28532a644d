#!/bin/sh
# Refresh the vendored Apache ECharts (src/centric/api/static/vendor/echarts) from npm.
# Usage: scripts/vendor_echarts.sh [VERSION]   (default: the version vendored now)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
dest="$here/src/centric/api/static/vendor/echarts"
version=${1:-6.1.0}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent "echarts@$version")
cp "$tmp/node_modules/echarts/dist/echarts.min.js" "$tmp/node_modules/echarts/LICENSE" "$tmp/node_modules/echarts/NOTICE" "$dest/"
cp "$tmp/node_modules/zrender/LICENSE" "$dest/LICENSE-zrender"
echo "echarts $version" > "$dest/VERSION"
echo "vendored echarts $version into $dest"
