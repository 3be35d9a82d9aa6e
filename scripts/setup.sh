#!/usr/bin/env bash
# Installs what fragcast's tests need on a Debian machine, then its npm
# dependencies. Idempotent: packages already present are not touched.
#   - ffmpeg/ffprobe: sources, and decoding checks in tests
#   - chromium: browser end-to-end tests (playwright-core drives /usr/bin/chromium)
#   - fonts-dejavu-core: the demo stream's clock overlay
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ] || missing+=(fonts-dejavu-core)

if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: please install ${missing[*]} with your package manager (this script knows apt-get only)" >&2
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update
  $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi

npm ci
