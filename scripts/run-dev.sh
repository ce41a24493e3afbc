#!/usr/bin/env bash
# Start the dev identity server (IDP_PORT, default 5000) and the API (API_PORT,
# default 5002) in the foreground. Ctrl-C, or either server exiting, stops both.
# `make run` creates the signing certificate and the databases first.
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PY:-.venv/bin/python}"
[ -x "$PY" ] || PY="$(command -v python3)"
IDP_PORT="${IDP_PORT:-5000}"
API_PORT="${API_PORT:-5002}"
export IDP_ISSUER="${IDP_ISSUER:-http://localhost:$IDP_PORT}"
export OIDC_ISSUER="${OIDC_ISSUER:-$IDP_ISSUER}"
API_URL="http://localhost:$API_PORT"
# The RFC 9728 resource identifier in every challenge is this API's URL.
export API_RESOURCE="${API_RESOURCE:-$API_URL}"

if [ "$API_PORT" != 5002 ]; then
  # The idp only knows http://localhost:5002 by default: register this API's
  # browser-client redirect URIs and allow its origin at the token endpoint.
  export IDP_CORS_ALLOWED_ORIGINS="${IDP_CORS_ALLOWED_ORIGINS:-$API_URL,http://127.0.0.1:$API_PORT}"
  IDP_API_URLS="$API_URL,http://127.0.0.1:$API_PORT" "$PY" manage.py seed_idp --settings=idp.settings
fi

# Job control gives each server its own process group, so stopping the group
# also stops runserver's autoreloader child (which would otherwise keep the port).
set -m
groups=()
start() {  # start NAME COMMAND...: run it with "[NAME] " before each output line
  local name="$1"; shift
  "$@" 2>&1 | sed -u "s/^/[$name] /" &
  groups+=("$(jobs -p %+)")
}
stop_all() {
  trap - EXIT INT TERM
  for group in "${groups[@]}"; do kill -TERM -- "-$group" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "Stopped the idp and the API."
}
trap stop_all EXIT
trap 'exit 130' INT TERM

start idp "$PY" manage.py runserver "$IDP_PORT" --settings=idp.settings
start api "$PY" manage.py runserver "$API_PORT"

# Print the URLs once both answer (any HTTP status counts), so they are not buried in logs.
"$PY" - "$IDP_PORT" "$API_PORT" <<'EOF' || { echo "The servers did not start; see the log lines above." >&2; exit 1; }
import sys, time, urllib.error, urllib.request
deadline = time.monotonic() + 60
for port in sys.argv[1:]:
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            if time.monotonic() > deadline:
                sys.exit(1)
            time.sleep(0.2)
EOF

cat <<EOF

  Identity server  http://localhost:$IDP_PORT/   (issuer $IDP_ISSUER)
    discovery      http://localhost:$IDP_PORT/.well-known/openid-configuration
    JWKS           http://localhost:$IDP_PORT/.well-known/openid-configuration/jwks
  API              $API_URL/
    secured        $API_URL/me
    browser client $API_URL/client/        (users bob/bob, alice/alice)
    Swagger UI     $API_URL/api/docs/
  Console client   $PY manage.py call_api --issuer $IDP_ISSUER --api-url $API_URL

  Press Ctrl-C to stop both.

EOF

# Return as soon as either server exits; the EXIT trap stops the other one.
wait -n
