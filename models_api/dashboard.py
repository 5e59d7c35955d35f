"""The admin dashboard: keys, catalog, last sync per virtual key, expiring keys, request counts."""

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.template.response import TemplateResponse
from django.utils import timezone
from prometheus_client import REGISTRY

from keys.models import ApiKey, VirtualKey
from models_api import metrics
from models_api.catalog.runs import sync_runs_interrupted_close
from models_api.models import CatalogEntry, SyncRun

EXPIRY_WARNING = timedelta(days=7)
RUNS_SCANNED = 200  # older runs are not searched for a key's last sync
RECENT_RUNS = 5
REQUIRED_PERMISSIONS = ("keys.view_apikey", "keys.view_virtualkey", "models_api.view_syncrun")


@dataclass(frozen=True)
class ProviderCount:
    provider: str
    total: int
    active: int = 0


@dataclass(frozen=True)
class KeySync:
    """A virtual key and its outcome in the last (non-dry) sync that included it, if any."""

    virtual_key: VirtualKey
    run: SyncRun | None = None
    result: dict | None = None

    @property
    def status(self) -> str:
        if self.result is None:
            return "never synced"
        return "failed" if self.result.get("error") else "ok"


@dataclass(frozen=True)
class RequestCount:
    route: str
    status: str
    count: int


@dataclass(frozen=True)
class RequestCounts:
    """Cumulative request counters: Prometheus counters only ever grow, so no hourly window."""

    available: bool
    rows: tuple[RequestCount, ...] = ()
    multiprocess: bool = False
    since: datetime | None = None  # when this process started counting, where known


@dataclass(frozen=True)
class Dashboard:
    active_api_keys: int
    api_keys: int
    virtual_keys: tuple[ProviderCount, ...]
    catalog: tuple[ProviderCount, ...]
    last_syncs: tuple[KeySync, ...]
    expiring_keys: tuple[ApiKey, ...]
    requests: RequestCounts
    recent_runs: tuple[SyncRun, ...] = ()


def dashboard_build(*, now: datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    sync_runs_interrupted_close()
    usable = Q(is_active=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    counts = ApiKey.objects.aggregate(total=Count("id"), active=Count("id", filter=usable))
    return Dashboard(
        active_api_keys=counts["active"],
        api_keys=counts["total"],
        virtual_keys=virtual_keys_by_provider(),
        catalog=catalog_by_provider(),
        last_syncs=virtual_key_last_syncs(),
        expiring_keys=api_keys_expiring(now=now),
        requests=request_counts(),
        recent_runs=tuple(SyncRun.objects.order_by("-started_at")[:RECENT_RUNS]),
    )


def virtual_keys_by_provider() -> tuple[ProviderCount, ...]:
    rows = (
        VirtualKey.objects.values("provider")
        .annotate(total=Count("id"), active=Count("id", filter=Q(is_active=True)))
        .order_by("provider")
    )
    return tuple(ProviderCount(r["provider"], r["total"], r["active"]) for r in rows)


def catalog_by_provider() -> tuple[ProviderCount, ...]:
    """Entries still listed upstream, per provider (what /v1/models can serve)."""
    rows = (
        CatalogEntry.objects.filter(is_listed=True)
        .values("provider")
        .annotate(total=Count("id"))
        .order_by("provider")
    )
    return tuple(ProviderCount(r["provider"], r["total"]) for r in rows)


def virtual_key_last_syncs(*, runs_scanned: int = RUNS_SCANNED) -> tuple[KeySync, ...]:
    """Each virtual key's result in the newest finished, non-dry run that synced it."""
    keys = list(VirtualKey.objects.order_by("slug"))
    found: dict[str, tuple[SyncRun, dict]] = {}
    runs = SyncRun.objects.filter(dry_run=False, finished_at__isnull=False).order_by("-started_at")
    for run in runs[:runs_scanned].iterator():
        for result in run.results or []:
            if isinstance(result, dict):
                found.setdefault(result.get("slug", ""), (run, result))
        if all(vk.slug in found for vk in keys):
            break
    return tuple(KeySync(vk, *found.get(vk.slug, (None, None))) for vk in keys)


def api_keys_expiring(*, now: datetime, within: timedelta = EXPIRY_WARNING) -> tuple[ApiKey, ...]:
    keys = ApiKey.objects.filter(is_active=True, expires_at__gt=now, expires_at__lte=now + within)
    return tuple(keys.order_by("expires_at"))


def request_counts() -> RequestCounts:
    """Requests by route and status from the gateway's Prometheus counter, if it is registered."""
    multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))  # prometheus_client's switch
    registry = getattr(metrics, "registry", lambda: REGISTRY)()
    families = [f for f in registry.collect() if f.name == "gateway_requests"]
    if not families:
        return RequestCounts(available=False)
    rows = [
        RequestCount(s.labels.get("route", ""), s.labels.get("status", ""), int(s.value))
        for family in families
        for s in family.samples
        if s.name == "gateway_requests_total"
    ]
    started = None if multiprocess else REGISTRY.get_sample_value("process_start_time_seconds")
    return RequestCounts(
        available=True,
        rows=tuple(sorted(rows, key=lambda r: (r.route, r.status))),
        multiprocess=multiprocess,
        since=datetime.fromtimestamp(started, tz=UTC) if started else None,
    )


def dashboard_view(request, *, admin_site):
    """The page itself, which gateway_project.admin.GatewayAdminSite serves to staff."""
    if not request.user.has_perms(REQUIRED_PERMISSIONS):
        raise PermissionDenied
    context = {
        **admin_site.each_context(request),
        "title": "Gateway dashboard",
        "dashboard": dashboard_build(),
        "expiry_days": EXPIRY_WARNING.days,
    }
    return TemplateResponse(request, "admin/gateway_dashboard.html", context)
