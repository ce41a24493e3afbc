"""The urllib3 internals jwks_auth.keys.deadline builds on: this fails first when a urllib3 release changes them.

pyproject.toml declares urllib3 with bounds for that module; these tests say
which internals the bounds protect, and show on a real loopback fetch that
every connection of a fetch goes through the watched classes.
"""

from __future__ import annotations

import inspect
import time

import pytest
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

from jwks_auth.keys import deadline


def test_the_declared_range_holds_the_installed_urllib3():
    major = int(urllib3.__version__.split(".")[0])
    assert major == 2, urllib3.__version__


@pytest.mark.parametrize("connection", [HTTPConnection, HTTPSConnection])
def test_connections_still_open_their_socket_in_new_conn_and_connect_to_dns_host(connection):
    assert inspect.signature(connection._new_conn).parameters.keys() == {"self"}
    conn = connection("idp.example", 443)
    # The connect uses _dns_host; Host, SNI and the certificate check use host (the module swaps only _dns_host).
    assert conn._dns_host == "idp.example" and conn.host == "idp.example"
    assert "_dns_host" in inspect.getsource(connection._new_conn)


@pytest.mark.parametrize("pool", [HTTPConnectionPool, HTTPSConnectionPool])
def test_pools_still_build_connections_from_connection_cls(pool):
    assert pool.ConnectionCls in (HTTPConnection, HTTPSConnection)
    assert "ConnectionCls" in inspect.getsource(pool._new_conn)


def test_pool_managers_still_choose_pools_by_scheme():
    assert set(PoolManager().pool_classes_by_scheme) == {"http", "https"}


def test_a_watched_fetch_registers_every_socket_it_opens(provider):
    watchdog = deadline.Watchdog(time.monotonic() + 5.0)
    registered = []
    original = watchdog.watch
    watchdog.watch = lambda sock: registered.append(sock) or original(sock)  # type: ignore[method-assign]
    with watchdog:
        response = deadline.watched_session(watchdog).get(provider.jwks_uri, timeout=(2, 2))
    assert response.status_code == 200 and len(registered) == 1
