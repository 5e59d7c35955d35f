"""Response compression, except for event streams."""

from django.middleware.gzip import GZipMiddleware as DjangoGZipMiddleware

from models_api.api.rendering import GZIP_MIN_BYTES


class GZipMiddleware(DjangoGZipMiddleware):
    """Django's gzip, leaving text/event-stream and bodies under GZIP_MIN_BYTES alone.

    gzip would hold a stream's events in its compressor until a block filled, so a chat
    client that accepts gzip (the OpenAI SDK does) would see no token until the end.
    """

    def process_response(self, request, response):
        if response.get("Content-Type", "").startswith("text/event-stream"):
            return response
        if not response.streaming and len(response.content) < GZIP_MIN_BYTES:
            return response
        return super().process_response(request, response)
