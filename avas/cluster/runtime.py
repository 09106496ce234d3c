"""Importing and joining Ray, kept on loopback when the cluster is this machine.

    with connected("local", num_cpus=2):   # an in-process cluster bound to 127.0.0.1
        ...
    with connected("127.0.0.1:6379"):      # a running cluster (``ray start --head ...``)
        ...

Ray advertises the machine's interface address by default, even for a one-machine cluster; a
local cluster here binds 127.0.0.1 only, sends no usage statistics and starts no dashboard.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from avas.errors import DependencyError, InputError

from .net import LOOPBACK, address_host, is_loopback

INSTALL_HINT = "Ray is not installed: pip install 'avas[cluster]'"
OBJECT_STORE_BYTES = 200 * 1024 * 1024  # plenty for event records; small on a shared machine


def require_ray() -> ModuleType:
    """The ``ray`` module, or a DependencyError naming the extra to install."""
    # Before Ray reads them at import (and before any process of it starts): no usage reports.
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    try:
        import ray
    except ImportError as exc:
        raise DependencyError(INSTALL_HINT) from exc
    return ray


def pin_loopback() -> None:
    """Make this process resolve "this node" to 127.0.0.1, not the interface address.

    ``ray.init(address="127.0.0.1:port")`` otherwise rewrites the loopback address to the
    machine's interface address and connects there (measured with Ray 2.60); Ray consults this
    constant only to pick that address (and in ``ray start``).
    """
    require_ray()
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # for processes started from here
    from ray._private import ray_constants

    ray_constants.ENABLE_RAY_CLUSTER = False


def local_node_args(num_cpus: int) -> dict[str, object]:
    """Arguments for a loopback-only node (``ray.init`` or ``Cluster.add_node``)."""
    return {
        "node_ip_address": LOOPBACK,
        "num_cpus": num_cpus,
        "num_gpus": 0,
        "object_store_memory": OBJECT_STORE_BYTES,
        "include_dashboard": False,
    }


@contextmanager
def connected(address: str, *, num_cpus: int | None = None) -> Iterator[ModuleType]:
    """Ray, joined to ``address``: ``local`` starts a cluster in this process (``num_cpus``
    workers, default one per core), anything else is a running cluster's address."""
    ray = require_ray()
    if not address:
        raise InputError("--ray needs an address: local, auto, host:port or ray://host:port")
    if ray.is_initialized():  # already joined (tests, or a caller that manages Ray itself)
        yield ray
        return
    if address == "local":
        pin_loopback()
        ray.init(
            _node_ip_address=LOOPBACK,
            num_cpus=num_cpus or os.cpu_count() or 1,
            num_gpus=0,
            object_store_memory=OBJECT_STORE_BYTES,
            include_dashboard=False,
            logging_level="WARNING",
            log_to_driver=False,
        )
    else:
        kwargs: dict[str, object] = {"logging_level": "WARNING", "log_to_driver": False}
        if is_loopback(address_host(address)):
            pin_loopback()
            if not address.startswith("ray://"):
                kwargs["_node_ip_address"] = LOOPBACK
        ray.init(address=address, **kwargs)
    try:
        yield ray
    finally:
        ray.shutdown()
