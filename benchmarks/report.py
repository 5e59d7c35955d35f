"""Format the benchmark's one table and its notes."""

from dataclasses import dataclass, field

from benchmarks.load import Result


@dataclass
class Row:
    """One route under load: a result per connection count, its peak worker RSS and a check."""

    label: str
    results: list[Result] = field(default_factory=list)
    peak_rss_mb: float | None = None
    check: str = ""
    cpu_us: list[float] = field(default_factory=list)  # server CPU per request, per result


HEADER = (
    f"{'route':<42} {'conns':>5} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}"
    f" {'CPU us':>7} {'x floor':>7} {'peak RSS MB':>11}  check"
)


def table(rows: list[Row], *, floor: Row | None = None) -> str:
    """One line per run; CPU us is the server's CPU per request, x floor that against the
    hello-world app under the same server at the same connections."""
    floors = (
        dict(zip((r.connections for r in floor.results), floor.cpu_us, strict=True))
        if floor
        else {}
    )
    lines = [HEADER, "-" * len(HEADER)]
    for row in rows:
        for n, result in enumerate(row.results):
            rss = f"{row.peak_rss_mb:.0f}" if n == 0 and row.peak_rss_mb is not None else ""
            label, note = (row.label, row.check) if n == 0 else ("", "")
            cpu = row.cpu_us[n] if n < len(row.cpu_us) else 0.0
            base = floors.get(result.connections) if floor and row is not floor else None
            ratio = f"{cpu / base:.1f}x" if base and row.label[0] != "1" else ""
            lines.append(
                f"{label:<42} {result.connections:>5} {result.rps:>8,.0f} {result.p50_ms:>7.2f}"
                f" {result.p99_ms:>7.2f} {result.errors:>6} {cpu:>7,.0f} {ratio:>7} {rss:>11}"
                f"  {note}"
            )
    return "\n".join(line.rstrip() for line in lines)


def added_latency(upstream: list[Result], gateway: list[Result]) -> str:
    lines = []
    for alone, through in zip(upstream, gateway, strict=True):
        lines.append(
            f"  {alone.connections:>3} connections: p50 {through.p50_ms - alone.p50_ms:+.2f} ms"
            f" ({alone.p50_ms:.2f} -> {through.p50_ms:.2f}),"
            f" p99 {through.p99_ms - alone.p99_ms:+.2f} ms"
            f" ({alone.p99_ms:.2f} -> {through.p99_ms:.2f})"
        )
    return "\n".join(lines)


def _at(row: Row, connections: int) -> Result:
    return next(r for r in row.results if r.connections == connections)


def _cpu_at(row: Row, connections: int) -> float:
    index = next(n for n, r in enumerate(row.results) if r.connections == connections)
    return row.cpu_us[index] if index < len(row.cpu_us) else 0.0


CACHED = ("2 catalog, 40", "3 ", "5 ")  # the cached routes of issue 14's targets
WHOLE_LIST = "2 catalog, 10,000 entries (whole list)"


def targets(alone: Row, rows: list[Row], uncached: Row, figures: dict, api_keys: int) -> str:
    """Each target of the performance issues against this run's figures: met or missed."""
    checks = []
    for row in rows:
        if row.label.startswith(CACHED):
            result, cpu = _at(row, 16), _cpu_at(row, 16)
            checks.append(
                (
                    f"{row.label}: >= 4,500 req/s, p99 < 12 ms, no errors, <= 250 us CPU a "
                    "request at 16 connections",
                    f"{result.rps:,.0f} req/s, p99 {result.p99_ms:.1f} ms, {result.errors} "
                    f"errors, {cpu:,.0f} us",
                    result.rps >= 4500 and result.p99_ms < 12 and result.errors == 0
                    and cpu <= 250,
                )
            )  # fmt: skip
    large = next(row for row in rows if row.label == WHOLE_LIST)
    checks.append(
        (
            "whole catalog of 10,000 entries: gzipped, worker peak memory < 150 MB",
            f"{large.check}, {large.peak_rss_mb or 0:.0f} MB, {_at(large, 16).rps:,.0f} req/s",
            "gzip" in large.check and (large.peak_rss_mb or 0) < 150,
        )
    )
    added = _at(uncached, 1).p50_ms - _at(alone, 1).p50_ms
    checks.append(("route 4 adds < 1 ms at p50 (1 connection)", f"{added:+.2f} ms", added < 1))
    small_cold, small_warm = figures["auth_us_10"]
    big_cold, big_warm = figures[f"auth_us_{api_keys}"]
    checks.append(
        (
            f"{api_keys:,} keys cost no more than 10 (uncached; cached; within 1.5x noise)",
            f"{big_cold:.0f} vs {small_cold:.0f} us; {big_warm:.1f} vs {small_warm:.1f} us",
            big_cold <= small_cold * 1.5 and big_warm <= small_warm * 1.5,
        )
    )
    checks.append(
        (
            "10 providers answering in 200 ms listed in < 400 ms cold",
            f"{figures['slow_sync_ms']:.0f} ms",
            figures["slow_sync_ms"] < 400,
        )
    )
    return "\n".join(
        f"  {'met   ' if met else 'MISSED'} {target}: {measured}"
        for target, measured, met in checks
    )
