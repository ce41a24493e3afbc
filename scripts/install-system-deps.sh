#!/usr/bin/env bash
# Installs the Debian packages the project needs, only when missing.
# Usage: scripts/install-system-deps.sh [redis] [chromium] [wrk] [valgrind] [node]
set -euo pipefail
want=("$@")
[ ${#want[@]} -eq 0 ] && want=(redis chromium)
pkgs=()
for w in "${want[@]}"; do
  case "$w" in
    redis)    command -v redis-server >/dev/null || pkgs+=(redis-server) ;;
    chromium) [ -x /usr/bin/chromium ] || pkgs+=(chromium) ;;
    wrk)      command -v wrk >/dev/null || pkgs+=(wrk) ;;
    valgrind) command -v valgrind >/dev/null || pkgs+=(valgrind) ;;
    node)     command -v npm >/dev/null || pkgs+=(nodejs npm) ;;
    *) echo "unknown dependency: $w" >&2; exit 2 ;;
  esac
done
[ ${#pkgs[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "Installing Debian packages: ${pkgs[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
