"""A process counts its requests against a limit in reserved batches, not one round trip each.

Far from the limit a process adds a batch (a 200th of the limit, at most 32) to the shared
counter at once and hands it out locally; within a batch of the limit it counts one by one,
so the limit holds exactly where it matters. Unused reservations only make the fleet refuse
a little early, never late. What it saves: bench/RESULTS.md.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_BATCH = 32
BATCH_SHARE = 200
# Counters of this many windows are kept per process, the least recently used going first.
MAX_COUNTERS = 4096


def batch_size(limit: int) -> int:
    """How many requests a process reserves at once under `limit` (1 for small limits)."""
    return max(1, min(MAX_BATCH, limit // BATCH_SHARE))


@dataclass
class Reservation:
    """Requests this process added to a window's shared counter and has not used yet.

    `counted` is the shared counter as it stood after the reservation, `previous` the
    previous window's count as read then; `one_by_one` once the window came near the limit."""

    counted: int
    previous: int
    unused: int
    one_by_one: bool = False


class ReservedCounts:
    """The reservations of one process, by the counter key of their window."""

    def __init__(self, max_counters: int = MAX_COUNTERS):
        self.max_counters = max_counters
        self._reservations: OrderedDict[str, Reservation] = OrderedDict()
        self._lock = threading.Lock()

    def count(
        self,
        key: str,
        *,
        limit: int,
        add: Callable[[int], tuple[int, int]],
        give_back: Callable[[int], object],
        fits: Callable[[int, int], bool],
    ) -> tuple[int, int]:
        """Count one request in the window `key`: (the shared count, the previous window's).

        `add(n)` adds n to the shared counter and reads both counts (one round trip),
        `give_back(n)` takes n off it, `fits(count, previous)` says if a count is allowed."""
        with self._lock:
            reservation = self._reservations.get(key)
            if reservation is not None and reservation.unused > 0:
                reservation.unused -= 1
                return reservation.counted, reservation.previous
        near_limit = reservation is not None and reservation.one_by_one
        batch = 1 if near_limit else batch_size(limit)
        counted, previous = add(batch)
        if batch == 1:
            return counted, previous
        if fits(counted, previous):
            self._keep(key, Reservation(counted, previous, unused=batch - 1))
            return counted, previous
        give_back(batch - 1)
        counted -= batch - 1
        self._keep(key, Reservation(counted, previous, unused=0, one_by_one=True))
        return counted, previous

    def clear(self) -> None:
        with self._lock:
            self._reservations.clear()

    def _keep(self, key: str, reservation: Reservation) -> None:
        with self._lock:
            self._reservations[key] = reservation
            self._reservations.move_to_end(key)
            while len(self._reservations) > self.max_counters:
                self._reservations.popitem(last=False)
