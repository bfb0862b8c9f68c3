# Shared set-up for scripts/dev, scripts/test and friends. Every step is idempotent and cheap
# when already done, so both commands can run it every time on a fresh or a warm machine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export WRANGLER_SEND_METRICS=false
export CI="${CI:-1}"                           # wrangler: never prompt
export NODE_PATH=/usr/share/nodejs             # em++'s optimizer imports Debian's acorn
export CLOUDFLARE_CF_FETCH_ENABLED=false       # miniflare: no network fetch of request.cf
MD4C_VERSION=0.4.8
MD4C_SHA256=4a457df853425b6bb6e3457aa1d1a13bccec587a04c38c622b1013a0da41439f
MD4C_DIR="$ROOT/.deps/md4c-release-$MD4C_VERSION"
APT_PACKAGES=(build-essential cmake g++ pkg-config libsqlite3-dev doctest-dev nlohmann-json3-dev
              emscripten node-acorn dpkg-dev libxml2-utils chromium)

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root (or sudo) to run: $*"; fi
}

ensure_apt() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "apt: installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# md4c's C sources from Debian's source archive (never committed). The .debian.tar.xz may 404;
# only the upstream tarball matters, so its checksum is checked, not apt's exit code.
ensure_md4c() {
  [ -f "$MD4C_DIR/src/md4c.c" ] && return 0
  log "md4c: fetching $MD4C_VERSION sources from Debian's source archive"
  if ! grep -rqs "deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null; then
    as_root tee /etc/apt/sources.list.d/lattice-deb-src.sources >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    as_root apt-get update -qq
  fi
  local tmp; tmp="$(mktemp -d)"
  (cd "$tmp" && apt-get source --download-only "md4c=$MD4C_VERSION-1" >/dev/null 2>&1 || true)
  local tarball="$tmp/md4c_$MD4C_VERSION.orig.tar.gz"
  [ -f "$tarball" ] || die "md4c: apt-get source did not deliver $(basename "$tarball")"
  echo "$MD4C_SHA256  $tarball" | sha256sum -c --quiet - || die "md4c: checksum mismatch"
  mkdir -p "$ROOT/.deps"
  tar -xzf "$tarball" -C "$ROOT/.deps"
  rm -rf "$tmp"
}

ensure_npm() {
  if [ ! -x node_modules/.bin/wrangler ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

setup() {
  ensure_apt
  ensure_md4c
  ensure_npm
  [ -f .dev.vars ] || cp dev.vars.example .dev.vars
}

build_wasm() {
  log "build: wasm (em++)"
  if [ ! -f build/wasm/CMakeCache.txt ]; then
    emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  cmake --build build/wasm -j"$(nproc)" >/dev/null
}

build_native() {
  log "build: native (g++)"
  if [ ! -f build/native/CMakeCache.txt ]; then
    cmake -S . -B build/native -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  cmake --build build/native -j"$(nproc)" >/dev/null
}

wrangler() { "$ROOT/node_modules/.bin/wrangler" "$@"; }

# Applies D1 migrations to the local state (.wrangler/state, or the folder given as $1, which is
# wrangler's --persist-to) and loads the demo data when that database has no tenants yet.
prepare_local_db() {
  local state=()
  [ $# -gt 0 ] && state=(--persist-to "$1")
  log "d1: applying migrations (local${1:+, $1})"
  wrangler d1 migrations apply DB --local "${state[@]}" >/dev/null
  local n
  n=$(wrangler d1 execute DB --local "${state[@]}" --json --command "SELECT count(*) AS n FROM tenants" 2>/dev/null |
      node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].results[0].n))')
  if [ "$n" = "0" ]; then
    log "d1: loading demo data"
    node scripts/lib/seed.mjs build/seed.sql
    wrangler d1 execute DB --local "${state[@]}" --file build/seed.sql >/dev/null
  fi
}
