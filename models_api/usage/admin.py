"""Admin console for usage: the records, and the per-day page with its chart."""

from datetime import timedelta

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from models_api.usage.chart import tokens_chart
from models_api.usage.daily import GROUPS, usage_by_day
from models_api.usage.models import Usage

PERIODS = (7, 30, 90)


@admin.register(Usage)
class UsageAdmin(admin.ModelAdmin):
    """Read-only: rows come from model calls. Keys show by name and prefix, never a secret."""

    list_display = [
        "created_at",
        "route",
        "provider",
        "model",
        "api_key",
        "virtual_key",
        "prompt_tokens",
        "completion_tokens",
        "cost",
        "status",
        "latency_ms",
        "stream",
    ]
    list_filter = ["route", "provider", "status", "stream"]
    list_select_related = ["api_key", "virtual_key"]
    search_fields = ["model", "trace_id"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # usage grows without end; a COUNT(*) per page would too
    change_list_template = "admin/models_api/usage/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        daily = path("daily/", self.admin_site.admin_view(self.daily_view), name="usage_daily")
        return [daily, *super().get_urls()]

    def daily_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        by = request.GET.get("by") if request.GET.get("by") in GROUPS else "api_key"
        days = int(request.GET["days"]) if request.GET.get("days") in map(str, PERIODS) else 30
        today = timezone.now().date()
        rows = usage_by_day(by=by, days=days, today=today)
        dates = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Usage per day and {GROUPS[by][0]}",
            "by": by,
            "group_label": GROUPS[by][0],
            "days": days,
            "groups": [(key, label) for key, (label, _) in GROUPS.items()],
            "periods": PERIODS,
            "rows": sorted(rows, key=lambda r: (r.day, r.group), reverse=True),
            "chart": tokens_chart(rows, days=dates),
        }
        return TemplateResponse(request, "admin/models_api/usage/daily.html", context)
