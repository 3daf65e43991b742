"""ringkv.Client: the Python face of the SDK (docs/sdk.md, "Python").

Same semantics as the C++ client: every request is coordinated by the client (N replicas,
W acks, R replies), concurrent writes come back as siblings with a context, and a put with
a read's context replaces exactly the versions that read saw.
"""

import dataclasses
import enum
from typing import List, Optional, Sequence, Union

from . import _ringkv

Bytes = Union[bytes, str]  # a str is encoded as UTF-8


class Level(enum.IntEnum):
    """Consistency levels (ringkv_level): set W for puts and R for gets from N."""

    ONE = 1
    QUORUM = 2
    ALL = 3
    LOCAL_QUORUM = 4
    LOCAL_ONE = 5
    EACH_QUORUM = 6


@dataclasses.dataclass(frozen=True)
class Sibling:
    """One version a read found: a value, or a delete concurrent with the others."""

    id: str  # "<coordinating node>:<counter>"
    written_ms: int  # the writer's wall clock at the put (ms since the Unix epoch)
    tombstone: bool  # a delete: not among GetResult.values
    value: bytes
    expires_ms: int  # when a value written with a TTL expires; 0: never


@dataclasses.dataclass(frozen=True)
class GetResult:
    found: bool  # False: never written, or deleted
    values: List[bytes]  # more than one: concurrent writes (siblings) to resolve
    context: bytes  # put with it to replace all of `values`; opaque, may be stored
    siblings: List[Sibling]  # every version read, oldest write first
    replies: int  # replicas that answered

    @property
    def has_siblings(self) -> bool:
        return len(self.values) > 1


@dataclasses.dataclass(frozen=True)
class PutResult:
    context: bytes  # the new version's context
    acks: int


def _ms(seconds: Optional[float], what: str) -> Optional[int]:
    if seconds is None:
        return None
    ms = int(round(seconds * 1000))
    if ms <= 0:
        from .errors import InvalidArgumentError

        raise InvalidArgumentError(f"{what} must be at least 1 ms, got {seconds!r} s")
    return ms


def _options(level, namespace, timeout, ttl=None, n=0, w=0, r=0):
    return _ringkv.RequestOptions(
        level=None if level is None else int(level),
        namespace=namespace or "",
        timeout_ms=_ms(timeout, "timeout"),
        ttl_ms=_ms(ttl, "ttl"),
        n=n,
        w=w,
        r=r,
    )


class Client:
    """A connection to a ringkv cluster; thread-safe (calls release the GIL while waiting).

    ``cluster``: "host:port,host:port" or a list of host:port (any nodes; the ring is
    learned from them). Raises UnavailableError when no seed answers. Use as a context
    manager, or call close(). Per-call options: ``level`` (a Level), ``namespace``,
    ``timeout`` and, for puts, ``ttl`` (seconds, floats allowed), and explicit ``n``/``w``/``r``.
    Credentials: ``token`` (the cluster's client token), or ``user`` and ``password`` (kv user
    add): a user's calls are checked against its role and grants (PermissionDeniedError).
    """

    def __init__(
        self,
        cluster: Union[str, Sequence[str]],
        *,
        cluster_name: str = "",
        n: int = 3,
        w: int = 2,
        r: int = 2,
        timeout: float = 2.0,
        token: str = "",
        user: str = "",
        password: str = "",
        tls_ca: str = "",
        tls_cert: str = "",
        tls_key: str = "",
        tls_server_name: str = "",
    ):
        seeds = cluster if isinstance(cluster, str) else ",".join(cluster)
        self._client = _ringkv.Client(
            seeds, cluster_name, n, w, r, _ms(timeout, "timeout"), token, user, password, tls_ca, tls_cert, tls_key, tls_server_name
        )

    def close(self) -> None:
        """Ends the client's network thread; later calls raise InvalidArgumentError."""
        self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def get(self, key: Bytes, *, level=None, namespace=None, timeout=None, r=0) -> GetResult:
        """Reads ``key``: found=False (no error) when it was never written or is deleted."""
        found, values, context, siblings, replies = self._client.get(key, _options(level, namespace, timeout, r=r))
        return GetResult(found, values, context, [Sibling(*s) for s in siblings], replies)

    def put(
        self, key: Bytes, value: Bytes, context: bytes = b"", *, level=None, namespace=None, timeout=None, ttl=None, w=0
    ) -> PutResult:
        """Writes ``value``, replacing the versions ``context`` (a read's) covers; without a
        context the write is concurrent with what is stored (a sibling of it)."""
        return PutResult(*self._client.put(key, value, context, _options(level, namespace, timeout, ttl, w=w)))

    def put_if_absent(self, key: Bytes, value: Bytes, *, level=None, namespace=None, timeout=None, ttl=None):
        """Creates ``key`` unless a read finds a live value (ExistsError; nothing written).
        Not linearizable: two racing creators may both succeed, as siblings."""
        return PutResult(*self._client.put_if_absent(key, value, _options(level, namespace, timeout, ttl)))

    def delete(self, key: Bytes, context: bytes = b"", *, level=None, namespace=None, timeout=None) -> PutResult:
        """Writes a delete that supersedes the versions ``context`` covers."""
        return PutResult(*self._client.delete(key, context, _options(level, namespace, timeout)))

    def create_namespace(
        self, name: str, *, n: int = 3, w: int = 2, r: int = 2, conflict: str = "siblings", default_ttl: int = 0
    ) -> None:
        """Creates a namespace (``conflict``: "siblings" or "lww"; ``default_ttl`` in whole
        seconds, 0: none). It reaches every node by gossip within a few rounds."""
        modes = {"siblings": 0, "lww": 1}
        if conflict not in modes:
            from .errors import InvalidArgumentError

            raise InvalidArgumentError(f"unknown conflict mode {conflict!r} (siblings or lww)")
        self._client.create_namespace(name, n, w, r, modes[conflict], default_ttl)

    def drop_namespace(self, name: str) -> None:
        self._client.drop_namespace(name)

    def refresh_ring(self) -> None:
        """Fetches the ring (members, namespaces) now rather than at the next periodic refresh."""
        self._client.refresh_ring()
