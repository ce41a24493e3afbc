#!/usr/bin/env bash
# The API in production: `make serve`, the Dockerfile and docker-compose's api
# service all run this script. granian serves config.wsgi:application (chosen
# by `make bench`: the highest /me throughput and the lowest CPU per request of
# the servers it compares; see BENCHMARKS.md).
#
#   API_HOST         address to bind (default 0.0.0.0)
#   API_PORT         port (default 5002)
#   WEB_CONCURRENCY  worker processes (default: the number of CPU cores)
#   API_BACKPRESSURE requests one worker takes on at once (default 32)
#   API_GRACEFUL_TIMEOUT  seconds a worker may take to finish on SIGTERM (default 30)
#
# Configure the API itself with the usual variables (OIDC_ISSUER, OIDC_AUDIENCE,
# DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, REDIS_URL, ...): see the README's environment table.
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PY:-.venv/bin/python}"
[ -x "$PY" ] || PY="$(command -v python3)"
API_HOST="${API_HOST:-0.0.0.0}"
API_PORT="${API_PORT:-5002}"
# One worker process per core: Django runs under the GIL, so processes (not
# threads) are what use more than one core.
WEB_CONCURRENCY="${WEB_CONCURRENCY:-$(nproc 2>/dev/null || echo 2)}"
API_BACKPRESSURE="${API_BACKPRESSURE:-32}"
API_GRACEFUL_TIMEOUT="${API_GRACEFUL_TIMEOUT:-30}"

# Production never runs with DEBUG on (tracebacks, SQL and settings in pages).
export DJANGO_DEBUG=0
if [ -z "${DJANGO_SECRET_KEY:-}" ]; then
  echo "serve.sh: DJANGO_SECRET_KEY is not set; using the development key (set it in production)" >&2
fi

# Static files (the browser client, Swagger UI) are not served by Django with
# DEBUG off: collect them into STATIC_ROOT and let granian serve /static/ from
# Rust, off the Python workers. API_COLLECTSTATIC=0 skips collecting (the
# Docker image collects them at build time).
STATIC_DIR="${VAR_DIR:-$PWD/var}/staticfiles"
if [ "${API_COLLECTSTATIC:-1}" != 0 ]; then
  "$PY" manage.py collectstatic --noinput -v0
fi
static=()
if [ -d "$STATIC_DIR" ]; then
  static=(--static-path-route /static --static-path-mount "$STATIC_DIR")
fi

# --blocking-threads 1: one Python thread per worker runs Django. Under the GIL
#   more threads only take turns on the same core (and cost switches); the Rust
#   side still holds every open connection, so slow clients do not block it.
# --backpressure: at most this many requests per worker are taken on at once;
#   past that the worker stops reading new requests and connections wait in
#   the kernel's accept backlog (--backlog), instead of piling up in memory
#   with ever longer latency. With one Django thread a small queue per worker
#   keeps the thread busy without letting a burst balloon.
# --http1-keep-alive: connections stay open between requests (clients, proxies
#   and load balancers reuse them); a new TCP connection per request costs
#   about as much CPU as the request itself. --http1-header-read-timeout drops
#   connections that do not send their headers within 10 s (slowloris).
# --workers-kill-timeout: on SIGTERM granian stops accepting, lets requests in
#   flight finish and exits; a worker still busy after API_GRACEFUL_TIMEOUT
#   seconds is killed. Keep it below the orchestrator's grace period
#   (docker stop: 10 s by default, so compose sets stop_grace_period).
# --respawn-failed-workers: a worker that dies is replaced, not left missing.
# granian's --http 1 (no HTTP/2 detection) and --runtime-mode st were tried side
#   by side with these settings (six rounds of wrk on /me and /, 2 workers): no
#   difference beyond the rounds' spread, so granian's defaults stay for both.
exec "$PY" -m granian \
  --interface wsgi config.wsgi:application \
  --host "$API_HOST" --port "$API_PORT" \
  --workers "$WEB_CONCURRENCY" \
  --blocking-threads 1 \
  --backpressure "$API_BACKPRESSURE" \
  --backlog 1024 \
  --http1-keep-alive --http1-header-read-timeout 10000 \
  --no-ws \
  --workers-kill-timeout "$API_GRACEFUL_TIMEOUT" \
  --respawn-failed-workers \
  "${static[@]}" \
  --log-level "${API_LOG_LEVEL:-warning}"
