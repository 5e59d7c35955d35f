"""One wrk run with the server's CPU per request and how its workers shared the connections."""

import threading
from dataclasses import dataclass
from pathlib import Path

from benchmarks import processes
from benchmarks.load import SCRIPT, Result, wrk


@dataclass(frozen=True)
class Measured:
    """A wrk run, the CPU the server's processes used per request, and the worker split."""

    result: Result
    cpu_us: float  # user + system CPU of the server's process tree, per completed request
    connections: tuple[int, ...]  # established connections per worker, mid-run
    cpu_shares: tuple[float, ...]  # each worker's share of the workers' CPU over the run


def established(pids: list[int], port: int) -> tuple[int, ...]:
    """Established TCP connections to `port` held by each pid (from /proc/net and the fds)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
            inodes.add(f"socket:[{fields[9]}]")
    counts = []
    for pid in pids:
        count = 0
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            try:
                count += str(fd.readlink()) in inodes
            except OSError:
                continue
        counts.append(count)
    return tuple(counts)


def measured(
    url: str,
    *,
    server_pid: int,
    connections: int,
    seconds: int,
    headers: dict,
    script: Path = SCRIPT,
) -> Measured:
    pids = processes.tree(server_pid)
    workers = processes.children(server_pid) or [server_pid]
    port = int(url.split(":")[2].split("/")[0])
    split: list[tuple[int, ...]] = []
    sampler = threading.Timer(seconds / 2, lambda: split.append(established(workers, port)))
    before = processes.cpu_seconds(pids)
    per_worker = [processes.cpu_seconds([pid]) for pid in workers]
    sampler.start()
    result = wrk(url, connections=connections, seconds=seconds, headers=headers, script=script)
    sampler.join()
    used = processes.cpu_seconds(pids) - before
    worker_used = [
        processes.cpu_seconds([pid]) - n for pid, n in zip(workers, per_worker, strict=True)
    ]
    total = sum(worker_used) or 1.0
    return Measured(
        result=result,
        cpu_us=used / result.requests * 1e6 if result.requests else 0.0,
        connections=split[0] if split else (),
        cpu_shares=tuple(used_by / total for used_by in worker_used),
    )
