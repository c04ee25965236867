"""The production profile started by a benchmark for itself (`make cluster` in a throwaway
folder on free ports, as the end-to-end and fault tests start it: tests/support/cluster.py), so
`make bench-cluster` needs nothing running and never meets a developer's cluster."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bench.own_stack import UNLIMITED
from tests.support.cluster import Cluster, running_cluster

# Demo mode is always off in the profile (it writes real random secrets); everything else of
# the single stack's load settings holds: one machine's simulated users are not people.
LOAD = {k: v for k, v in UNLIMITED.items() if k != "SWA_DEMO_MODE"}


@contextmanager
def own_cluster(
    services: int = 2, rasa: int = 2, actions: int = 1, **env: str
) -> Iterator[Cluster]:
    """nginx, `services` instances, `rasa` Rasa servers and `actions` action servers with
    PostgreSQL and Redis (Sentinel, as deployed), up and ready; stopped and removed after."""
    with running_cluster(
        SWA_CLUSTER_SERVICES=str(services),
        SWA_CLUSTER_RASA=str(rasa),
        SWA_CLUSTER_ACTIONS=str(actions),
        # nginx's per-address socket limit (below 65536, nginx's ceiling): every simulated
        # user comes from 127.0.0.1.
        SWA_CLUSTER_SOCKETS_PER_IP="10000",
        **{**LOAD, **env},
    ) as cluster:
        yield cluster
