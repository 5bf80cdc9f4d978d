#!/usr/bin/env bash
# Installs code-server (VS Code in a browser) for the end-to-end tests, on a machine whose only
# network is the npm registry and Debian's apt: into Embedding Studio's cache folder
# (${XDG_CACHE_HOME:-~/.cache}/embedding-studio/code-server), once; later calls find it there.
#   bash scripts/install-code-server.sh [DEST]
# The last line printed is the code-server executable. Concurrent calls wait for each other.
# Everything the install writes goes under the cache folder, its temporary files included (they
# are removed at the end): nothing is left in /tmp.
set -euo pipefail

version=4.100.3 # the last code-server whose engine is Node 20 (VS Code 1.100.3)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/embedding-studio
dest=${1:-$cache/code-server}
bin=$dest/node_modules/.bin/code-server
done_marker=$dest/.installed-$version

mkdir -p "$(dirname "$dest")"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$dest.lock"
  flock 9
fi
installed_version() {
  node -p 'require(process.argv[1]).version' "$dest/node_modules/code-server/package.json" 2>/dev/null || true
}
# Done: our marker, or (an install made before the marker existed) the right version with its
# VS Code dependencies in place, which the last step of code-server's own install writes.
if [ -x "$bin" ] && { [ -f "$done_marker" ] || { [ "$(installed_version)" = "$version" ] && [ -d "$dest/node_modules/code-server/lib/vscode/node_modules" ]; }; }; then
  echo "$bin"
  exit 0
fi

# Build tools for code-server's native modules (node-pty, kerberos, keytar's headers), and a
# ripgrep to stand in for the one @vscode/ripgrep would download from GitHub.
missing=()
for package in libkrb5-dev libxkbfile-dev libsecret-1-dev ripgrep; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-code-server: needs ${missing[*]} (Debian/Ubuntu: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "install-code-server: apt-get install ${missing[*]}" >&2
  apt-get update >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >/dev/null
fi

# The install's temporary folder, under the cache and removed however the script ends.
work=$(mktemp -d "$cache/code-server-install.XXXXXX")
trap 'rm -rf "$work"' EXIT

# @vscode/ripgrep's postinstall looks in $TMPDIR/vscode-ripgrep-cache-<its version>/ for
# ripgrep-<release>-<target>.tar.gz before downloading it; code-server's VS Code pulls in a
# version in 1.15.9–1.15.14 asking for a release between v13.0.0-4 and v13.0.0-13. Every such
# name is a hard link to one archive of Debian's rg.
rg_path=$(command -v rg)
mkdir "$work/rg"
cp "$rg_path" "$work/rg/rg"
tar czf "$work/rg.tar.gz" -C "$work/rg" rg
export TMPDIR=$work/tmp
mkdir "$TMPDIR"
for package_version in 9 10 11 12 13 14; do
  seeds=$TMPDIR/vscode-ripgrep-cache-1.15.$package_version
  mkdir "$seeds"
  for release in 4 5 6 7 8 9 10 11 12 13; do
    ln "$work/rg.tar.gz" "$seeds/ripgrep-v13.0.0-$release-x86_64-unknown-linux-musl.tar.gz"
  done
done

rm -rf "$dest"
mkdir -p "$dest"
cd "$dest"
npm init -y >/dev/null
# node-pty's install step runs `npx node-gyp`: npm_config_yes lets npx fetch it from the registry.
# code-server's postinstall refuses to run as root unless npm_config_unsafe_perm is true.
echo "install-code-server: npm install code-server@$version into $dest (a few minutes)" >&2
if ! npm_config_yes=true npm_config_unsafe_perm=true npm install --no-audit --no-fund "code-server@$version" >"$dest/install.log" 2>&1; then
  echo "install-code-server: npm install code-server@$version failed; see $dest/install.log" >&2
  exit 1
fi
if [ ! -x "$bin" ]; then
  echo "install-code-server: $bin is missing after the install; see $dest/install.log" >&2
  exit 1
fi
touch "$done_marker"
echo "$bin"
