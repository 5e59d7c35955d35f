"""A stacked bar chart of tokens per day, as inline SVG: no script, nothing fetched."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from models_api.usage.daily import DayUsage

# Colour-blind-safe (Okabe-Ito), the last one for "other".
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999")
TOP = len(COLOURS) - 1
WIDTH, HEIGHT, LEFT, BOTTOM, TOP_PAD = 760, 240, 56, 28, 10


def tokens_chart(rows: Sequence[DayUsage], *, days: Sequence[date]) -> SafeString:
    """Each day a bar of its tokens, stacked by group: the TOP groups by tokens, then other."""
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        totals[row.group] += row.tokens
    named = sorted(totals, key=lambda g: (-totals[g], g))[:TOP]
    series = [*named, "other"] if len(totals) > TOP else named
    stacks: dict[date, dict[str, int]] = {day: defaultdict(int) for day in days}
    for row in rows:
        if row.day in stacks:
            stacks[row.day][row.group if row.group in named else "other"] += row.tokens
    peak = max((sum(stack.values()) for stack in stacks.values()), default=0) or 1
    plot_h = HEIGHT - BOTTOM - TOP_PAD
    step = (WIDTH - LEFT) / max(1, len(days))
    bars = []
    for i, day in enumerate(days):
        y = HEIGHT - BOTTOM
        for n, group in enumerate(series):
            value = stacks[day].get(group, 0)
            if not value:
                continue
            h = value / peak * plot_h
            y -= h
            bars.append(
                (
                    LEFT + i * step + step * 0.15,
                    y,
                    step * 0.7,
                    h,
                    COLOURS[min(n, TOP)],
                    f"{day:%Y-%m-%d} {group}: {value:,} tokens",
                )
            )
    labels = [(LEFT + i * step + step / 2, f"{day:%m-%d}") for i, day in enumerate(days)]
    every = max(1, len(labels) // 10)
    return format_html(
        '<svg class="usage-chart" role="img" viewBox="0 0 {} {}" width="100%" '
        'aria-label="Tokens per day">'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="currentColor" />'
        '<text x="{}" y="{}" text-anchor="end" font-size="11" fill="currentColor">{}</text>'
        '<text x="{}" y="{}" text-anchor="end" font-size="11" fill="currentColor">0</text>'
        "{}{}</svg>{}",
        WIDTH,
        HEIGHT,
        LEFT,
        HEIGHT - BOTTOM,
        WIDTH,
        HEIGHT - BOTTOM,
        LEFT - 4,
        TOP_PAD + 10,
        f"{peak:,}" if rows else "0",
        LEFT - 4,
        HEIGHT - BOTTOM,
        format_html_join(
            "",
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
            bars,
        ),
        format_html_join(
            "",
            '<text x="{}" y="{}" text-anchor="middle" font-size="10" fill="currentColor">{}</text>',
            ((x, HEIGHT - 10, text) for n, (x, text) in enumerate(labels) if n % every == 0),
        ),
        _legend(series),
    )


def _number(value: float) -> str:
    return f"{value:.1f}"


def _legend(series: Sequence[str]) -> SafeString:
    return format_html(
        '<ul class="usage-legend">{}</ul>',
        format_html_join(
            "",
            '<li><span style="background:{}"></span>{}</li>',
            ((COLOURS[min(n, TOP)], group) for n, group in enumerate(series)),
        ),
    )
