"""Catalog queries: what an API key may see of the local catalog, filtered, sorted and paged."""

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet

from keys.access import Access
from keys.generations import generation, generation_bump
from keys.models import VIRTUAL_KEY_SLUG
from models_api.catalog.items import entry_item, entry_rows
from models_api.catalog.values import CAPABILITY_ALIASES, tags
from models_api.errors import InvalidRequest, NotFound, unknown_provider_message
from models_api.models import CatalogEntry
from models_api.providers import provider_names
from models_api.text import text_param

ROWS_AT_ONCE = 500  # rows held as Python objects while a whole list is rendered
MAX_LIMIT = 1000  # for a caller that pages; without `limit` the answer is the whole list
MAX_SEARCH_LENGTH = 200
SORTS = {
    "id": "public_id",
    "created": "created",
    "provider": "provider",
    "context_length": "context_length",
    "input_price": "input_price",
    "output_price": "output_price",
}
PARAMS = frozenset(
    {
        "provider",
        "virtual_key",
        "search",
        "capability",
        "input_modality",
        "output_modality",
        "min_context_length",
        "sort",
        "order",
        "limit",
        "offset",
    }
)
DIGITS = re.compile(r"^[0-9]{1,12}$")


@dataclass(frozen=True)
class Query:
    """Validated catalog query parameters."""

    providers: tuple[str, ...] = ()
    virtual_keys: tuple[str, ...] = ()
    search: str = ""
    tags: tuple[str, ...] = ()  # as stored in CatalogEntry.tags: cap:tools, in:image, ...
    min_context_length: int = 0
    sort: str = "id"
    descending: bool = False
    limit: int | None = None  # None: every entry from `offset` on, as OpenAI lists them
    offset: int = 0

    @property
    def end(self) -> int | None:
        return None if self.limit is None else self.offset + self.limit


def catalog_list(*, access: Access, params: Mapping[str, str]) -> dict:
    """The entries `access` may see (a page of them when `limit` is given), with total_count.

    Clients such as the OpenAI SDK and chat front ends never page, so without `limit` every
    entry is answered; `limit` null in the answer says so.
    """
    items, totals = catalog_list_parts(access=access, params=params)
    return {"object": "list", "data": list(items), **totals()}


def catalog_list_parts(
    *, access: Access, params: Mapping[str, str]
) -> tuple[Iterator[dict], Callable[[], dict]]:
    """catalog_list as its items, read from the database a chunk at a time, and a function
    for the fields after them (total_count, ...), to call once the items are consumed."""
    query = query_parse(params=params)
    entries = _visible(access).filter(_filters(query)).order_by(*_ordering(query))
    if access.model_patterns:
        total, rows = _page_by_patterns(access, entries, query)
        return map(entry_item, rows), lambda: _totals(query, len(rows), total)
    seen = 0

    def items() -> Iterator[dict]:
        nonlocal seen
        page = entry_rows(entries[query.offset : query.end])
        for row in page.iterator(chunk_size=ROWS_AT_ONCE):
            seen += 1
            yield entry_item(row)

    def totals() -> dict:
        # A page that is not full ends the list: its length gives the total without COUNT(*).
        full = query.limit is not None and seen >= query.limit
        short_page = not full and (seen or query.offset == 0)
        return _totals(query, seen, query.offset + seen if short_page else entries.count())

    return items(), totals


def _totals(query: Query, count: int, total: int) -> dict:
    return {
        "total_count": total,
        "limit": query.limit,
        "offset": query.offset,
        "has_more": query.offset + count < total,
    }


def catalog_generation() -> int:
    """The catalog's generation, part of every cached page's key (keys/generations.py): a change
    made in any process retires the pages of all of them."""
    return generation("catalog")


def catalog_changed() -> None:
    """Invalidate every cached catalog page (after a sync, an import or an admin edit)."""
    generation_bump("catalog")


def catalog_retrieve(*, access: Access, public_id: str) -> dict:
    """The entry with this public id, if listed and visible to `access`; NotFound otherwise."""
    row = entry_rows(_visible(access).filter(public_id=public_id)).first()
    if row is None or not access.allows_model(row["model_id"], row["public_id"]):
        raise model_not_found(public_id)
    return entry_item(row)


def model_not_found(model: str) -> NotFound:
    """404 model_not_found for an id the catalog does not show this key."""
    hint = "" if model.startswith("@") else " Catalog ids look like @<virtual-key>/<model>."
    return NotFound(
        f"Model {model[:200]!r} is not in the catalog, or this API key may not use it. "
        f"GET /v1/models lists the models it may use.{hint}",
        param="model",
        code="model_not_found",
    )


def catalog_callable(*, access: Access, model: str) -> list[dict]:
    """The entries `access` may call as `model`: by catalog id (@<virtual-key>/<model>), or
    for a plain id every entry whose provider id it is. The same visibility and predicate
    (Access.allows_model on the provider id and the catalog id) as the list and retrieve,
    so an id is callable exactly when /v1/models lists it."""
    entries = _visible(access)
    if model.startswith("@"):
        entries = entries.filter(public_id=model)
    else:
        entries = entries.filter(model_id=model)
    rows = entry_rows(entries.order_by("public_id"), "virtual_key_id")
    return [row for row in rows if access.allows_model(row["model_id"], row["public_id"])]


