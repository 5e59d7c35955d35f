"""CPU per call of in-process functions, measured in interleaved rounds.

Each function is warmed, then every round runs each function `calls` times in turn, so a slow
phase of a shared machine falls on all of them alike. The figure is this thread's CPU time
(time.thread_time) per call, in microseconds: one value a round, sorted.
"""

import time
from collections.abc import Callable


def interleaved_us(
    functions: dict[str, Callable[[], object]], *, rounds: int, calls: int, warm: int
) -> dict[str, list[float]]:
    for function in functions.values():
        for _ in range(warm):
            function()
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            started = time.thread_time()
            for _ in range(calls):
                function()
            times[name].append((time.thread_time() - started) / calls * 1e6)
    return {name: sorted(values) for name, values in times.items()}
