"""Django's admin, on the gateway's own AdminSite (gateway_project.admin)."""

from django.contrib.admin.apps import AdminConfig


class GatewayAdminConfig(AdminConfig):
    default_site = "gateway_project.admin.GatewayAdminSite"
