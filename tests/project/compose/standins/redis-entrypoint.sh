#!/bin/sh
# As the official redis image's entrypoint: options alone mean redis-server; without a configuration the
# server listens on every interface of its container with protected mode off; it runs as the redis user.
set -e
case "$1" in
  -*|*.conf) set -- redis-server "$@" ;;
esac
if [ "$1" = redis-server ]; then
  shift
  case " $* " in
    *" --protected-mode "*) set -- redis-server "$@" ;;
    *) set -- redis-server --protected-mode no "$@" ;;
  esac
  if [ "$(id -u)" = 0 ]; then
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
  fi
fi
exec "$@"
