"""Generations: numbers in the shared `state` cache that tell every process its copies are old.

A process may keep a value in its own memory under (name's generation, key): a value never
changes under such a key, and a change anywhere bumps the generation, which every process reads
on its next request. A store that has lost a generation (new, or cleared) starts a new one from
the clock, so an old copy can never be taken for a current one.
"""

import time

from django.core.cache import caches


def generation(name: str) -> int:
    state = caches["state"]
    key = f"generation:{name}"
    value = state.get(key)
    if value is None:
        state.add(key, time.time_ns(), None)  # two processes at once: one wins, both read it
        value = state.get(key)
    return value


def generation_bump(name: str) -> None:
    state = caches["state"]
    key = f"generation:{name}"
    try:
        state.incr(key)
    except ValueError:  # lost: a new series is itself a new generation
        if not state.add(key, time.time_ns(), None):
            state.incr(key)
