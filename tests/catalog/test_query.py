"""catalog_list / catalog_retrieve: visibility, filters, sorts, paging, errors and query counts."""

from fnmatch import fnmatchcase

import pytest

from keys.access import Access, access_resolve
from keys.models import VirtualKey
from models_api.catalog.query import catalog_list, catalog_retrieve, pattern_regex
from models_api.errors import InvalidRequest, NotFound
from models_api.models import CatalogEntry
from tests.factories import CatalogEntryFactory, VirtualKeyFactory, make_api_key

pytestmark = pytest.mark.django_db
ALL = Access(all_virtual_keys=True)


@pytest.fixture
def catalog():
    """Two keys: an OpenAI one with four models, an Anthropic one with two (one unlisted)."""
    oa = VirtualKeyFactory(slug="openai-prod", provider="openai")
    an = VirtualKeyFactory(slug="anthropic-prod", provider="anthropic")
    entry = CatalogEntryFactory
    entry(
        virtual_key=oa,
        model_id="gpt-4o",
        created=300,
        synced={
            "name": "GPT-4o",
            "context_length": 128000,
            "max_output_tokens": 16384,
            "input_price": "0.0000025",
            "output_price": "0.00001",
            "input_modalities": ["text", "image"],
            "output_modalities": ["text"],
            "capabilities": ["tools"],
        },
    )
    entry(
        virtual_key=oa,
        model_id="gpt-4o-mini",
        created=400,
        synced={
            "name": "GPT-4o mini",
            "context_length": 128000,
            "input_price": "0.00000015",
            "output_price": "0.0000006",
            "capabilities": ["tools"],
        },
    )
    entry(
        virtual_key=oa,
        model_id="text-embedding-3-small",
        created=100,
        synced={
            "context_length": 8191,
            "input_price": "0.00000002",
            "capabilities": ["embeddings"],
        },
    )
    entry(virtual_key=oa, model_id="whisper-1", created=200)
    entry(
        virtual_key=an,
        model_id="claude-sonnet-4",
        created=500,
        owned_by="anthropic",
        synced={
            "name": "Claude Sonnet 4",
            "context_length": 200000,
            "input_price": "0.000003",
            "output_price": "0.000015",
            "input_modalities": ["text", "image"],
            "capabilities": ["tools"],
        },
    )
    entry(virtual_key=an, model_id="claude-2", created=50, is_listed=False)
    return {"oa": oa, "an": an}


def ids(access=ALL, **params):
    return [item["id"] for item in catalog_list(access=access, params=params)["data"]]


def test_item_shape_and_effective_values(catalog):
    body = catalog_list(access=ALL, params={"search": "gpt-4o-mini"})
    assert body["object"] == "list"
    assert body["data"] == [
        {
            "id": "@openai-prod/gpt-4o-mini",
            "object": "model",
            "created": 400,
            "owned_by": "system",
            "provider": "openai",
            "slug": "gpt-4o-mini",
            "virtual_key": "openai-prod",
            "name": "GPT-4o mini",
            "context_length": 128000,
            "max_output_tokens": None,
            "top_provider": {"context_length": 128000, "max_completion_tokens": None},
            # OpenRouter's strings of USD per token beside the numbers (LibreChat reads them).
            "pricing": {
                "input": 1.5e-07,
                "output": 6e-07,
                "prompt": "0.00000015",
                "completion": "0.0000006",
            },
            "input_modalities": [],
            "output_modalities": [],
            "capabilities": ["tools"],
        }
    ]
    assert (body["total_count"], body["limit"], body["offset"], body["has_more"]) == (
        1,
        None,  # no limit asked: the whole list
        0,
        False,
    )


def test_overrides_win_in_the_listing(catalog):
    entry = CatalogEntry.objects.get(model_id="whisper-1")
    entry.overrides = {"name": "Whisper", "input_price": "0.0001", "capabilities": ["audio"]}
    entry.resolve()
    entry.save()
    item = catalog_retrieve(access=ALL, public_id="@openai-prod/whisper-1")
    assert (item["name"], item["pricing"]["input"], item["capabilities"]) == (
        "Whisper",
        0.0001,
        ["audio"],
    )


