"""Where this process reaches the network from: one id per host, or per container (network namespace).

A failed fetch says that the provider cannot be reached *from here*. The workers of one host share that verdict;
another host, whose route to the provider may well be fine, should not take it on one host's word
(``utils.backoff``). The id is a digest of what tells network vantage points apart: the host name, the kernel's
boot id (one per machine) and the network namespace (one per container). No part of it is secret or stable
across reboots; it is only compared for equality while a pause lasts.
"""

from __future__ import annotations

import functools
import hashlib
import os
import socket


@functools.cache
def network_place() -> str:
    """This process's network vantage point, as a short digest (the same in every worker of one host)."""
    parts = [socket.gethostname()]
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as boot_id:
            parts.append(boot_id.read().strip())
    except OSError:
        pass  # not Linux: the host name alone
    try:
        parts.append(str(os.stat("/proc/self/ns/net").st_ino))
    except OSError:
        pass
    return hashlib.sha256("|".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:16]
