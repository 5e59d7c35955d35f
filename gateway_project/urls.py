"""URL routes: the OpenAI-shaped API, health checks and the admin console."""

from django.contrib import admin
from django.urls import path, re_path
from drf_spectacular.views import SpectacularJSONAPIView

from models_api import health
from models_api.api import views
from models_api.api.chat_route import ChatCompletionsView
from models_api.api.completions_route import CompletionsView
from models_api.api.embeddings_route import EmbeddingsView

urlpatterns = [
    path("v1/openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    path("v1/models", views.ModelListView.as_view(), name="models-list"),
    re_path(
        r"^v1/models/(?P<model_id>.+)$", views.ModelRetrieveView.as_view(), name="models-detail"
    ),
    path("v1/chat/completions", ChatCompletionsView.as_view(), name="chat-completions"),
    path("v1/completions", CompletionsView.as_view(), name="completions"),
    path("v1/embeddings", EmbeddingsView.as_view(), name="embeddings"),
    path("healthz", health.liveness, name="healthz"),
    path("readyz", health.readiness, name="readyz"),
    path("metrics", health.metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
]

handler400 = "models_api.api.error_views.bad_request_view"
handler404 = "models_api.api.error_views.not_found"
handler500 = "models_api.api.error_views.server_error"
