"""JSON rendering with orjson, and responses that carry a body compressed once, when cached."""

import gzip

import orjson
from django.http import HttpResponse
from django.middleware.gzip import re_accepts_gzip
from django.utils.cache import patch_vary_headers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer

# As Django's GZipMiddleware: a shorter body is not worth compressing.
GZIP_MIN_BYTES = 200
GZIP_LEVEL = 6  # the level Django's GZipMiddleware uses


class RenderedJSON(bytes):
    """A body already rendered to JSON (cached that way): written out as it is.

    Caching rendered bytes instead of Python objects saves the unpickling and the rendering
    on every cache hit, the largest costs of a cached answer. A body about to be cached is
    also compressed once (`with_gzip`), so a hit does not gzip the same bytes again.
    """

    gzipped: bytes | None = None

    @classmethod
    def of(cls, data) -> "RenderedJSON":
        return cls(orjson.dumps(data))

    def data(self):
        return orjson.loads(bytes(self))  # orjson takes exact bytes, not subclasses

    def with_gzip(self) -> "RenderedJSON":
        """This body with its gzip form attached, when compressing makes it smaller."""
        if self.gzipped is None and len(self) >= GZIP_MIN_BYTES:
            # mtime=0: the same body always compresses to the same bytes.
            compressed = gzip.compress(self, compresslevel=GZIP_LEVEL, mtime=0)
            if len(compressed) < len(self):
                self.gzipped = compressed
        return self


def json_response(request, body, *, headers: dict | None = None) -> HttpResponse:
    """A 200 JSON response; a precompressed body is sent gzipped when the client accepts it.

    GZipMiddleware leaves a response that already has a Content-Encoding alone, and compresses
    the rest (bodies built for this request) as before.
    """
    if not isinstance(body, RenderedJSON):
        body = RenderedJSON.of(body)
    response = HttpResponse(body, content_type="application/json", headers=headers)
    if body.gzipped is not None:
        patch_vary_headers(response, ("Accept-Encoding",))
        if re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
            response.content = body.gzipped
            response["Content-Encoding"] = "gzip"
    return response  # CommonMiddleware sets Content-Length


class JSONRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if isinstance(data, RenderedJSON):
            return bytes(data)
        return orjson.dumps(data)


class Negotiation(DefaultContentNegotiation):
    """DRF's negotiation, with its answer for what SDKs and curl send found without parsing.

    No Accept, `*/*`, or exactly the first renderer's media type, and no `format` in the
    query: DRF's rules pick the first renderer with its own media type, so that is returned
    at once (parsing the header built every request's HttpHeaders: about a tenth of a cached
    answer, benchmarks/README.md). Anything else goes through DRF's rules, 406 included.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        meta = request.META
        query = meta.get("QUERY_STRING", "")
        accept = meta.get("HTTP_ACCEPT")
        first = renderers[0] if renderers else None
        if (
            first is not None
            and not format_suffix
            and "format" not in query
            and "%" not in query
            and (accept is None or accept == "*/*" or accept == first.media_type)
        ):
            return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)
