"""The base client's mechanics: query filtering, cursors, page walking, endpoint(), Endpoint."""

import pytest

from models_api.errors import BadGateway, InvalidRequest
from models_api.providers import base, get_client
from models_api.providers.base import Cursor, Endpoint, Model, Target

CURSOR = Cursor(
    size=("limit", "50"), param="after", next="last", has_more="more", fields=("first",)
)


@pytest.mark.parametrize("name", ["key", "API_KEY", "apikey", "api-key", "access_token"])
def test_credential_parameters_are_refused(name):
    with pytest.raises(InvalidRequest) as caught:
        base.pass_through({name: "x"}, provider="p")
    assert caught.value.param == name
    assert "cannot be forwarded to p" in caught.value.message


def test_parameters_the_gateway_sets_are_refused():
    with pytest.raises(InvalidRequest) as caught:
        base.pass_through({"API-Version": "x"}, provider="p", refused=["api-version"])
    assert caught.value.param == "API-Version"


def test_other_parameters_pass_through():
    assert base.pass_through({"limit": "5", "q": "a"}, provider="p") == {"limit": "5", "q": "a"}


def test_a_cursor_query_adds_the_page_size_and_the_cursor():
    assert CURSOR.query({"q": "a"}, None) == {"q": "a", "limit": "50"}
    assert CURSOR.query({"q": "a"}, "c1") == {"q": "a", "limit": "50", "after": "c1"}
    assert CURSOR.params == {"limit", "after"}


def test_a_cursor_returns_the_paging_fields_the_provider_sent():
    assert CURSOR.paging({"more": False, "first": None, "data": []}) == {
        "more": False,
        "first": None,
    }


@pytest.mark.parametrize(
    ("data", "after"),
    [({"more": True, "last": "c2"}, "c2"), ({"more": False, "last": "c2"}, None), ({}, None)],
)
def test_has_more_decides_whether_there_is_a_next_page(data, after):
    assert CURSOR.after(data, "p") == after


def test_has_more_without_the_next_cursor_is_a_bad_gateway():
    with pytest.raises(BadGateway, match="p said more without a last to continue from"):
        CURSOR.after({"more": True, "last": ""}, "p")


def test_without_a_has_more_flag_an_empty_cursor_ends_the_walk():
    cursor = Cursor(size=("n", "9"), param="token", next="next_token")
    assert cursor.after({"next_token": ""}, "p") is None
    assert cursor.after({"next_token": "t"}, "p") == "t"


def test_walk_pages_follows_cursors_in_order():
    pages = {None: ([Model("a")], "c1"), "c1": ([Model("b")], "c2"), "c2": ([Model("c")], None)}
    seen = []

    def fetch(cursor):
        seen.append(cursor)
        return pages[cursor]

    assert [m.id for m in base.walk_pages(fetch, provider="p")] == ["a", "b", "c"]
    assert seen == [None, "c1", "c2"]


def test_walk_pages_stops_at_the_page_cap(settings):
    settings.GATEWAY_MAX_PAGES = 3
    calls = []

    def fetch(cursor):
        calls.append(cursor)
        return [Model(f"m{len(calls)}")], f"c{len(calls)}"

    with pytest.raises(BadGateway, match="more than 3 pages"):
        base.walk_pages(fetch, provider="p")
    assert len(calls) == 3


def test_an_unknown_capability_is_a_programming_error():
    with pytest.raises(ValueError, match="capability must be one of chat, completions"):
        get_client("openai").endpoint(Target("openai", "k"), "images", "m")


def test_an_unoffered_capability_is_a_400_naming_the_routes_offered():
    with pytest.raises(InvalidRequest) as caught:
        get_client("groq").endpoint(Target("groq", "k"), "embeddings", "m")
    error = caught.value
    assert error.status == 400
    assert error.code == "unsupported_route"
    assert error.provider == "groq"
    assert error.message == ("groq does not offer /v1/embeddings; it offers: /v1/chat/completions.")


def test_unusable_options_are_refused_before_an_endpoint_is_built():
    target = Target("openai", "k", "", {"openai_project": "p\nX-Evil: 1"})
    with pytest.raises(InvalidRequest, match="must be printable ASCII"):
        get_client("openai").endpoint(target, "chat", "gpt-4o")


def test_an_endpoint_is_immutable_and_its_repr_hides_the_credential():
    headers = {"Authorization": "Bearer sk-SECRET"}
    endpoint = Endpoint("https://x.example/v1", headers, {"a": "1"}, secrets=("sk-SECRET", ""))
    headers["Authorization"] = "changed"
    assert endpoint.headers == {"Authorization": "Bearer sk-SECRET"}
    assert endpoint.secrets == ("sk-SECRET",)
    with pytest.raises(TypeError):
        endpoint.headers["X"] = "y"
    with pytest.raises(AttributeError):
        endpoint.url = "https://elsewhere.example"
    assert "SECRET" not in repr(endpoint)
    assert repr(endpoint) == "Endpoint(url='https://x.example/v1', translated=False)"
