#!/usr/bin/env bash
# Installs the Debian packages the project needs, only when missing.
# Usage: scripts/install-system-deps.sh [redis] [redis-sentinel] [netns] [chromium] [wrk] [valgrind] [node] [nginx] [haproxy] [docker]
# nginx and haproxy are the TLS-terminating proxies the tests put in front of the API
# (tests/proxies); they are run from the tests' own configuration files, never as services.
# redis-sentinel: Sentinel for the failover soak (tests/support/sentinel.py); it is started from the tests' own
# configuration files, never as a service. netns: ip and iptables, for the API hosts the fleet soak runs in network
# namespaces of its own (tests/support/netns.py).
# docker: the engine, compose (the plugin where the docker client has one, else Debian's
# docker-compose) and debootstrap, for tests/project/compose.
set -euo pipefail
want=("$@")
[ ${#want[@]} -eq 0 ] && want=(redis chromium)
pkgs=()
for w in "${want[@]}"; do
  case "$w" in
    redis)    command -v redis-server >/dev/null || pkgs+=(redis-server) ;;
    redis-sentinel) command -v redis-sentinel >/dev/null || pkgs+=(redis-sentinel) ;;
    netns)    { command -v ip >/dev/null || pkgs+=(iproute2); command -v iptables >/dev/null || pkgs+=(iptables); } ;;
    chromium) [ -x /usr/bin/chromium ] || pkgs+=(chromium) ;;
    wrk)      command -v wrk >/dev/null || pkgs+=(wrk) ;;
    valgrind) command -v valgrind >/dev/null || pkgs+=(valgrind) ;;
    node)     command -v npm >/dev/null || pkgs+=(nodejs npm) ;;
    nginx)    [ -x /usr/sbin/nginx ] || pkgs+=(nginx) ;;
    haproxy)  [ -x /usr/sbin/haproxy ] || pkgs+=(haproxy) ;;
    docker)
      command -v dockerd >/dev/null || pkgs+=(docker.io)
      { docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null; } || pkgs+=(docker-compose)
      command -v debootstrap >/dev/null || pkgs+=(debootstrap) ;;
    *) echo "unknown dependency: $w" >&2; exit 2 ;;
  esac
done
[ ${#pkgs[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "Installing Debian packages: ${pkgs[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
