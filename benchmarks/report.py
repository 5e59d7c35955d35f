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


HEADER = (
    f"{'route':<46} {'conns':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}"
    f" {'peak RSS MB':>11}  check"
)


def table(rows: list[Row]) -> str:
    lines = [HEADER, "-" * len(HEADER)]
    for row in rows:
        for n, result in enumerate(row.results):
            rss = f"{row.peak_rss_mb:.0f}" if n == 0 and row.peak_rss_mb is not None else ""
            label, note = (row.label, row.check) if n == 0 else ("", "")
            lines.append(
                f"{label:<46} {result.connections:>5} {result.rps:>8,.0f} {result.p50_ms:>8.2f}"
                f" {result.p99_ms:>8.2f} {result.errors:>6} {rss:>11}  {note}"
            )
    return "\n".join(line.rstrip() for line in lines)


def added_latency(upstream: list[Result], gateway: list[Result]) -> str:
    lines = []
    for alone, through in zip(upstream, gateway, strict=True):
        lines.append(
            f"  {alone.connections:>3} connections: p50 +{through.p50_ms - alone.p50_ms:.2f} ms"
            f" ({alone.p50_ms:.2f} -> {through.p50_ms:.2f}),"
            f" p99 +{through.p99_ms - alone.p99_ms:.2f} ms"
            f" ({alone.p99_ms:.2f} -> {through.p99_ms:.2f})"
        )
    return "\n".join(lines)
