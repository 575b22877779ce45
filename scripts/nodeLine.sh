#!/usr/bin/env bash
# Usage: scripts/nodeLine.sh MAJOR DIR
#
# Makes this checkout runnable on Node.js MAJOR without nodejs.org: the npm registry's
# node-linux-<arch> package (the `node` package's binary) holds the node binary and its headers
# (include/node), which is all node-gyp needs to build better-sqlite3 for that Node's ABI.
#   DIR/node          the package: DIR/node/bin/node (nodedir for node-gyp)
#   DIR/berth         a copy of this checkout (dist/ included, .git left out; the CLI bundles and the
#                     offline render's startup snapshot made again by Node MAJOR) whose node_modules is
#                     hard-linked to this one's, except better-sqlite3: copied and rebuilt for MAJOR.
#                     Everything else in node_modules is JavaScript or Node-API (ABI-stable) binaries.
# Prints DIR/node/bin. Run it after `npm ci` (and `npm run build`): dist/ is copied, not rebuilt.
set -euo pipefail
major=${1:?usage: scripts/nodeLine.sh MAJOR DIR}
dir=${2:?usage: scripts/nodeLine.sh MAJOR DIR}
src=$(cd "$(dirname "$0")/.." && pwd)
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "nodeLine.sh: no node-linux package for $(uname -m)" >&2; exit 2 ;;
esac
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
pkg="$dir/npm"
node="$dir/node"
if ! [ -x "$node/bin/node" ] || [ "$("$node/bin/node" -p 'process.versions.node.split(".")[0]')" != "$major" ]; then
  rm -rf "$pkg" "$node"
  # The package itself, not `node@MAJOR`: that one only fetches it from a preinstall script.
  npm install --prefix "$pkg" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    "node-linux-$arch@$major" >&2
  mv "$pkg/node_modules/node-linux-$arch" "$node"
  rm -rf "$pkg"
fi
test -f "$node/include/node/node.h" || { echo "nodeLine.sh: $node has no include/node headers" >&2; exit 1; }

copy="$dir/berth"
bsq="$copy/node_modules/better-sqlite3"
# A rebuild takes minutes: kept from the last run when it was built for this Node and this better-sqlite3.
stamp="$("$node/bin/node" --version) $(node -p "require('$src/node_modules/better-sqlite3/package.json').version")"
kept="$dir/better-sqlite3.kept"
# (one kept by a run stopped before it could put it back is as good)
if [ -f "$kept/.built-for" ] && [ "$(cat "$kept/.built-for")" = "$stamp" ]; then
  rm -rf "$bsq"
else
  rm -rf "$kept"
  if [ -f "$bsq/.built-for" ] && [ "$(cat "$bsq/.built-for")" = "$stamp" ]; then mv "$bsq" "$kept"; fi
fi
rm -rf "$copy"
mkdir -p "$copy"
# Sources and build output as real copies (tests and the CLI's code cache write there), node_modules as links.
tar -C "$src" --exclude=./.git --exclude=./node_modules --exclude=./bench/results -cf - . | tar -C "$copy" -xf -
cp -al "$src/node_modules" "$copy/node_modules"
rm -rf "$copy/node_modules/.vite" "$copy/node_modules/.cache" "$bsq"
if [ -d "$kept" ]; then
  mv "$kept" "$bsq"
else
  cp -a "$src/node_modules/better-sqlite3" "$bsq"
  rm -rf "$bsq/build"
  (
    cd "$copy"
    # From source against the package's headers: prebuild-install would ask GitHub.
    PATH="$node/bin:$PATH" npm_config_nodedir="$node" npm_config_build_from_source=true \
      npm rebuild better-sqlite3 --no-audit --no-fund --loglevel=error >&2
  )
  echo "$stamp" >"$bsq/.built-for"
fi
(cd "$copy" && "$node/bin/node" -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()")
# The offline render's V8 startup snapshot (dist/cli/renderOffline-<version>-<arch>.blob) only loads in
# the Node that built it: the CLI bundles and the snapshot are made again by this Node in the copy.
(cd "$copy" && PATH="$node/bin:$PATH" "$node/bin/node" scripts/bundleCli.mjs >&2)
echo "$node/bin"
