"""A tiny authenticated endpoint with the project's DRF defaults, plus the admin console."""

from django.contrib import admin
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from keys.permissions import GatewayKeyRequired


class WhoAmI(APIView):
    """Answers the caller's key prefix; a request without a gateway key is 401."""

    permission_classes = [GatewayKeyRequired]

    def get(self, request):
        return Response({"prefix": request.auth.prefix})


urlpatterns = [
    path("whoami", WhoAmI.as_view()),
    path("admin/", admin.site.urls),
]
