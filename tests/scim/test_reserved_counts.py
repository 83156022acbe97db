"""Reserved counts: a process adds a batch to the shared counter and hands it out locally."""

from apps.scim.reserved_counts import MAX_BATCH, ReservedCounts, batch_size


class SharedCounter:
    """The fleet's counter (Redis in production), with the round trips that reached it."""

    def __init__(self, previous: int = 0):
        self.count = 0
        self.previous = previous
        self.round_trips = 0

    def add(self, amount: int) -> tuple[int, int]:
        self.round_trips += 1
        self.count += amount
        return self.count, self.previous

    def give_back(self, amount: int) -> None:
        self.round_trips += 1
        self.count -= amount


def counted(counts: ReservedCounts, shared: SharedCounter, limit: int) -> bool:
    """One request through `counts`, allowed as the throttle would; a refusal given back."""
    current, previous = counts.count(
        "window",
        limit=limit,
        add=shared.add,
        give_back=shared.give_back,
        fits=lambda count, previous: previous + count <= limit,
    )
    if previous + current <= limit:
        return True
    shared.give_back(1)
    return False


def test_small_limits_are_counted_one_request_at_a_time():
    assert [batch_size(limit) for limit in (1, 30, 399)] == [1, 1, 1]


def test_the_batch_is_a_two_hundredth_of_the_limit_and_at_most_thirty_two():
    assert [batch_size(limit) for limit in (3000, 6400, 1_000_000)] == [15, 32, MAX_BATCH]


def test_a_batch_costs_one_round_trip_for_all_its_requests():
    counts, shared = ReservedCounts(), SharedCounter()

    allowed = [counted(counts, shared, limit=3000) for _ in range(15)]

    assert all(allowed)
    assert (shared.round_trips, shared.count) == (1, 15)


def test_the_sixteenth_request_reserves_the_next_batch():
    counts, shared = ReservedCounts(), SharedCounter()
    for _ in range(16):
        counted(counts, shared, limit=3000)

    assert (shared.round_trips, shared.count) == (2, 30)


def test_near_the_limit_the_batch_is_given_back_and_requests_are_counted_one_by_one():
    counts, shared = ReservedCounts(), SharedCounter(previous=2990)

    allowed = [counted(counts, shared, limit=3000) for _ in range(12)]

    assert allowed == [True] * 10 + [False] * 2
    assert shared.count == 10


def test_processes_holding_reservations_never_let_the_fleet_past_the_limit():
    shared = SharedCounter()
    fleet = [ReservedCounts() for _ in range(4)]

    allowed = sum(counted(fleet[n % 4], shared, limit=3000) for n in range(4000))

    # Each process may hold up to a batch less one unused when the limit is reached.
    assert 3000 - 4 * 14 <= allowed <= 3000
    assert shared.count <= 3000


def far_from_the_limit(counts: ReservedCounts, shared: SharedCounter, key: str) -> None:
    """One request in window `key` of a 3000 limit, every count fitting."""
    counts.count(
        key, limit=3000, add=shared.add, give_back=shared.give_back, fits=lambda *_: True
    )


def test_each_window_has_reservations_of_its_own():
    counts, shared = ReservedCounts(), SharedCounter()
    far_from_the_limit(counts, shared, "window-1")

    far_from_the_limit(counts, shared, "window-2")

    assert shared.round_trips == 2


def test_a_process_keeps_at_most_max_counters_windows():
    counts, shared = ReservedCounts(max_counters=2), SharedCounter()
    for key in ("a", "b", "c"):
        far_from_the_limit(counts, shared, key)

    far_from_the_limit(counts, shared, "a")

    assert shared.round_trips == 4  # "a" was dropped, so it reserved again
