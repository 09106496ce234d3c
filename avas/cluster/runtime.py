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
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from avas.errors import DependencyError, InputError

from .net import LOOPBACK, address_host, is_loopback

INSTALL_HINT = "Ray is not installed: pip install 'avas[cluster]'"
OBJECT_STORE_BYTES = 200 * 1024 * 1024  # plenty for event records; small on a shared machine


def require_ray() -> ModuleType:
    """The ``ray`` module, or a DependencyError naming the extra to install."""
    # Before Ray reads them at import (and before any process of it starts): no usage reports.
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    # Agents and the GCS start slowly on a busy machine: wait longer for them than the defaults.
    os.environ.setdefault("RAY_agent_register_timeout_ms", "180000")
    os.environ.setdefault("RAY_gcs_server_port_wait_time_s", "180")
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


def free_loopback_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        port: int = s.getsockname()[1]
        return port


def local_node_args(num_cpus: int, *, head: bool = True) -> dict[str, Any]:
    """Arguments for a loopback-only node (``Cluster(head_node_args=...)`` or ``add_node``).

    The agents' ports are given, not left to them: a raylet waits at most 15 s for an agent to
    report the port it picked and aborts after that, which a busy machine overran (measured
    with Ray 2.60 under a load average of 21 on 2 cores).
    """
    args: dict[str, Any] = {
        "node_ip_address": LOOPBACK,
        "num_cpus": num_cpus,
        "num_gpus": 0,
        "object_store_memory": OBJECT_STORE_BYTES,
        "metrics_agent_port": free_loopback_port(),
        "metrics_export_port": free_loopback_port(),
        "dashboard_agent_listen_port": free_loopback_port(),
        "runtime_env_agent_port": free_loopback_port(),
    }
    if head:
        args["include_dashboard"] = False
    return args


NODE_ATTEMPTS = 4


def _start_node(cluster: Any, args: dict[str, Any]) -> None:
    """Add a node, again when it does not come up: a raylet waits at most 15 s for its dashboard
    agent to report its HTTP port (not configurable in Ray 2.60) and aborts, which a machine
    under a load average of 25 overran; a second try finds the agent's imports cached."""
    last: Exception | None = None
    for _ in range(NODE_ATTEMPTS):
        try:
            cluster.add_node(**args)
            return
        except Exception as exc:  # Ray raises a bare Exception when a node times out
            last = exc
            args = args | {k: free_loopback_port() for k in args if k.endswith("_port")}
    raise DependencyError(
        f"Ray could not start a node on {LOOPBACK} in {NODE_ATTEMPTS} tries "
        f"(is the machine overloaded?): {last}"
    )


@contextmanager
def local_cluster(nodes: int = 1, cpus_per_node: int = 1) -> Iterator[Any]:
    """A Ray cluster of ``nodes`` raylets on this machine, every process on 127.0.0.1, this
    process its driver (``ray.cluster_utils.Cluster``, as Ray's own multi-node tests make one)."""
    ray = require_ray()
    pin_loopback()
    from ray.cluster_utils import Cluster

    cluster = Cluster()
    try:
        for i in range(nodes):
            _start_node(cluster, local_node_args(cpus_per_node, head=i == 0))
        cluster.wait_for_nodes()
        ray.init(
            address=cluster.address,
            _node_ip_address=LOOPBACK,
            logging_level="WARNING",
            log_to_driver=False,
        )
        try:
            yield cluster
        finally:
            ray.shutdown()
    finally:
        cluster.shutdown()


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
        with local_cluster(1, num_cpus or os.cpu_count() or 1):
            yield ray
        return
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
