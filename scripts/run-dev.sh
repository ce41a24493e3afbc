#!/usr/bin/env bash
# Start the dev identity server (IDP_PORT, default 5000) and the API (API_PORT,
# default 5002) in the foreground. Ctrl-C, or either server exiting, stops both.
# `make run` creates the signing certificate and the databases first.
#
#   scripts/run-dev.sh --check-ports   only check that both ports are free (exit 1 naming the one taken)
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PY:-.venv/bin/python}"
[ -x "$PY" ] || PY="$(command -v python3)"
IDP_PORT="${IDP_PORT:-5000}"
API_PORT="${API_PORT:-5002}"

# A port held by any program (an HTTP server such as macOS's AirPlay Receiver on
# 5000, or anything else) fails here, in a second, naming the variable to change;
# started anyway, runserver would fail behind a banner, or the wait below would
# take another server's answers for ours.
check_ports() {
  "$PY" - "$IDP_PORT" "$API_PORT" <<'EOF'
import socket, sys

names = {"IDP_PORT": sys.argv[1], "API_PORT": sys.argv[2]}
suggested = {"IDP_PORT": "5600", "API_PORT": "5602"}


def fail(message: str) -> None:
    print(f"make run: {message}", file=sys.stderr)
    sys.exit(1)


for name, value in names.items():
    if not value.isdigit() or not 0 < int(value) < 65536:
        fail(f"{name}={value!r} is not a port number (1-65535).")
if names["IDP_PORT"] == names["API_PORT"]:
    fail(f"IDP_PORT and API_PORT are both {names['IDP_PORT']}; give them different ports.")


def listening(port: int) -> bool:
    """Whether anything accepts connections there, on either loopback address (HTTP or not)."""
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        try:
            with socket.socket(family, socket.SOCK_STREAM) as probe:
                probe.settimeout(0.5)
                if probe.connect_ex((host, port)) == 0:
                    return True
        except OSError:
            pass  # no IPv6 here
    return False


def bindable(port: int) -> bool:
    """Whether runserver could bind it: 127.0.0.1 with SO_REUSEADDR, as Django's server does."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


for name, value in names.items():
    port = int(value)
    if listening(port) or not bindable(port):
        airplay = " (on macOS, the AirPlay Receiver listens on 5000)" if port == 5000 else ""
        fail(
            f"port {port} ({name}) is already taken by another program{airplay}. Stop it, or give the dev "
            f"stack another port: make run {name}={suggested[name]} (and then make call-api {name}={suggested[name]})."
        )
EOF
}

check_ports
if [ "${1:-}" = "--check-ports" ]; then
  exit 0
fi
export IDP_ISSUER="${IDP_ISSUER:-http://localhost:$IDP_PORT}"
export OIDC_ISSUER="${OIDC_ISSUER:-$IDP_ISSUER}"
API_URL="http://localhost:$API_PORT"
# The RFC 9728 resource identifier in every challenge is this API's URL.
export API_RESOURCE="${API_RESOURCE:-$API_URL}"
# Where the idp pushes session-revoked when someone logs out (Shared Signals): this API.
export IDP_SSF_PUSH_URL="${IDP_SSF_PUSH_URL-$API_URL/ssf/events}"

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
# A server that exits while starting ends the wait at once, not after 60 s.
"$PY" - "$IDP_PORT" "$API_PORT" "${groups[@]}" <<'EOF' || { echo "The servers did not start; see the log lines above." >&2; exit 1; }
import os, sys, time, urllib.error, urllib.request
ports, groups = sys.argv[1:3], [int(group) for group in sys.argv[3:]]


def stopped() -> bool:
    for group in groups:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass
    return False


deadline = time.monotonic() + 60
for port in ports:
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            if time.monotonic() > deadline or stopped():
                sys.exit(1)
            time.sleep(0.2)
EOF

# A server that failed after the other answered (or whose port was taken since the check) is said here, not
# after a banner.
for group in "${groups[@]}"; do
  if ! kill -0 -- "-$group" 2>/dev/null; then
    echo "A server stopped while starting; see the log lines above." >&2
    exit 1
  fi
done

cat <<EOF

  Identity server  http://localhost:$IDP_PORT/   (issuer $IDP_ISSUER)
    discovery      http://localhost:$IDP_PORT/.well-known/openid-configuration
    JWKS           http://localhost:$IDP_PORT/.well-known/openid-configuration/jwks
  API              $API_URL/
    secured        $API_URL/me
    browser client $API_URL/client/        (users bob/bob, alice/alice)
    Swagger UI     $API_URL/api/docs/
  Console client   make call-api IDP_PORT=$IDP_PORT API_PORT=$API_PORT
                   (or: IDP_PORT=$IDP_PORT API_PORT=$API_PORT $PY manage.py call_api)

  Press Ctrl-C to stop both.

EOF

# Return as soon as either server exits; the EXIT trap stops the other one.
wait -n
