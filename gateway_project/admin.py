"""The admin console's site: Django's admin, with the gateway dashboard at /admin/dashboard/."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from models_api.dashboard import dashboard_view


class GatewayAdminSite(admin.AdminSite):
    def get_urls(self):
        # The dashboard's first address, under the sync runs; a permanent move, and
        # admin_view's never_cache keeps browsers from holding on to the redirect.
        moved = RedirectView.as_view(pattern_name="admin:gateway_dashboard", permanent=True)
        return [
            path("dashboard/", self.admin_view(self.dashboard), name="gateway_dashboard"),
            path("models_api/syncrun/dashboard/", self.admin_view(moved)),
            *super().get_urls(),
        ]

    def dashboard(self, request):
        return dashboard_view(request, admin_site=self)
