"""URL routes: the OpenAI-shaped API, health checks and the admin console."""

from django.contrib import admin
from django.urls import path, re_path
from drf_spectacular.views import SpectacularJSONAPIView

from models_api import health
from models_api.api import views

urlpatterns = [
    path("v1/openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    path("v1/models", views.ModelListView.as_view(), name="models-list"),
    re_path(
        r"^v1/models/(?P<model_id>.+)$", views.ModelRetrieveView.as_view(), name="models-detail"
    ),
    path("healthz", health.liveness, name="healthz"),
    path("readyz", health.readiness, name="readyz"),
    path("metrics", health.metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
]

handler400 = "models_api.api.error_views.bad_request_view"
handler404 = "models_api.api.error_views.not_found"
handler500 = "models_api.api.error_views.server_error"
