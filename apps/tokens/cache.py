"""The API tokens this process has checked, kept so that a known token costs no query."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from apps.tenants.access import UNKNOWN, access_version
from apps.tokens.models import ApiToken


@dataclass
class _Entry:
    tenant_id: int
    token_id: int
    token: ApiToken | None = None
    version: object = UNKNOWN
    loaded_at: float = 0.0

    def is_current(self, version: object, loaded_since: float) -> bool:
        return self.version == version and self.loaded_at > loaded_since


class TokenCache:
    """Tokens by digest, trusted while the tenant's access version is the one they were
    loaded under, and for at most TOKEN_CACHE_SECONDS.

    Services change the version (apps/tenants/access.py) whenever a token may become
    refused, so a revocation is seen on the next request in every process. The first
    sighting of a digest only notes its tenant and token ids: from the second on, the
    version is read before the token is loaded, so a change committed in between is not
    filed under the new version. At most `max_entries` digests are kept, the least
    recently used going first; unknown digests are never kept.
    """

    def __init__(self, *, max_entries: int = 4096, clock: Callable[[], float] = time.monotonic):
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, digest: str) -> bool:
        return digest in self._entries

    def find(self, digest: str, load: Callable[[str], ApiToken | None]) -> ApiToken | None:
        """The token with this digest, with its tenant: from the cache while current, else
        from `load` (a database read)."""
        lifetime = settings.TOKEN_CACHE_SECONDS
        if lifetime <= 0:
            return load(digest)
        entry = self._get(digest)
        if entry is None:
            token = load(digest)
            if token is not None:
                self._put(digest, _Entry(tenant_id=token.tenant_id, token_id=token.pk))
            return token
        version = access_version(entry.tenant_id)
        now = self.clock()
        if entry.token is not None and entry.is_current(version, now - lifetime):
            return entry.token
        token = load(digest)
        if token is None:
            self._discard(digest)
        elif version is not UNKNOWN:
            self._put(digest, _Entry(token.tenant_id, token.pk, token, version, now))
        return token

    def _get(self, digest: str) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(digest)
            if entry is not None:
                self._entries.move_to_end(digest)
            return entry

    def _put(self, digest: str, entry: _Entry) -> None:
        with self._lock:
            self._entries[digest] = entry
            self._entries.move_to_end(digest)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def _discard(self, digest: str) -> None:
        with self._lock:
            self._entries.pop(digest, None)
