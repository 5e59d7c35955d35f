"""JSON rendering with orjson: faster than the standard library on large model lists."""

import orjson
from rest_framework.renderers import BaseRenderer


class RenderedJSON(bytes):
    """A body already rendered to JSON (cached that way): written out as it is.

    Caching rendered bytes instead of Python objects saves the unpickling and the rendering
    on every cache hit, the largest costs of a cached answer.
    """

    @classmethod
    def of(cls, data) -> "RenderedJSON":
        return cls(orjson.dumps(data))

    def data(self):
        return orjson.loads(bytes(self))  # orjson takes exact bytes, not subclasses


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
