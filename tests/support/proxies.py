"""Real TLS-terminating proxies on loopback: nginx and HAProxy from Debian, with client certificates.

Each runs in the foreground in its own process group from a configuration
written here (never the system's, never as a service), verifies client
certificates against a test CA (``verify optional``: a request without one
still passes, with no certificate header), and connects to its upstream from
``PROXY_SOURCE`` (127.0.0.2), so that the upstream can tell the proxy from a
client on 127.0.0.1 and ``PROXY["ADDRESSES"]`` names the proxy alone.

* ``Nginx``: ``$ssl_client_escaped_cert`` in ``X-SSL-Client-Cert``
  (``PROXY["CLIENT_CERT_FORMAT"]`` ``escaped-pem``), ``X-Forwarded-Proto`` and
  ``X-Forwarded-Host``, each with ``proxy_set_header``, which also drops
  the client's own copy of the header;
* ``HAProxy``: its DER in base64 (``%[ssl_c_der,base64]``, format
  ``base64-der``) with ``set-header`` (which replaces a client's copy) or,
  misconfigured, ``add-header`` (which appends to it), and RFC 7239
  ``Forwarded``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.loopback import LOOPBACK, free_port
from tests.support.processes import ProcessGroup

#: The address the proxies connect to their upstream from (Linux routes all of 127.0.0.0/8 to lo).
PROXY_SOURCE = "127.0.0.2"
REPO = Path(__file__).resolve().parents[2]


def _binary(name: str, path: str) -> str:
    """The Debian binary, installed by scripts/install-system-deps.sh when missing (`make test` installs it first)."""
    installer = REPO / "scripts" / "install-system-deps.sh"
    if not os.access(path, os.X_OK) and installer.exists():  # the matrix runs a copy of tests/ without scripts/
        subprocess.run([str(installer), name], check=True, timeout=600)
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"{name} is not installed: scripts/install-system-deps.sh {name} (make system-deps)")
    return path


def _wait_for_port(group: ProcessGroup, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if group.process is None or group.process.poll() is not None:
            raise RuntimeError(f"{type(group).__name__} exited:\n{group.logs()}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.2)
            if sock.connect_ex((LOOPBACK, port)) == 0:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{type(group).__name__} did not listen within {timeout} s:\n{group.logs()}")
        time.sleep(0.05)


@dataclass
class TLSFiles:
    """The server's certificate and key, and the CA bundle client certificates must chain to."""

    certificate: Path
    key: Path
    ca: Path


@dataclass
class Route:
    """One TLS listener of the proxy and the plain-HTTP upstream it forwards to."""

    upstream_port: int
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"https://{LOOPBACK}:{self.port}"


def _start(group: ProcessGroup, argv: list[str], ports: list[int], timeout: float) -> None:
    with open(group.log_path, "ab") as log:
        group.process = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    try:
        for port in ports:
            _wait_for_port(group, port, timeout)
    except BaseException:
        group.stop()
        raise


@dataclass
class Nginx(ProcessGroup):
    """nginx terminating TLS for each route, as docs/production.md ("Behind a proxy") configures it."""

    directory: Path
    tls: TLSFiles
    routes: list[Route]
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.directory / "nginx.log"

    def config(self) -> str:
        d = self.directory
        servers = "".join(
            f"""
  server {{
    listen {LOOPBACK}:{route.port} ssl;
    ssl_certificate {self.tls.certificate};
    ssl_certificate_key {self.tls.key};
    ssl_client_certificate {self.tls.ca};
    ssl_verify_client optional;
    location / {{
      proxy_pass http://{LOOPBACK}:{route.upstream_port};
      proxy_bind {PROXY_SOURCE};
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host:$server_port;
      # Empty without a client certificate: the header is then not sent at all, the client's copy neither.
      proxy_set_header X-SSL-Client-Cert $ssl_client_escaped_cert;
      proxy_set_header X-SSL-Client-Verify $ssl_client_verify;
    }}
  }}"""
            for route in self.routes
        )
        # user root: the workers read the temporary directories under the test's own (root-only) tmp_path.
        return f"""user root;
worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/nginx-error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {d}/client_body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;{servers}
}}
"""

    def start(self, timeout: float = 20) -> Nginx:
        self.directory.mkdir(parents=True, exist_ok=True)
        conf = self.directory / "nginx.conf"
        conf.write_text(self.config())
        nginx = _binary("nginx", "/usr/sbin/nginx")
        # -e: the error log before the configuration is read (else /var/log/nginx/error.log).
        argv = [nginx, "-e", str(self.directory / "nginx-error.log"), "-p", str(self.directory), "-c", str(conf)]
        _start(self, argv, [route.port for route in self.routes], timeout)
        return self

    def logs(self) -> str:
        error_log = self.directory / "nginx-error.log"
        extra = error_log.read_text(errors="replace") if error_log.exists() else ""
        return super().logs() + extra


@dataclass
class HAProxy(ProcessGroup):
    """HAProxy terminating TLS for one route; ``append`` misconfigures it to add its header to the client's."""

    directory: Path
    tls: TLSFiles
    route: Route
    append: bool = False
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.directory / f"haproxy-{self.route.port}.log"

    def config(self, bundle: Path) -> str:
        if self.append:
            certificate = "  http-request add-header X-SSL-Client-Cert %[ssl_c_der,base64] if { ssl_c_used }\n"
        else:
            certificate = (
                "  http-request set-header X-SSL-Client-Cert %[ssl_c_der,base64] if { ssl_c_used }\n"
                "  http-request del-header X-SSL-Client-Cert unless { ssl_c_used }\n"
            )
        return f"""global
  maxconn 64

defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s

frontend tls
  bind {LOOPBACK}:{self.route.port} ssl crt {bundle} ca-file {self.tls.ca} verify optional
{certificate}  # RFC 7239, replacing any Forwarded the client sent.
  http-request set-header Forwarded "for=%[src];proto=https;host=\\"%[req.hdr(host)]\\""
  default_backend api

backend api
  source {PROXY_SOURCE}
  server api {LOOPBACK}:{self.route.upstream_port}
"""

    def start(self, timeout: float = 20) -> HAProxy:
        self.directory.mkdir(parents=True, exist_ok=True)
        # HAProxy reads the certificate and its key from one file.
        bundle = self.directory / "server-bundle.pem"
        bundle.write_bytes(self.tls.certificate.read_bytes() + self.tls.key.read_bytes())
        conf = self.directory / f"haproxy-{self.route.port}.cfg"
        conf.write_text(self.config(bundle))
        haproxy = _binary("haproxy", "/usr/sbin/haproxy")
        subprocess.run([haproxy, "-c", "-q", "-f", str(conf)], check=True, capture_output=True, timeout=30)
        _start(self, [haproxy, "-db", "-f", str(conf)], [self.route.port], timeout)
        return self
