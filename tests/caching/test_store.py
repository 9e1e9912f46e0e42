"""The process's store holds at most its byte budget, least recently used out first."""

import gzip
import os
import time

from inclusion.caching.store import PLAIN_KEPT_BYTES, Entry, Store


def entry(size: int, seconds: float = 60) -> Entry:
    """An entry of ``size`` bytes as kept (random bytes: compressing would not shrink it)."""
    return Entry(os.urandom(size), "text/html", time.time() + seconds)


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
        made = kept.get_or_build("feed:x", lambda: builds.append(1) or [b"BEG", b"IN"],
                                 "text/plain", 60)  # fmt: skip
        assert made.body == b"BEGIN" and gzip.decompress(made.gzipped) == b"BEGIN"
    assert builds == [1]


def test_a_large_body_is_kept_compressed_only():
    event = "BEGIN:VEVENT\r\nSUMMARY:スマホ教室\r\nEND:VEVENT\r\n".encode()
    count = PLAIN_KEPT_BYTES // len(event) * 3
    made = []

    def parts():
        for _ in range(count):
            made.append(1)
            yield event

    large = Entry.of(parts(), "text/calendar", time.time() + 60)
    assert large.plain is None and len(made) == count
    assert large.body == event * count and gzip.decompress(large.gzipped) == event * count
    assert len(large.gzipped) < len(event) * count / 10
    small = Entry.of([event, event], "text/calendar", time.time() + 60)
    assert small.plain == event * 2 and gzip.decompress(small.gzipped) == small.plain


def test_a_new_version_takes_the_place_of_the_one_before():
    """A calendar changed five times is kept once: its past versions do not push the
    other pages out of the store."""
    kept = Store(max_bytes=10_000, shared=None)
    kept.put("page:other", entry(3_000))
    builds = []
    for version in ("v1", "v1", "v2", "v3", "v4", "v5", "v5"):
        made = kept.get_or_build(
            "feed:x", lambda v=version: builds.append(v) or [v.encode() + os.urandom(3_000)],
            "text/calendar", 60, version=version,
        )  # fmt: skip
        assert made.version == version and made.body.startswith(version.encode())
    assert builds == ["v1", "v2", "v3", "v4", "v5"]
    assert kept.get("page:other") is not None