def test_unlisted_entries_and_inactive_keys_are_hidden(catalog):
    assert "@anthropic-prod/claude-2" not in ids()
    VirtualKey.objects.filter(pk=catalog["an"].pk).update(is_active=False)
    assert ids() == [
        "@openai-prod/gpt-4o",
        "@openai-prod/gpt-4o-mini",
        "@openai-prod/text-embedding-3-small",
        "@openai-prod/whisper-1",
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"provider": "anthropic"}, ["@anthropic-prod/claude-sonnet-4"]),
        ({"provider": "anthropic,openai"}, 5),
        ({"virtual_key": "anthropic-prod"}, ["@anthropic-prod/claude-sonnet-4"]),
        ({"virtual_key": "nobody"}, []),
        ({"search": "GPT-4O"}, ["@openai-prod/gpt-4o", "@openai-prod/gpt-4o-mini"]),
        ({"search": "sonnet"}, ["@anthropic-prod/claude-sonnet-4"]),  # by id and by name
        ({"search": "Claude Sonnet"}, ["@anthropic-prod/claude-sonnet-4"]),  # by name only
        ({"search": "anthropic-prod/"}, ["@anthropic-prod/claude-sonnet-4"]),
        ({"capability": "embeddings"}, ["@openai-prod/text-embedding-3-small"]),
        (
            {"capability": "tools,vision"},
            ["@anthropic-prod/claude-sonnet-4", "@openai-prod/gpt-4o"],
        ),
        ({"capability": "function_calling"}, 3),  # an alias of tools
        ({"input_modality": "image"}, ["@anthropic-prod/claude-sonnet-4", "@openai-prod/gpt-4o"]),
        ({"output_modality": "text"}, ["@openai-prod/gpt-4o"]),
        ({"min_context_length": "128001"}, ["@anthropic-prod/claude-sonnet-4"]),
        ({"min_context_length": "0"}, 5),
        (
            {"provider": "openai", "capability": "tools", "search": "mini"},
            ["@openai-prod/gpt-4o-mini"],
        ),
    ],
)
def test_filters(catalog, params, expected):
    found = ids(**params)
    assert (len(found) if isinstance(expected, int) else found) == expected


@pytest.mark.parametrize(
    ("sort", "ascending"),
    [
        (
            "id",
            [
                "anthropic-prod/claude-sonnet-4",
                "openai-prod/gpt-4o",
                "openai-prod/gpt-4o-mini",
                "openai-prod/text-embedding-3-small",
                "openai-prod/whisper-1",
            ],
        ),
        (
            "created",
            [
                "openai-prod/text-embedding-3-small",
                "openai-prod/whisper-1",
                "openai-prod/gpt-4o",
                "openai-prod/gpt-4o-mini",
                "anthropic-prod/claude-sonnet-4",
            ],
        ),
        (
            "provider",
            [
                "anthropic-prod/claude-sonnet-4",
                "openai-prod/gpt-4o",
                "openai-prod/gpt-4o-mini",
                "openai-prod/text-embedding-3-small",
                "openai-prod/whisper-1",
            ],
        ),
    ],
)
def test_sort_and_order(catalog, sort, ascending):
    expected = ["@" + i for i in ascending]
    assert ids(sort=sort) == expected
    assert ids(sort=sort, order="asc") == expected
    # Ties (one provider's models) keep ascending ids in either order.
    expected_desc = expected[1:] + expected[:1] if sort == "provider" else expected[::-1]
    assert ids(sort=sort, order="desc") == expected_desc


@pytest.mark.parametrize(
    ("sort", "ascending", "missing"),
    [
        (
            "context_length",
            ["text-embedding-3-small", "gpt-4o", "gpt-4o-mini", "claude-sonnet-4"],
            ["whisper-1"],
        ),
        (
            "input_price",
            ["text-embedding-3-small", "gpt-4o-mini", "gpt-4o", "claude-sonnet-4"],
            ["whisper-1"],
        ),
        (
            "output_price",
            ["gpt-4o-mini", "gpt-4o", "claude-sonnet-4"],
            ["text-embedding-3-small", "whisper-1"],
        ),
    ],
)
def test_metadata_sorts_put_unknown_values_last(catalog, sort, ascending, missing):
    slugs = [item.split("/", 1)[1] for item in ids(sort=sort)]
    assert slugs == ascending + missing
    desc = [item.split("/", 1)[1] for item in ids(sort=sort, order="desc")]
    if sort == "context_length":  # the two 128k models tie: ids ascending
        assert desc == [
            "claude-sonnet-4",
            "gpt-4o",
            "gpt-4o-mini",
            "text-embedding-3-small",
            *missing,
        ]
    else:
        assert desc == ascending[::-1] + missing


