"""Generations: numbers in the shared `state` cache that tell every process its copies are old.

A process may keep a value in its own memory under (name's generation, key): a value never
changes under such a key, and a change anywhere bumps the generation, which every process reads
on its next request. A store that has lost a generation (new, or cleared) starts a new one from
the clock, so an old copy can never be taken for a current one.
"""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import caches

NAMES = ("keys", "catalog")  # read together, in one round trip, by the first read of a request
_request = threading.local()  # .seen: this request's generations, while one is being answered


@contextmanager
def one_view() -> Iterator[None]:
    """Within the block (a request), each generation is read from the shared store once.

    An API request reads the keys' generation for its key and again for its virtual key, and
    the catalog's for its model: three shared-store reads become one, and the request sees one
    consistent state. Threads outside a request (the recorder, syncs) read every time.
    """
    _request.seen = {}
    try:
        yield
    finally:
        _request.seen = None


def generation(name: str) -> int:
    seen = getattr(_request, "seen", None)
    if seen is None:
        return _read(name)
    if name not in seen:
        wanted = NAMES if name in NAMES and not seen else (name,)
        found = caches["state"].get_many([f"generation:{each}" for each in wanted])
        for each in wanted:
            seen[each] = found.get(f"generation:{each}") or _read(each)
    return seen[name]


def _read(name: str) -> int:
    state = caches["state"]
    key = f"generation:{name}"
    value = state.get(key)
    if value is None:
        state.add(key, time.time_ns(), None)  # two processes at once: one wins, both read it
        value = state.get(key)
    return value


def generation_bump(name: str) -> None:
    seen = getattr(_request, "seen", None)
    if seen:
        seen.pop(name, None)  # this request's later reads see its own change
    state = caches["state"]
    key = f"generation:{name}"
    try:
        state.incr(key)
    except ValueError:  # lost: a new series is itself a new generation
        if not state.add(key, time.time_ns(), None):
            state.incr(key)
