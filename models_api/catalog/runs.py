"""Sync run records: started with the machine and pid, kept alive by heartbeats, closed when
their process is gone."""

import os
import socket
from concurrent.futures import Future
from dataclasses import asdict
from datetime import timedelta

from django.utils import timezone

from models_api.models import SyncRun

HEARTBEAT = timedelta(seconds=10)  # how often a running sync writes a sign of life
# Six missed heartbeats: the process is gone, or so stuck that its run will not finish.
SILENT_AFTER = timedelta(seconds=60)


def sync_run_start(*, dry_run: bool, forced: bool, keys_total: int) -> SyncRun:
    return SyncRun.objects.create(
        dry_run=dry_run,
        forced=forced,
        keys_total=keys_total,
        host=socket.gethostname(),
        pid=os.getpid(),
        heartbeat_at=timezone.now(),
    )


def sync_runs_interrupted_close() -> int:
    """Mark 'running' runs whose process is gone as interrupted; returns how many.

    Gone: on this machine, no process has the run's pid; anywhere, no heartbeat for
    SILENT_AFTER. Each key's transaction already rolled back with the process, so only the
    record is left to close; the keys it had finished keep their changes.
    """
    now, host = timezone.now(), socket.gethostname()
    running = SyncRun.objects.filter(status=SyncRun.Status.RUNNING)
    closed = 0
    for run in running.only("host", "pid", "heartbeat_at", "started_at", "results", "keys_total"):
        silent = now - (run.heartbeat_at or run.started_at) > SILENT_AFTER
        if not silent and not (run.host == host and run.pid and not _process_alive(run.pid)):
            continue
        closed += running.filter(pk=run.pk).update(
            status=SyncRun.Status.INTERRUPTED,
            finished_at=now,
            error=f"Interrupted: the process running this sync ({run.host or 'unknown host'}, "
            f"pid {run.pid or '?'}) ended with {len(run.results or [])} of its {run.keys_total} "
            "keys done. "
            "Keys it had not finished keep their previous entries.",
        )
    return closed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, under another user
        return True
    return True


def awaited(listing: Future, run: SyncRun, results: list):
    """The listing's outcome, writing a heartbeat while a slow provider is still answering."""
    while True:
        try:
            return listing.result(timeout=HEARTBEAT.total_seconds())
        except TimeoutError:
            heartbeat(run, results)


def heartbeat(run: SyncRun, results: list) -> None:
    """A sign of life at most every HEARTBEAT, with the keys done so far (what an interrupted
    run will show); a fast sync writes none beyond its start and finish."""
    now = timezone.now()
    if run.heartbeat_at and now - run.heartbeat_at < HEARTBEAT:
        return
    run.heartbeat_at = now
    SyncRun.objects.filter(pk=run.pk).update(heartbeat_at=now, results=[asdict(r) for r in results])
