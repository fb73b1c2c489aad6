#!/usr/bin/env bash
# Render every Mermaid file (*.mmd) under the given paths with Mermaid's own
# renderer (@mermaid-js/mermaid-cli, pinned in tools/mermaid/package-lock.json)
# in a headless Chromium, and fail on any Mermaid error.
#
#   tools/render_mermaid.sh [--format svg|png] [--scale N] [--out DIR] PATH...
#   tools/render_mermaid.sh --install      # install what it needs, render nothing
#   tools/render_mermaid.sh --no-install PATH...   # never install; exit 3 if absent
#
# What it needs, installed on first use: Node.js 18.19 or newer (not installed
# here: apt-get install nodejs npm), Debian's `chromium` package (installed with
# apt-get when running as root), and the npm packages, installed into
# tools/.mermaid/ (git-ignored; LIFECYCLE_MERMAID_CACHE moves it). Puppeteer's
# own browser download is skipped: the system Chromium is used, with no network.
#
# Images go to DIR (default: a new temporary directory), one per file, named
# after it. Exit status: 0 all rendered, 1 a Mermaid error, 2 bad usage,
# 3 something needed is missing and could not be installed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${LIFECYCLE_MERMAID_CACHE:-$here/.mermaid}
format=svg scale=1 out="" install=auto paths=()

die() { echo "render_mermaid: $2" >&2; exit "$1"; }

while [ $# -gt 0 ]; do
  case $1 in
    --format) format=${2:?}; shift 2 ;;
    --scale) scale=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --install) install=only; shift ;;
    --no-install) install=never; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    -*) die 2 "unknown option $1 (see --help)" ;;
    *) paths+=("$1"); shift ;;
  esac
done
case $format in svg|png) ;; *) die 2 "--format takes svg or png, not $format" ;; esac
if [ "$install" != only ] && [ ${#paths[@]} -eq 0 ]; then
  die 2 "give the files or directories to render (see --help)"
fi

find_chromium() {
  local name
  for name in "${CHROMIUM:-}" chromium chromium-browser google-chrome; do
    if [ -n "$name" ] && command -v "$name" >/dev/null; then
      command -v "$name"
      return 0
    fi
  done
  return 1
}

install_chromium() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    die 3 "no Chromium found: install Debian's chromium package (or set CHROMIUM)"
  fi
  echo "render_mermaid: installing chromium with apt-get" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
}

install_packages() {
  command -v npm >/dev/null || die 3 "npm not found: install Node.js 18.19+ (apt-get install nodejs npm)"
  mkdir -p "$cache"
  cp "$here/mermaid/package.json" "$here/mermaid/package-lock.json" "$cache/"
  echo "render_mermaid: installing @mermaid-js/mermaid-cli into $cache" >&2
  (cd "$cache" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
  cp "$here/mermaid/package-lock.json" "$cache/installed.lock"
}

packages_current() {
  [ -d "$cache/node_modules/@mermaid-js/mermaid-cli" ] &&
    cmp -s "$here/mermaid/package-lock.json" "$cache/installed.lock"
}

command -v node >/dev/null || die 3 "node not found: install Node.js 18.19+ (apt-get install nodejs npm)"
browser=$(find_chromium) || {
  [ "$install" = never ] && die 3 "no Chromium found: run tools/render_mermaid.sh --install"
  install_chromium
  browser=$(find_chromium) || die 3 "chromium did not install"
}
if ! packages_current; then
  [ "$install" = never ] && die 3 "Mermaid CLI not installed: run tools/render_mermaid.sh --install"
  install_packages
fi
cp "$here/mermaid/render.mjs" "$cache/render.mjs"
cat >"$cache/browser.json" <<EOF
{
  "executablePath": "$browser",
  "headless": "shell",
  "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run"]
}
EOF
[ "$install" = only ] && { echo "render_mermaid: ready ($browser)"; exit 0; }

files=()
while IFS= read -r -d '' file; do files+=("$file"); done < <(
  find "${paths[@]}" -type f -name '*.mmd' -print0 | sort -z
)
[ ${#files[@]} -gt 0 ] || die 2 "no .mmd file under: ${paths[*]}"
[ -n "$out" ] || out=$(mktemp -d "${TMPDIR:-/tmp}/mermaid.XXXXXX")
mkdir -p "$out"
node "$cache/render.mjs" --browser "$cache/browser.json" --out "$out" \
  --format "$format" --scale "$scale" "${files[@]}"
