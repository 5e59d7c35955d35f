"""Usage written off the response path: a bounded queue, drained in batches by one thread.

A call's usage is queued (no database work on the response path) and a background thread
writes it with bulk_create every BATCH records or INTERVAL seconds, with its cost.

Stopping: the thread is not a daemon, and it watches the main thread (every WAKE seconds).
When the process ends normally - a server's graceful stop on SIGTERM (gunicorn's and
Granian's workers both return from their main function, and Granian's multiprocessing
workers run threading's shutdown, which waits for this thread), or any normal interpreter
exit - the thread sees the main thread finish, writes everything still queued and exits.
SIGKILL (or os._exit, or a crash of the interpreter) loses what is still queued: at most
INTERVAL seconds' or BATCH records' worth. When the queue is full (CAPACITY records: the
database is down or too slow), further records are dropped, counted in
gateway_usage_dropped_total and logged, rather than block or grow memory on the response
path.
"""

import logging
import os
import queue
import threading
from dataclasses import dataclass, field
from datetime import datetime
from time import monotonic, sleep

from django.db import IntegrityError, close_old_connections, connections
from django.utils import timezone

from models_api import metrics
from models_api.usage.cost import costs_for
from models_api.usage.models import Usage
from models_api.usage.tokens import TokenCounts

log = logging.getLogger(__name__)

BATCH = 200
INTERVAL = 1.0  # seconds
CAPACITY = 10_000
WAKE = 0.5  # seconds: how soon the thread notices that the main thread has ended
FINAL_ATTEMPTS = 3  # writes tried at exit before queued records are given up (and logged)
DROP_LOG_EVERY = 60.0  # seconds between two warnings about dropped records


@dataclass(frozen=True, slots=True)
class UsageRecord:
    route: str
    provider: str
    model: str
    status: int
    latency_ms: int
    api_key_id: int | None = None
    virtual_key_id: int | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None
    stream: bool = False
    trace_id: str = ""
    created_at: datetime = field(default_factory=timezone.now)


class Recorder:
    """One process's queue and writer thread (started on the first record).

    `synchronous` writes each record at once in the caller's thread instead: for tests,
    whose database transaction the writer thread could not see.
    """

    def __init__(
        self,
        *,
        batch: int = BATCH,
        interval: float = INTERVAL,
        capacity: int = CAPACITY,
        synchronous: bool = False,
    ):
        self.synchronous = synchronous
        self.batch = batch
        self.interval = interval
        self.queue: queue.Queue[UsageRecord] = queue.Queue(maxsize=capacity)
        self.dropped = 0
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._batch_ready = threading.Event()  # set by put() once a whole batch is queued
        self._last_drop_log = 0.0

    def put(self, record: UsageRecord) -> bool:
        """Queue `record`; False (and the record dropped) when the queue is full."""
        if self.synchronous:
            return bool(write([record]))
        self._ensure_thread()
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            self._dropped()
            return False
        # Woken per batch, not per record: a wake-up per call took the GIL from the request.
        if self.queue.qsize() >= self.batch:
            self._batch_ready.set()
        return True

    def stop(self, timeout: float | None = None) -> None:
        """Write what is queued and end the thread (tests; a normal exit does it by itself)."""
        self._stopping.set()
        self._batch_ready.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def flush(self) -> int:
        """Write everything queued now, in this thread; the number of records written."""
        written = 0
        while batch := self._take(self.batch):
            written += write(batch)
        return written

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stopping.clear()
                self._thread = threading.Thread(target=self._run, name="usage-recorder")
                self._thread.start()

    def _run(self) -> None:
        main = threading.main_thread()
        pending: list[UsageRecord] = []
        due = monotonic() + self.interval
        try:
            while main.is_alive() and not self._stopping.is_set():
                self._batch_ready.wait(min(WAKE, max(0.01, due - monotonic())))
                self._batch_ready.clear()  # before taking: a batch queued meanwhile is taken
                pending.extend(self._take(self.batch - len(pending)))
                if len(pending) >= self.batch or monotonic() >= due:
                    pending = self._write_or_keep(pending)
                    due = monotonic() + self.interval
            pending.extend(self._take(self.queue.maxsize))
            for attempt in range(FINAL_ATTEMPTS):
                if attempt:
                    sleep(WAKE)
                if not (pending := self._write_or_keep(pending)):
                    break
            else:
                log.error("%d usage records could not be written at exit", len(pending))
        finally:
            connections.close_all()

    def _take(self, most: int) -> list[UsageRecord]:
        taken = []
        while len(taken) < most:
            try:
                taken.append(self.queue.get_nowait())
            except queue.Empty:
                break
        return taken

    def _write_or_keep(self, pending: list[UsageRecord]) -> list[UsageRecord]:
        """Write `pending`; on a database error keep it for the next round (within CAPACITY)."""
        if not pending:
            return pending
        try:
            close_old_connections()  # this thread serves no request that would do it
            write(pending)
        except Exception:
            log.exception(
                "writing %d usage records failed; they are kept for a retry", len(pending)
            )
            if len(pending) > self.queue.maxsize:
                self.dropped += len(pending) - self.queue.maxsize
                metrics.usage_dropped(len(pending) - self.queue.maxsize)
                pending = pending[-self.queue.maxsize :]
            return pending
        return []

    def _dropped(self) -> None:
        self.dropped += 1
        metrics.usage_dropped(1)
        now = monotonic()
        if now - self._last_drop_log > DROP_LOG_EVERY:
            self._last_drop_log = now
            log.warning("usage queue full (%d records): dropping records", self.queue.maxsize)


