"""The provider client contract: what a client is given, what it returns, what it raises."""

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from django.conf import settings

from models_api.errors import BadGateway, InvalidRequest
from models_api.outbound import http
from models_api.providers import fields
from models_api.providers.ids import find, missing_is_not_found, model_path, segment
from models_api.providers.shapes import EMPTY, Endpoint, Model, ModelList, Target

# Query parameters that carry a credential: a caller may never swap the gateway's for its own.
REFUSED_PARAMS = frozenset({"key", "api_key", "apikey", "api-key", "access_token"})
REFUSED_PREFIXES = ("x-amz-",)  # SigV4 presigning parameters
SAFE_HEADER_VALUE = re.compile(r"^[\x20-\x7e]*$")
# The gateway route that serves each capability, for messages that name the routes offered.
ROUTES = MappingProxyType(
    {
        "chat": "/v1/chat/completions",
        "completions": "/v1/completions",
        "embeddings": "/v1/embeddings",
    }
)

__all__ = ["EMPTY", "Call", "Cursor", "Endpoint", "Model", "ModelList", "ProviderClient", "Target"]


@dataclass(frozen=True)
class Cursor:
    """How a cursor-paged list is walked, declared by the provider that pages that way."""

    size: tuple[str, str]  # the page-size parameter and the largest value the API allows
    param: str  # the query parameter that takes the cursor
    next: str  # the response field holding the next cursor
    has_more: str = ""  # a response flag that must be true for there to be a next page
    also: tuple[str, ...] = ()  # other paging parameters, which also select a single page
    fields: tuple[str, ...] = ()  # other paging fields returned with a single page

    @property
    def params(self) -> frozenset[str]:
        return frozenset({self.size[0], self.param, *self.also})

    def query(self, params: Mapping[str, str], after: str | None) -> dict[str, str]:
        """The query for the page after cursor `after` (the first page when None)."""
        size, value = self.size
        return {**params, size: value, **({self.param: after} if after else {})}

    def paging(self, data: dict) -> dict:
        names = (*((self.has_more,) if self.has_more else ()), *self.fields, self.next)
        return {name: data[name] for name in names if name in data}

    def after(self, data: dict, provider: str) -> str | None:
        """The cursor of the next page, or None on the last one."""
        if self.has_more and data.get(self.has_more) is not True:
            return None
        cursor = fields.opt_str(data.get(self.next))
        if self.has_more and not cursor:
            raise BadGateway(
                f"{provider} said {self.has_more} without a {self.next} to continue from.",
                provider=provider,
            )
        return cursor


@dataclass(frozen=True)
class Call:
    """How one capability is called: a path under the provider's root, where `{model}` is the
    model id as one path segment, and the path and query for streaming where they differ."""

    path: str
    stream_path: str = ""
    stream_params: Mapping[str, str] = field(default_factory=lambda: EMPTY)


