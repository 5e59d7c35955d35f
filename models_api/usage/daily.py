"""Usage summed per day and per API key, virtual key or model, for the admin's daily view."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from models_api.usage.models import Usage

GROUPS = {
    "api_key": ("API key", ("api_key_id", "api_key__name", "api_key__prefix")),
    "virtual_key": ("virtual key", ("virtual_key_id", "virtual_key__slug")),
    "model": ("model", ("provider", "model")),
}
NONE = "(none)"


@dataclass(frozen=True)
class DayUsage:
    day: date
    group: str  # a label that names no secret: key name and prefix, slug, provider/model
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost: Decimal | None

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def usage_by_day(*, by: str, days: int, today: date | None = None) -> list[DayUsage]:
    """The last `days` days (today included, UTC), one row per day and `by` group."""
    today = today or timezone.now().date()
    since = datetime.combine(today - timedelta(days=days - 1), time.min, tzinfo=UTC)
    _, fields = GROUPS[by]
    rows = (
        Usage.objects.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values("day", *fields)
        .annotate(
            calls=Count("id"),
            prompt=Sum("prompt_tokens"),
            completion=Sum("completion_tokens"),
            total_cost=Sum("cost"),
        )
        .order_by("day", *fields)
    )
    return [
        DayUsage(
            day=row["day"],
            group=_label(by, row),
            calls=row["calls"],
            prompt_tokens=row["prompt"] or 0,
            completion_tokens=row["completion"] or 0,
            cost=row["total_cost"],
        )
        for row in rows
    ]


def _label(by: str, row: dict) -> str:
    if by == "api_key":
        if row["api_key_id"] is None:
            return NONE
        return f"{row['api_key__name']} ({row['api_key__prefix']}…)"
    if by == "virtual_key":
        return row["virtual_key__slug"] or NONE
    return f"{row['provider']}/{row['model']}"
