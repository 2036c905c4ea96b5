#!/usr/bin/env bash
# One-time machine set-up for Witness Bench, called by the Makefile before anything else.
# - On Debian/Ubuntu as root: installs python3-venv if venv cannot work, and the system libraries Qt
#   needs offscreen and under Xvfb (plus xvfb, xauth and poppler-utils for screenshots and PDF checks).
# - Elsewhere, or without root: prints what is missing and carries on (tests that need them skip).
set -u
QT_LIBS="libegl1 libgl1 libglx0 libglvnd0 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libfreetype6
libdbus-1-3 libx11-6 libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0
libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxcb-util1 libxcb-sync1 libxcb-xfixes0
libxcb-shm0 libxcb-render0 libglib2.0-0 fonts-dejavu-core xvfb xauth poppler-utils"
PY=${PYTHON:-python3}

command -v dpkg-query >/dev/null 2>&1 || exit 0
missing=""
for p in $QT_LIBS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if ! "$PY" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  ver=$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  missing="$missing python3-venv python${ver}-venv"
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing system packages:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $missing >/dev/null \
    || echo "setup: apt-get could not install:$missing (Qt/screenshot tests may skip)"
else
  echo "setup: missing system packages (install them as root):$missing"
fi
exit 0
