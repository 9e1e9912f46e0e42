"""Where cached bytes are kept: in this process, bounded in bytes, and in Redis as well
when ``CACHE_URL`` names one, so that every worker and host shares what one has built —
and builds it once: the others wait for it (a lock per process, and a Redis lock across
processes and hosts)."""

from __future__ import annotations

import gzip
import logging
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cachetools import LRUCache
from flask import Flask, current_app
from prometheus_client import Counter

from inclusion.extensions import cache

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

BUILDS = Counter(
    "inclusion_cache_builds", "Pages and calendars built because no copy was kept", ["kind"]
)

#: What an entry costs beyond its body: the key, the object, the dict slot.
_OVERHEAD = 300
#: The longest a build may hold its Redis lock (a host that died frees it then), and the
#: longest another waits for it before building itself.
BUILD_SECONDS = 120


#: Bodies up to this size are kept as they are beside their compressed copy; larger ones
#: (a calendar of 10,000 events is 6 MB, a tenth of that compressed) only compressed.
PLAIN_KEPT_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class Entry:
    #: The body compressed once, for the clients that accept it (nearly all do).
    gzipped: bytes
    content_type: str
    #: ``time.time()`` after which it is not shown.
    expires: float
    #: The body as it is, while small.
    plain: bytes | None = None
    #: Which version of a thing kept under one key it holds (a calendar's ETag).
    version: str = ""

    @classmethod
    def of(
        cls, parts: Iterable[bytes], content_type: str, expires: float, version: str = ""
    ) -> Entry:
        """An entry of the body made of ``parts``, compressed as they come: a large body
        is never whole in memory."""
        # Level 1, as nginx's default: a 10,000-event calendar compresses in a third of
        # the time of level 6, and to hardly more bytes. 31: with gzip's header.
        packer = zlib.compressobj(1, zlib.DEFLATED, 31)
        packed, plain, size = [], [], 0
        for part in parts:
            packed.append(packer.compress(part))
            size += len(part)
            if plain is not None:
                plain.append(part)
                if size > PLAIN_KEPT_BYTES:
                    plain = None
        packed.append(packer.flush())
        whole = b"".join(plain) if plain is not None else None
        return cls(b"".join(packed), content_type, expires, whole, version)

    @property
    def body(self) -> bytes:
        """The body as it is (unpacked anew for the rare client without gzip)."""
        return self.plain if self.plain is not None else gzip.decompress(self.gzipped)


class Store:
    """Entries by key: this process's least-recently-used copy first, then Redis."""

    def __init__(self, max_bytes: int, shared: redis.Redis | None) -> None:
        self._local: LRUCache[str, Entry] = LRUCache(
            maxsize=max_bytes,
            getsizeof=lambda entry: len(entry.plain or b"") + len(entry.gzipped) + _OVERHEAD,
        )
        self._lock = threading.Lock()
        self._shared = shared
        self._shared_errors: tuple[type[Exception], ...] = ()
        if shared is not None:
            from redis import RedisError

            self._shared_errors = (RedisError,)
        self._building: dict[str, threading.Lock] = {}

    def get(self, key: str) -> Entry | None:
        now = time.time()
        with self._lock:
            entry = self._local.get(key)
        if entry is None and self._shared:
            entry = self._ask_shared(lambda: cache.get(key))
            if entry is not None and entry.expires > now:
                self._keep(key, entry)
        return entry if entry is not None and entry.expires > now else None

    def put(self, key: str, entry: Entry) -> None:
        self._keep(key, entry)
        if self._shared:
            seconds = max(1, int(entry.expires - time.time()) + 1)
            self._ask_shared(lambda: cache.set(key, entry, timeout=seconds))

    def _ask_shared(self, call: Callable[[], object]) -> object:
        """Redis's answer, or None while it does not answer: this process goes on alone
        (pages are still right: each is checked against its wards' versions)."""
        try:
            return call()
        except self._shared_errors as error:
            log.warning("Redis did not answer: %s", error)
            return None

    def get_or_build(
        self,
        key: str,
        build: Callable[[], Iterable[bytes]],
        content_type: str,
        seconds: int,
        version: str = "",
    ) -> Entry:
        """The entry of ``version`` of the body ``build`` makes in parts, built by one
        caller while the others wait for it. It takes the place of the version kept
        before: a calendar changed often does not fill the store with its past."""
        entry = self.get(key)
        if entry is None or entry.version != version:
            with self.building(key):
                entry = self.get(key)
                if entry is None or entry.version != version:
                    BUILDS.labels(key.partition(":")[0]).inc()
                    entry = Entry.of(build(), content_type, time.time() + seconds, version)
                    self.put(key, entry)
        return entry

    @contextmanager
    def building(self, key: str) -> Iterator[None]:
        """Held while ``key`` is built: others wanting it wait, then find it stored."""
        with self._lock:
            lock = self._building.setdefault(key, threading.Lock())
        try:
            with lock:
                if self._shared is None:
                    yield
                    return
                across = self._shared.lock(
                    f"inclusion:building:{key}",
                    timeout=BUILD_SECONDS,
                    raise_on_release_error=False,
                )
                # Waited too long (a build elsewhere hangs): build here rather than fail.
                held = self._ask_shared(lambda: across.acquire(blocking_timeout=BUILD_SECONDS))
                try:
                    yield
                finally:
                    if held:
                        self._ask_shared(across.release)
        finally:
            with self._lock:
                self._building.pop(key, None)

    def _keep(self, key: str, entry: Entry) -> None:
        if self._local.getsizeof(entry) > self._local.maxsize:
            return  # larger than the whole store: Redis only
        with self._lock:
            self._local[key] = entry


class Pieces:
    """Small parts many builds share (a calendar's events), kept in this process by a
    digest of what they are made from, bounded in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self._items: LRUCache[bytes, bytes] = LRUCache(
            maxsize=max_bytes, getsizeof=lambda piece: len(piece) + _PIECE_OVERHEAD
        )
        self._lock = threading.Lock()

    def get(self, key: bytes) -> bytes | None:
        with self._lock:
            return self._items.get(key)

    def put(self, key: bytes, piece: bytes) -> None:
        if len(piece) + _PIECE_OVERHEAD <= self._items.maxsize:
            with self._lock:
                self._items[key] = piece


#: A piece's key (16 bytes) and the dict slot and objects around it.
_PIECE_OVERHEAD = 150


def init_app(app: Flask) -> None:
    shared = None
    if app.config.get("CACHE_TYPE") == "RedisCache":
        import redis  # only where Redis is used: a worker without it is 6 MiB smaller

        shared = redis.Redis.from_url(app.config["CACHE_REDIS_URL"])
    app.extensions["inclusion.store"] = Store(app.config["LOCAL_CACHE_BYTES"], shared)
    app.extensions["inclusion.pieces"] = Pieces(app.config["LOCAL_PIECES_BYTES"])


def store() -> Store:
    return current_app.extensions["inclusion.store"]


def pieces() -> Pieces:
    return current_app.extensions["inclusion.pieces"]
