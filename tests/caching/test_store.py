"""The process's store holds at most its byte budget, least recently used out first."""

import time

from inclusion.caching.store import Entry, Store


def entry(size: int, seconds: float = 60) -> Entry:
    return Entry(b"x" * size, "text/html", time.time() + seconds)


def test_the_store_keeps_to_its_byte_budget():
    kept = Store(max_bytes=10_000, shared=None)
    for number in range(5):
        kept.put(f"page:{number}", entry(3_000))
    # 3,000 bytes (and their overhead) each: three fit; the oldest two went first.
    found = [kept.get(f"page:{n}") is not None for n in range(5)]
    assert found == [False, False, True, True, True]
    kept.get("page:2")  # used again: now the last to go
    kept.put("page:5", entry(3_000))
    assert kept.get("page:2") is not None and kept.get("page:3") is None


def test_an_entry_larger_than_the_budget_is_not_kept_and_old_ones_are_not_shown():
    kept = Store(max_bytes=10_000, shared=None)
    kept.put("feed:big", entry(20_000))
    kept.put("page:old", entry(10, seconds=-1))
    assert kept.get("feed:big") is None and kept.get("page:old") is None


def test_one_build_for_many_askers():
    kept = Store(max_bytes=10_000, shared=None)
    builds = []
    for _ in range(3):
        body = kept.get_or_build("feed:x", lambda: builds.append(1) or b"BEGIN", "text/plain", 60)
        assert body == b"BEGIN"
    assert builds == [1]
