"""JSON rendering with orjson, and responses that carry a body compressed once, when cached."""

import gzip
from collections.abc import Callable, Iterable
from itertools import islice

import orjson
from django.http import HttpResponse
from django.middleware.gzip import re_accepts_gzip
from django.utils.cache import patch_vary_headers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer

# A shorter body is not worth compressing (Django's floor is 200 bytes): it saves a few hundred
# bytes of what fits in one packet anyway, and costs ~25 us of a chat answer's CPU here.
GZIP_MIN_BYTES = 1024
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

    @classmethod
    def of_list(
        cls, head: dict, items: Iterable, tail: Callable[[], dict], *, every: int = 500
    ) -> "RenderedJSON":
        """The JSON of {**head, "data": [*items], **tail()}, with head and tail not empty,
        rendered `every` items at a time: a 10,000-entry list is never all Python objects at
        once, only its JSON (and that once more while it is joined)."""
        pieces, items = [orjson.dumps(head)[:-1], b',"data":['], iter(items)
        for chunk in iter(lambda: list(islice(items, every)), []):
            if len(pieces) > 2:
                pieces.append(b",")
            pieces.append(orjson.dumps(chunk)[1:-1])
        pieces += [b"],", orjson.dumps(tail())[1:]]
        joined = b"".join(pieces)
        pieces.clear()
        return cls(joined)

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
    if body.gzipped is None:
        return HttpResponse(body, content_type="application/json", headers=headers)
    # Chosen before the response is made: Django copies a bytes subclass into plain bytes, a
    # 5 MB copy per request of a whole catalog (benchmarks/README.md); the gzipped body is
    # plain bytes, sent as it is.
    accepts = re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", ""))
    response = HttpResponse(
        body.gzipped if accepts else body, content_type="application/json", headers=headers
    )
    patch_vary_headers(response, ("Accept-Encoding",))
    if accepts:
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
    query or the URL: DRF's rules pick the first renderer with its own media type, so that is
    returned at once (parsing the header built every request's HttpHeaders: about a tenth of
    a cached answer, benchmarks/README.md). Anything else goes through DRF's rules, 406 included.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        # The query is parsed as DRF does (a request with too many fields is refused here, as
        # before), and the view reads the same parsed copy.
        format_ = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        accept = request.META.get("HTTP_ACCEPT")
        if renderers and not format_:
            first = renderers[0]
            if accept is None or accept == "*/*" or accept == first.media_type:
                return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)