class ProviderClient:
    """One provider family: lists its models and says how to call them.

    `list_models(target, query)` returns a ModelList. When `query` holds paging parameters of
    the provider's own, exactly that page is fetched and its paging fields are returned in
    `ModelList.paging`; otherwise every page is walked, up to GATEWAY_MAX_PAGES, under one
    GATEWAY_UPSTREAM_TIMEOUT deadline. Other query parameters are passed through, except any
    that carry a credential or that the gateway sets itself (InvalidRequest naming it).
    `retrieve_model(target, model_id)` returns one Model, from the provider's retrieve
    endpoint where it has one, else by searching the list.

    Both raise only models_api.errors.GatewayError subclasses: InvalidRequest for unusable
    target options (before any call), UpstreamError with the provider's status and message for
    a provider 4xx, BadGateway for a 5xx, an unreachable host, a redirect or a body that is not
    the provider's shape, GatewayTimeout past the deadline, NotFound for a model that does not
    exist (the provider's 404 on retrieve, or an id missing from the list).

    `endpoint(target, capability, model, stream=...)` says where and how to send a call of
    `capability` ("chat", "completions" or "embeddings") for `model`, the provider's own id; it
    makes no call. It raises InvalidRequest for unusable options or a capability the provider
    does not offer (naming the routes it does), NotFound for an id that is no path segment.

    A subclass declares: `slug`; `base_url` (and `call_url` when calls go to another host),
    both formatted with the target's options; `list_path`, `list_field` ("" for a bare array)
    and `_model`, the item reader; `retrieve_path` with `{id}`, or "" to search the list;
    `cursor` when the list is cursor-paged; `calls` and `translated`; `option_keys` and
    `check_options`. It overrides `_endpoint` for any auth other than a Bearer token.
    """

    slug: str = ""
    base_url: str = ""
    call_url: str = ""
    list_path: str = "/models"
    list_field: str = "data"
    retrieve_path: str = ""
    retrieve_field: str = ""  # the key that wraps the model in a retrieve answer, if any
    model_prefix: str = ""  # a prefix the provider puts on ids, accepted and removed
    cursor: Cursor | None = None
    refused_params: frozenset[str] = frozenset()  # query parameters the gateway sets itself
    option_keys: frozenset[str] = frozenset()
    calls: Mapping[str, Call] = EMPTY
    translated: bool = False  # bodies go in the provider's own shape, not OpenAI's
    stream_usage: bool = False  # takes stream_options.include_usage (an OpenAI-shaped API)

    def list_models(self, target: Target, query: Mapping[str, str] = EMPTY) -> ModelList:
        params = pass_through(query, provider=self.slug, refused=self.refused_params)
        until = http.new_deadline()
        cursor = self.cursor
        if cursor is None:
            return ModelList(self._models(self._get(target, self.list_path, params, until)))
        if cursor.params & params.keys():
            data = fields.obj(self._get(target, self.list_path, params, until), self.slug)
            return ModelList(self._models(data), paging=cursor.paging(data))

        def page(after: str | None) -> tuple[tuple[Model, ...], str | None]:
            walk = cursor.query(params, after)
            data = fields.obj(self._get(target, self.list_path, walk, until), self.slug)
            return self._models(data), cursor.after(data, self.slug)

        return ModelList(walk_pages(page, provider=self.slug))

    def retrieve_model(self, target: Target, model_id: str) -> Model:
        model_id = model_id.removeprefix(self.model_prefix) if self.model_prefix else model_id
        if not self.retrieve_path:
            return find(self.list_models(target).models, model_id, self.slug)
        path = self.retrieve_path.format(id=model_path(model_id, self.slug))
        with missing_is_not_found(model_id, self.slug):
            data = fields.obj(self._get(target, path, {}, http.new_deadline()), self.slug)
        if self.retrieve_field:
            data = fields.obj(data.get(self.retrieve_field), self.slug)
        return self._model(data)

    def endpoint(
        self, target: Target, capability: str, model: str, *, stream: bool = False
    ) -> Endpoint:
        if capability not in ROUTES:
            raise ValueError(f"capability must be one of {', '.join(ROUTES)}, not {capability!r}")
        self.require_valid(target)
        call = self.calls.get(capability)
        if call is None:
            offered = ", ".join(ROUTES[name] for name in ROUTES if name in self.calls)
            raise InvalidRequest(
                f"{self.slug} does not offer {ROUTES[capability]}; it offers: {offered or 'none'}.",
                code="unsupported_route",
                provider=self.slug,
            )
        model = model.removeprefix(self.model_prefix) if self.model_prefix else model
        path = call.stream_path if stream and call.stream_path else call.path
        if "{model}" in path:
            path = path.format(model=segment(model, self.slug))
        found = self._endpoint(target, path, call=True)
        params = {**found.params, **call.stream_params} if stream else found.params
        return replace(found, params=MappingProxyType(params), translated=self.translated)

    def check_options(self, options: Mapping[str, str], base_url: str) -> list[str]:
        """Problems with these options beyond unknown keys; empty when they are usable."""
        return [
            f"Option {key!r} must be printable ASCII."
            for key in sorted(self.option_keys)
            if not SAFE_HEADER_VALUE.match(options.get(key) or "")
        ]

    def require_valid(self, target: Target) -> None:
        """InvalidRequest before any call when the target's options are unusable."""
        errors = self.check_options(target.options, target.base_url)
        if errors:
            raise InvalidRequest(" ".join(errors))

    def _root(self, target: Target, *, call: bool = False) -> str:
        """The URL every path hangs off: the target's base URL, or the provider's own."""
        default = self.call_url if call and self.call_url else self.base_url
        return (target.base_url or default.format_map(target.options)).rstrip("/")

    def _endpoint(self, target: Target, path: str, *, call: bool = False) -> Endpoint:
        """`path` under the root with the target's credential; here a Bearer token, if any."""
        headers = {"Authorization": f"Bearer {target.credential}"} if target.credential else {}
        return Endpoint(self._root(target, call=call) + path, headers, secrets=(target.credential,))

    def _get(self, target: Target, path: str, params: Mapping[str, str], until: float) -> object:
        self.require_valid(target)
        found = self._endpoint(target, path)
        return http.get_json(
            found.url,
            provider=self.slug,
            headers=found.headers,
            params={**params, **found.params},
            auth=found.auth,
            secrets=found.secrets,
            deadline=until,
        )

    def _models(self, data: object) -> tuple[Model, ...]:
        return tuple(self._model(item) for item in fields.items(data, self.list_field, self.slug))

    def _model(self, item: dict) -> Model:
        raise NotImplementedError


def pass_through(
    query: Mapping[str, str], *, provider: str, refused: Iterable[str] = ()
) -> dict[str, str]:
    """The caller's query parameters to forward; InvalidRequest for any that touch auth."""
    refused = REFUSED_PARAMS | {name.lower() for name in refused}
    params = {}
    for name, value in query.items():
        lowered = name.lower()
        if lowered in refused or lowered.startswith(REFUSED_PREFIXES):
            raise InvalidRequest(
                f"Query parameter {name!r} cannot be forwarded to {provider}: the gateway sets "
                "it from the route's provider settings. Remove it from the request.",
                param=name,
            )
        params[name] = value
    return params


def walk_pages(
    fetch: Callable[[str | None], tuple[Iterable[Model], str | None]], *, provider: str
) -> tuple[Model, ...]:
    """Call fetch(cursor) from cursor None until it returns no next cursor.

    More than GATEWAY_MAX_PAGES pages is a BadGateway rather than a silently partial list,
    which a cache or a catalog sync would otherwise take for the whole list.
    """
    models: list[Model] = []
    cursor, seen = None, set()
    for _ in range(settings.GATEWAY_MAX_PAGES):
        page, cursor = fetch(cursor)
        models.extend(page)
        if not cursor:
            return tuple(models)
        if cursor in seen:
            raise BadGateway(f"{provider} returned the same page cursor twice.", provider=provider)
        seen.add(cursor)
    raise BadGateway(
        f"{provider} has more than {settings.GATEWAY_MAX_PAGES} pages of models "
        "(GATEWAY_MAX_PAGES); raise the setting, or pass the provider's own paging parameters.",
        provider=provider,
    )