def write(records: list[UsageRecord]) -> int:
    """bulk_create the records with their costs; keys deleted meanwhile become null."""
    rows = [Usage(**{name: getattr(r, name) for name in r.__dataclass_fields__}) for r in records]
    for row, cost in zip(rows, costs_for(rows), strict=True):
        row.cost = cost
    try:
        Usage.objects.bulk_create(rows)
    except IntegrityError:  # an API key or virtual key was deleted since the call
        _drop_missing_keys(rows)
        Usage.objects.bulk_create(rows)
    return len(rows)


def _drop_missing_keys(rows: list[Usage]) -> None:
    from keys.models import ApiKey, VirtualKey

    for model, column in ((ApiKey, "api_key_id"), (VirtualKey, "virtual_key_id")):
        ids = {getattr(row, column) for row in rows} - {None}
        existing = set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))
        for row in rows:
            if getattr(row, column) not in existing:
                setattr(row, column, None)


_recorder: Recorder | None = None
_recorder_pid = 0
_recorder_lock = threading.Lock()


def recorder() -> Recorder:
    """This process's recorder; a forked worker gets its own, not a copy of its parent's."""
    global _recorder, _recorder_pid
    if _recorder is None or _recorder_pid != os.getpid():
        with _recorder_lock:
            if _recorder is None or _recorder_pid != os.getpid():
                _recorder, _recorder_pid = Recorder(), os.getpid()
    return _recorder


def usage_record(
    *,
    route: str,
    provider: str,
    model: str,
    status: int,
    latency_ms: int,
    api_key_id: int | None = None,
    virtual_key_id: int | None = None,
    tokens: TokenCounts | None = None,
    stream: bool = False,
    trace_id: str = "",
) -> bool:
    """Record one call (route: "chat", "completions" or "embeddings"), off the response path.

    Never blocks and never raises; counts the tokens in /metrics at once. False when the
    queue was full and the record was dropped.
    """
    if tokens is not None:
        metrics.tokens_observe(provider, model, prompt=tokens.prompt, completion=tokens.completion)
    record = UsageRecord(
        route=route,
        provider=provider,
        model=model[:255],
        status=status,
        latency_ms=max(0, min(latency_ms, 2**31 - 1)),
        api_key_id=api_key_id,
        virtual_key_id=virtual_key_id,
        prompt_tokens=tokens.prompt if tokens else None,
        completion_tokens=tokens.completion if tokens else None,
        cached_tokens=tokens.cached if tokens else None,
        reasoning_tokens=tokens.reasoning if tokens else None,
        stream=stream,
        trace_id=trace_id[:64],
    )
    try:
        return recorder().put(record)
    except Exception:  # a thread that cannot start must not fail the call it records
        log.exception("queueing a usage record failed")
        return False
