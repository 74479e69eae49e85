"""What the views share: the settings, the Neo4j driver and the key cache."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import current_app
from neo4j import Driver

from basketgraph.config import Settings
from basketgraph.graphdb.keys import ApiKey, find_key, hash_token

if TYPE_CHECKING:
    from basketgraph.text import TextEncoder

#: Seconds a looked-up API key is trusted before it is read again; a revoked key
#: is refused at the latest this long after ``basketgraph keys revoke``.
KEY_CACHE_SECONDS = 10.0


@dataclass
class KeyCache:
    """API keys by token hash, each kept for :data:`KEY_CACHE_SECONDS`.

    Every API request names its key; reading it from Neo4j each time would double
    the queries of a cheap read.
    """

    seconds: float = KEY_CACHE_SECONDS
    _entries: dict[str, tuple[float, ApiKey | None]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def lookup(self, driver: Driver, token: str) -> ApiKey | None:
        """Return the active key of ``token``, from the cache while it is fresh."""
        digest = hash_token(token)
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(digest)
        if entry is not None and now - entry[0] < self.seconds:
            return entry[1]
        key = find_key(driver, token)
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[digest] = (now, key)

        return key

    def clear(self) -> None:
        """Forget every key, so that the next request reads it again."""
        with self._lock:
            self._entries.clear()


@dataclass
class Services:
    """The application's connections, created once by :func:`create_app`."""

    settings: Settings
    driver: Driver
    keys: KeyCache = field(default_factory=KeyCache)
    _encoder: TextEncoder | None = None
    _encoder_lock: threading.Lock = field(default_factory=threading.Lock)

    def encoder(self) -> TextEncoder:
        """Return the text encoder, loading it on first use.

        Only text search by meaning needs it (to embed the query's words); related
        products and basket completion never do.
        """
        with self._encoder_lock:
            if self._encoder is None:
                from basketgraph.text import make_encoder

                self._encoder = make_encoder(self.settings.text_encoder)
            return self._encoder


def services() -> Services:
    """Return the current application's :class:`Services`."""
    found = current_app.extensions["basketgraph"]
    assert isinstance(found, Services)  # set by create_app

    return found
