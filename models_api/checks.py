"""Deployment checks (`manage.py check --deploy`) for the gateway's own settings."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def metrics_token_check(app_configs, **kwargs):
    if settings.GATEWAY_METRICS_TOKEN:
        return []
    return [
        checks.Warning(
            "GATEWAY_METRICS_TOKEN is not set, so GET /metrics answers anyone who can reach "
            "the gateway (route names, providers, request and error counts).",
            hint="Set GATEWAY_METRICS_TOKEN and give Prometheus the same token, or keep "
            "/metrics off the public load balancer.",
            id="models_api.W001",
        )
    ]
