"""A worker that queues usage records and stops on SIGTERM the way the servers' workers do.

Run by test_recorder: `python -m tests.usage.sigterm_worker COUNT MODE`, with DATABASE_URL
set. MODE "main" handles SIGTERM in the main process (gunicorn's workers: a flag, then a
normal return); "multiprocessing" does it in a multiprocessing child, as Granian's workers
are (signal -> event -> the worker function returns -> multiprocessing's exit path).
"""

import multiprocessing
import os
import signal
import sys
import threading


def work(count: int) -> None:
    import django

    django.setup()
    from models_api.usage import recorder

    recorder._recorder = recorder.Recorder(interval=600, batch=100_000)  # nothing due early
    recorder._recorder_pid = os.getpid()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    for n in range(count):
        recorder.usage_record(
            route="chat", provider="openai", model="gpt-4o", status=200, latency_ms=n
        )
    print(f"queued {os.getpid()}", flush=True)
    stop.wait(30)


if __name__ == "__main__":
    count, mode = int(sys.argv[1]), sys.argv[2]
    if mode == "main":
        work(count)
    else:
        child = multiprocessing.get_context("fork").Process(target=work, args=(count,))
        child.start()
        child.join()
        sys.exit(child.exitcode)
