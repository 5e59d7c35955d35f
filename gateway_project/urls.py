"""URL routes: the OpenAI-shaped API, health checks and the admin console."""

from django.contrib import admin
from django.urls import path

urlpatterns = [
    path("admin/", admin.site.urls),
]