def test_paging_and_total_count(catalog):
    first = catalog_list(access=ALL, params={"limit": "2"})
    assert [i["slug"] for i in first["data"]] == ["claude-sonnet-4", "gpt-4o"]
    assert (first["total_count"], first["has_more"]) == (5, True)
    last = catalog_list(access=ALL, params={"limit": "2", "offset": "4"})
    assert [i["slug"] for i in last["data"]] == ["whisper-1"]
    assert (last["total_count"], last["has_more"], last["offset"]) == (5, False, 4)
    beyond = catalog_list(access=ALL, params={"offset": "50"})
    assert (beyond["data"], beyond["total_count"], beyond["has_more"]) == ([], 5, False)
    filtered = catalog_list(access=ALL, params={"provider": "openai", "limit": "1"})
    assert filtered["total_count"] == 4


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "1.5"}, "offset"),
        ({"min_context_length": "-5"}, "min_context_length"),
        ({"min_context_length": "big"}, "min_context_length"),
        ({"sort": "name"}, "sort"),
        ({"order": "up"}, "order"),
        ({"provider": "not-a-provider"}, "provider"),
        ({"virtual_key": "a b"}, "virtual_key"),
        ({"capability": "to|ols"}, "capability"),
        ({"input_modality": "%"}, "input_modality"),
        ({"output_modality": "a|b"}, "output_modality"),
        ({"search": "x" * 201}, "search"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_parameters_name_the_parameter(catalog, params, param):
    with pytest.raises(InvalidRequest) as caught:
        catalog_list(access=ALL, params=params)
    assert caught.value.param == param
    assert caught.value.status == 400
    assert param in caught.value.message


def test_limit_maximum_is_accepted(catalog):
    assert catalog_list(access=ALL, params={"limit": "1000"})["limit"] == 1000


def test_empty_scope_sees_nothing_without_a_query(catalog, django_assert_num_queries):
    api_key, _ = make_api_key(all_virtual_keys=False)
    access = access_resolve(api_key=api_key)
    with django_assert_num_queries(0):
        body = catalog_list(access=access, params={})
    assert (body["data"], body["total_count"]) == ([], 0)
    with pytest.raises(NotFound):
        catalog_retrieve(access=access, public_id="@openai-prod/gpt-4o")


def test_chosen_virtual_keys_only(catalog):
    api_key, _ = make_api_key(virtual_keys=[catalog["an"]])
    access = access_resolve(api_key=api_key)
    body = catalog_list(access=access, params={})
    assert [i["id"] for i in body["data"]] == ["@anthropic-prod/claude-sonnet-4"]
    assert body["total_count"] == 1
    assert ids(access, virtual_key="openai-prod") == []
    with pytest.raises(NotFound):
        catalog_retrieve(access=access, public_id="@openai-prod/gpt-4o")


def test_all_virtual_keys_including_later_ones(catalog):
    api_key, _ = make_api_key(all_virtual_keys=True)
    later = VirtualKeyFactory(slug="later", provider="groq")
    CatalogEntryFactory(virtual_key=later, model_id="llama-3.1-8b-instant")
    assert len(ids(access_resolve(api_key=api_key))) == 6


@pytest.mark.parametrize("patterns", [["gpt-4o*"], ["@openai-prod/gpt-4o*"], ["gpt-4o?mini"]])
def test_model_patterns_keep_total_count_and_paging_right(catalog, patterns):
    api_key, _ = make_api_key(model_patterns=patterns)
    access = access_resolve(api_key=api_key)
    expected = sorted(
        e.public_id
        for e in CatalogEntry.objects.filter(is_listed=True)
        if access.allows_model(e.model_id, e.public_id)
    )
    assert expected  # the case is not vacuous
    page = catalog_list(access=access, params={"limit": "1"})
    assert page["total_count"] == len(expected)
    assert [i["id"] for i in page["data"]] == expected[:1]
    assert page["has_more"] is (len(expected) > 1)
    assert ids(access, limit="1000") == expected


def test_bracket_patterns_are_matched_in_python_with_correct_paging(
    catalog, django_assert_num_queries
):
    access = Access(all_virtual_keys=True, model_patterns=("[gt]*", "claude-[!x]*"))
    with django_assert_num_queries(2):
        body = catalog_list(access=access, params={"limit": "2", "offset": "1"})
    assert [i["slug"] for i in body["data"]] == ["gpt-4o", "gpt-4o-mini"]
    assert body["total_count"] == 4  # claude-sonnet-4, gpt-4o, gpt-4o-mini, text-embedding


def test_model_patterns_apply_to_retrieve(catalog):
    access = Access(all_virtual_keys=True, model_patterns=("claude-*",))
    assert catalog_retrieve(access=access, public_id="@anthropic-prod/claude-sonnet-4")["id"]
    with pytest.raises(NotFound):
        catalog_retrieve(access=access, public_id="@openai-prod/gpt-4o")


@pytest.mark.parametrize(
    "pattern",
    [
        "gpt-4o*",
        "*mini",
        "gpt-?o",
        "*",
        "@openai-prod/*",
        "a.b*",
        "x+y",
        "*(1)*",
        "GPT-4o",
        "*\\*",
        "^gpt*",
        "gpt-4o$",
        "*-*-*",
    ],
)
def test_sql_pattern_translation_matches_fnmatchcase(pattern):
    vk = VirtualKeyFactory(slug="k")
    names = [
        "gpt-4o",
        "gpt-4o-mini",
        "GPT-4o",
        "a.b",
        "axb",
        "x+y",
        "xxy",
        "m(1)",
        "m1",
        "x\\*",
        "^gpt",
        "gpt-4o$",
        "line\nbreak",
        "a-b-c",
    ]
    for name in names:
        CatalogEntryFactory(virtual_key=vk, model_id=name)
    access = Access(all_virtual_keys=True, model_patterns=(pattern,))
    expected = sorted(n for n in names if access.allows_model(n, f"@k/{n}"))
    assert pattern_regex(pattern) is not None
    assert sorted(i["slug"] for i in catalog_list(access=access, params={})["data"]) == expected
    assert expected == sorted(
        n for n in names if fnmatchcase(n, pattern) or fnmatchcase(f"@k/{n}", pattern)
    )


def test_retrieve(catalog):
    item = catalog_retrieve(access=ALL, public_id="@anthropic-prod/claude-sonnet-4")
    assert (item["slug"], item["virtual_key"], item["context_length"]) == (
        "claude-sonnet-4",
        "anthropic-prod",
        200000,
    )


@pytest.mark.parametrize(
    "public_id",
    [
        "@anthropic-prod/claude-2",  # no longer listed
        "@openai-prod/nope",
        "gpt-4o",
    ],
)
def test_retrieve_not_found(catalog, public_id):
    with pytest.raises(NotFound) as caught:
        catalog_retrieve(access=ALL, public_id=public_id)
    assert public_id in caught.value.message
    assert caught.value.status == 404


def test_model_ids_with_slashes(catalog):
    vk = VirtualKeyFactory(slug="router", provider="openrouter")
    CatalogEntryFactory(virtual_key=vk, model_id="openai/gpt-4o")
    assert catalog_retrieve(access=ALL, public_id="@router/openai/gpt-4o")["slug"] == (
        "openai/gpt-4o"
    )


def test_list_query_count_is_constant(catalog, django_assert_num_queries):
    for n in range(30):
        CatalogEntryFactory(virtual_key=catalog["oa"], model_id=f"extra-{n}")
    with django_assert_num_queries(1):  # a page that is not full needs no COUNT(*)
        body = catalog_list(access=ALL, params={"sort": "created", "limit": "1000"})
    assert len(body["data"]) == 35
    assert body["total_count"] == 35
    with django_assert_num_queries(2):  # a full page: page + count, whatever the page size
        body = catalog_list(access=ALL, params={"sort": "created", "limit": "10"})
    assert (len(body["data"]), body["total_count"], body["has_more"]) == (10, 35, True)
    with django_assert_num_queries(2):  # past the end: the count says how many there are
        body = catalog_list(access=ALL, params={"limit": "10", "offset": "100"})
    assert (body["data"], body["total_count"], body["has_more"]) == ([], 35, False)
    with django_assert_num_queries(2):
        catalog_list(access=Access(all_virtual_keys=True, model_patterns=("extra-*",)), params={})
