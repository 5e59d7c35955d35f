"""cached_once: one build per key and process, however many threads miss at once."""

import threading
import time

from django.core.cache import cache

from models_api.cache import HIT, MISS, _Recent, cached_once, recent


def test_concurrent_misses_build_once_and_the_rest_hit():
    cache.clear()
    recent.clear()
    builds = []
    start = threading.Barrier(8)
    answers = []

    def build():
        builds.append(threading.get_ident())
        time.sleep(0.2)  # long enough for every other thread to arrive and wait
        return b"page"

    def ask():
        start.wait()
        answers.append(cached_once("test:page", build, 5))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(builds) == 1
    assert sorted(status for _, status in answers) == [HIT] * 7 + [MISS]
    assert {value for value, _ in answers} == {b"page"}
    assert cached_once("test:page", build, 5) == (b"page", HIT)


def test_value_expires_after_its_ttl():
    cache.clear()
    recent.clear()
    values = iter([b"first", b"second"])
    assert cached_once("test:ttl", lambda: next(values), 1) == (b"first", MISS)
    assert cached_once("test:ttl", lambda: next(values), 1) == (b"first", HIT)
    cache.delete("test:ttl")  # what the TTL does, without waiting for it, in the shared cache
    recent.clear()  # and in this process's copies
    assert cached_once("test:ttl", lambda: next(values), 1) == (b"second", MISS)


def test_this_process_copies_are_bounded_and_drop_what_expired_first():
    table = _Recent(max_bytes=1_000)
    table.put("old", b"x" * 400, -1)  # already expired
    table.put("a", b"a" * 400, 60)
    table.put("b", b"b" * 400, 60)  # over the bound: the expired copy goes, "a" stays
    assert (table.get("old"), table.get("a"), table.get("b")) == (None, b"a" * 400, b"b" * 400)
    table.put("c", b"c" * 400, 60)  # over again, nothing expired: it starts again empty
    assert (table.get("a"), table.get("c")) == (None, b"c" * 400)