def query_parse(*, params: Mapping[str, str]) -> Query:
    """Validate the query string; InvalidRequest naming the first bad parameter."""
    for name, value in params.items():
        text_param(name, value)
        if name not in PARAMS:
            _bad(name, f"Unknown query parameter {name!r}. Known: {', '.join(sorted(PARAMS))}.")
    providers = _names(params, "provider")
    unknown = sorted(set(providers) - set(provider_names()))
    if unknown:
        _bad("provider", unknown_provider_message(unknown[0], provider_names()))
    slugs = _names(params, "virtual_key")
    if not all(VIRTUAL_KEY_SLUG.fullmatch(slug) for slug in slugs):
        _bad("virtual_key", "virtual_key takes virtual key slugs, separated by commas.")
    search = params.get("search", "").strip()
    if len(search) > MAX_SEARCH_LENGTH:
        _bad("search", f"search is limited to {MAX_SEARCH_LENGTH} characters.")
    sort = params.get("sort", "id")
    if sort not in SORTS:
        _bad("sort", f"Unknown sort {sort!r}. Valid: {', '.join(SORTS)}.")
    order = params.get("order", "asc")
    if order not in ("asc", "desc"):
        _bad("order", "order must be asc or desc.")
    return Query(
        providers=providers,
        virtual_keys=slugs,
        search=search,
        tags=_tags(params),
        min_context_length=_int(params, "min_context_length", 0, minimum=0),
        sort=sort,
        descending=order == "desc",
        limit=_int(params, "limit", None, minimum=1, maximum=MAX_LIMIT),
        offset=_int(params, "offset", 0, minimum=0),
    )


def paging_parse(*, params: Mapping[str, str]) -> tuple[int | None, int]:
    """(limit, offset) as the catalog reads them, for lists paged after filtering by scope."""
    limit = _int(params, "limit", None, minimum=1, maximum=MAX_LIMIT)
    return limit, _int(params, "offset", 0, minimum=0)


def pattern_regex(pattern: str) -> str | None:
    """A shell pattern (fnmatchcase) as a regex SQLite and PostgreSQL both run; None if unsure.

    Bracket sets differ between the engines, so patterns with them are matched in Python.
    """
    if "[" in pattern:
        return None
    parts = [".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern]
    return "(?s)^" + "".join(parts) + "$"  # (?s): "?" and "*" match newlines in both engines


def _visible(access: Access) -> QuerySet:
    if not access.all_virtual_keys and not access.virtual_key_ids:
        return CatalogEntry.objects.none()  # deny by default, without a query
    return CatalogEntry.objects.filter(is_listed=True, virtual_key__in=access.virtual_keys())


def _filters(query: Query) -> Q:
    q = Q()
    if query.providers:
        q &= Q(provider__in=query.providers)
    if query.virtual_keys:
        q &= Q(virtual_key__slug__in=query.virtual_keys)
    if query.search:
        q &= Q(public_id__icontains=query.search) | Q(name__icontains=query.search)
    for tag in query.tags:
        q &= Q(tags__contains=f"|{tag}|")
    if query.min_context_length:
        q &= Q(context_length__gte=query.min_context_length)
    return q


def _ordering(query: Query) -> list:
    column = F(SORTS[query.sort])
    # Entries without the value go last either way, on SQLite and PostgreSQL alike.
    first = column.desc(nulls_last=True) if query.descending else column.asc(nulls_last=True)
    return [first, "public_id"] if query.sort != "id" else [first]


def _page_by_patterns(access: Access, entries: QuerySet, query: Query) -> tuple[int, list[dict]]:
    """Apply the key's model patterns before paging, so total_count and pages stay right."""
    regexes = [pattern_regex(p) for p in access.model_patterns]
    if all(regexes):
        allowed = Q()
        for regex in regexes:
            allowed |= Q(model_id__regex=regex) | Q(public_id__regex=regex)
        entries = entries.filter(allowed)
        return entries.count(), list(entry_rows(entries[query.offset : query.end]))
    ids = [
        pk
        for pk, model_id, public_id in entries.values_list("pk", "model_id", "public_id")
        if access.allows_model(model_id, public_id)
    ]
    page = ids[query.offset : query.end]
    rows = entry_rows(CatalogEntry.objects.filter(pk__in=page), "pk")
    by_pk = {row.pop("pk"): row for row in rows}
    return len(ids), [by_pk[pk] for pk in page]


def _names(params: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in params.get(name, "").split(",") if part.strip())


def _tags(params: Mapping[str, str]) -> tuple[str, ...]:
    found = []
    for name, prefix in (
        ("capability", "cap"),
        ("input_modality", "in"),
        ("output_modality", "out"),
    ):
        aliases = CAPABILITY_ALIASES if prefix == "cap" else None
        for raw in _names(params, name):
            names = tags([raw], aliases=aliases)
            if not names:
                _bad(name, f"{name} takes names such as tools or image, separated by commas.")
            found.append(f"{prefix}:{names[0]}")
    return tuple(found)


def _int(params, name: str, default, *, minimum: int, maximum: int | None = None) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    limits = f"from {minimum} to {maximum}" if maximum is not None else f"{minimum} or more"
    if not DIGITS.match(raw):
        _bad(name, f"{name} must be a whole number, {limits}; got {raw[:40]!r}.")
    value = int(raw)
    if value < minimum or (maximum is not None and value > maximum):
        _bad(name, f"{name} must be {limits}; got {value}.")
    return value


def _bad(param: str, message: str):
    raise InvalidRequest(message, param=param, code="invalid_parameter")
