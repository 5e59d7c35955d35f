"""The shared OpenAI-compatible client and each provider's spec."""

from types import MappingProxyType

import pytest

from models_api.errors import BadGateway, InvalidRequest, NotFound, UpstreamError
from models_api.providers import get_client
from models_api.providers.base import Model, Target
from models_api.providers.openai_specs import SPECS
from tests.providers import fixtures


def _target(provider, credential="key-0123456789", base_url="", **options):
    return Target(provider, credential, base_url, MappingProxyType(options))


def _list(provider, query=None, **target):
    return get_client(provider).list_models(_target(provider, **target), query or {})


def test_openai_sends_bearer_and_organization_headers(mocked):
    mocked.get("https://api.openai.com/v1/models", json=fixtures.OPENAI_LIST)
    listing = _list("openai", openai_organization="org-1", openai_project="proj_2")
    headers = mocked.calls[0].request.headers
    assert headers["Authorization"] == "Bearer key-0123456789"
    assert headers["OpenAI-Organization"] == "org-1"
    assert headers["OpenAI-Project"] == "proj_2"
    assert [m.id for m in listing.models] == ["gpt-4o", "gpt-4o-mini"]
    assert listing.models[1] == Model("gpt-4o-mini", 1721172741, "system")
    assert listing.paging == {}


def test_openai_with_its_own_base_url_lists_a_vllm_server(mocked):
    mocked.get("http://127.0.0.1:8000/v1/models", json=fixtures.VLLM_LIST)
    [model] = _list("openai", credential="", base_url="http://127.0.0.1:8000/v1/").models
    assert "Authorization" not in mocked.calls[0].request.headers
    assert model.as_dict() == {
        "id": "meta-llama/Llama-3.1-8B-Instruct",
        "object": "model",
        "created": 1755800000,
        "owned_by": "vllm",
        "context_length": 131072,
    }


def test_tgi_reports_the_model_as_its_owner_so_the_namespace_is_used(mocked):
    mocked.get("http://127.0.0.1:8080/v1/models", json=fixtures.TGI_LIST)
    [model] = _list("openai", base_url="http://127.0.0.1:8080/v1").models
    assert (model.owned_by, model.created) == ("meta-llama", 0)


def test_tgi_bad_key_with_an_empty_body_names_the_status(mocked):
    mocked.get("http://127.0.0.1:8080/v1/models", status=401, body="")
    with pytest.raises(UpstreamError) as caught:
        _list("openai", base_url="http://127.0.0.1:8080/v1")
    assert caught.value.status == 401
    assert caught.value.message == (
        "openai rejected the request (HTTP 401): HTTP 401 Unauthorized with no message"
    )


def test_together_reads_a_bare_array_with_organization_and_prices(mocked):
    mocked.get("https://api.together.xyz/v1/models?dedicated=true", json=fixtures.TOGETHER_LIST)
    llama, bge = _list("together-ai", {"dedicated": "true"}).models
    assert llama.owned_by == "Meta"
    assert llama.name == "Meta Llama 3.3 70B Instruct Turbo"
    assert llama.context_length == 131072
    assert llama.input_price == pytest.approx(0.88e-6)
    assert llama.output_price == pytest.approx(0.88e-6)
    assert bge.owned_by == "BAAI"  # no organization: the id's namespace
    assert bge.input_price == pytest.approx(0.02e-6)


def test_together_wrapped_in_data_is_not_its_shape(mocked):
    mocked.get("https://api.together.xyz/v1/models", json={"data": fixtures.TOGETHER_LIST})
    with pytest.raises(BadGateway, match="together-ai answered without a JSON array"):
        _list("together-ai")


def test_groq_context_window_and_completion_limit(mocked):
    mocked.get("https://api.groq.com/openai/v1/models", json=fixtures.GROQ_LIST)
    llama, gpt = _list("groq").models
    assert (llama.context_length, llama.max_output_tokens) == (131072, 32768)
    assert gpt.as_dict()["owned_by"] == "OpenAI"


def test_mistral_capabilities_and_context(mocked):
    mocked.get("https://api.mistral.ai/v1/models", json=fixtures.MISTRAL_LIST)
    medium, latest = _list("mistral-ai").models
    assert medium.capabilities == ("completion_chat", "function_calling", "vision")
    assert latest.capabilities == ("completion_chat",)
    assert medium.context_length == 131072
    assert latest.name == "mistral-medium-2505"


def test_mistral_detail_error_shape(mocked):
    mocked.get("https://api.mistral.ai/v1/models", status=401, json={"detail": "Unauthorized"})
    with pytest.raises(UpstreamError, match=r"mistral-ai rejected the request \(HTTP 401\)"):
        _list("mistral-ai")


def test_deepseek_has_no_created(mocked):
    mocked.get("https://api.deepseek.com/models", json=fixtures.DEEPSEEK_LIST)
    assert [m.created for m in _list("deepseek").models] == [0, 0]


def test_openrouter_needs_no_key_and_keeps_metadata(mocked):
    mocked.get("https://openrouter.ai/api/v1/models", json=fixtures.OPENROUTER_LIST)
    gpt, haiku = _list("openrouter", credential="").models
    assert "Authorization" not in mocked.calls[0].request.headers
    assert gpt.as_dict() == {
        "id": "openai/gpt-4o",
        "object": "model",
        "created": 1715367049,
        "owned_by": "openai",
        "name": "OpenAI: GPT-4o",
        "context_length": 128000,
        "max_output_tokens": 16384,
        "input_price": 0.0000025,
        "output_price": 0.00001,
        "input_modalities": ["text", "image"],
        "output_modalities": ["text"],
    }
    assert (haiku.created, haiku.owned_by) == (1730678400, "anthropic")


def test_fireworks_support_flags_become_capabilities(mocked):
    mocked.get("https://api.fireworks.ai/inference/v1/models", json=fixtures.FIREWORKS_LIST)
    [model] = _list("fireworks-ai").models
    assert model.capabilities == ("chat", "tools")
    assert model.context_length == 131072


def test_huggingface_router_context_is_the_largest_providers(mocked):
    mocked.get("https://router.huggingface.co/v1/models", json=fixtures.HF_ROUTER_LIST)
    [model] = _list("huggingface").models
    assert (model.context_length, model.owned_by) == (40960, "Qwen")
    assert model.input_modalities == ("text",)


def test_ollama_defaults_to_the_local_server():
    spec = next(s for s in SPECS if s.slug == "ollama")
    assert spec.base_url == "http://localhost:11434/v1"


def test_item_without_an_id_is_a_bad_gateway(mocked):
    mocked.get("https://api.x.ai/v1/models", json={"data": [{"object": "model"}]})
    with pytest.raises(BadGateway, match="x-ai listed a model without its 'id' field"):
        _list("x-ai")


def test_retrieve_uses_the_providers_endpoint(mocked):
    mocked.get("https://api.openai.com/v1/models/gpt-4o", json=fixtures.OPENAI_LIST["data"][0])
    model = get_client("openai").retrieve_model(_target("openai"), "gpt-4o")
    assert model == Model("gpt-4o", 1715367049, "system")


def test_retrieve_keeps_slashes_and_encodes_the_rest(mocked):
    url = "https://api.groq.com/openai/v1/models/openai/gpt-oss-120b%3Afree"
    mocked.get(url, json={"id": "openai/gpt-oss-120b:free", "object": "model", "created": 1})
    model = get_client("groq").retrieve_model(_target("groq"), "openai/gpt-oss-120b:free")
    assert model.id == "openai/gpt-oss-120b:free"
    assert mocked.calls[0].request.url == url


def test_retrieve_unknown_model_is_not_found(mocked):
    mocked.get(
        "https://api.openai.com/v1/models/gpt-9",
        status=404,
        json={"error": {"message": "The model 'gpt-9' does not exist", "code": "model_not_found"}},
    )
    with pytest.raises(NotFound) as caught:
        get_client("openai").retrieve_model(_target("openai"), "gpt-9")
    assert caught.value.status == 404
    assert caught.value.provider == "openai"


@pytest.mark.parametrize("model_id", ["../files", "a/../../b", "/abs", "x//y"])
def test_retrieve_never_leaves_the_models_path(mocked, model_id):
    with pytest.raises(NotFound):
        get_client("openai").retrieve_model(_target("openai"), model_id)
    assert len(mocked.calls) == 0


def test_retrieve_without_an_endpoint_searches_the_list(mocked):
    mocked.get("https://api.deepseek.com/models", json=fixtures.DEEPSEEK_LIST)
    mocked.get("https://api.deepseek.com/models", json=fixtures.DEEPSEEK_LIST)
    client = get_client("deepseek")
    assert client.retrieve_model(_target("deepseek"), "deepseek-reasoner").id == "deepseek-reasoner"
    with pytest.raises(NotFound):
        client.retrieve_model(_target("deepseek"), "deepseek-coder")
    assert len(mocked.calls) == 2


def test_every_spec_declares_its_docs():
    assert all(spec.docs.startswith("https://") for spec in SPECS)
    assert len({spec.slug for spec in SPECS}) == len(SPECS)


@pytest.mark.parametrize(
    ("item", "created", "owned_by"),
    [
        (
            {"id": "gpt-4o", "object": "model", "created": 1715367049, "owned_by": "system"},
            1715367049,
            "system",
        ),
        (
            {"id": "org/model", "object": "model", "created": "2024-05-10T18:50:49Z"},
            1715367049,
            "org",
        ),
        ({"id": "tgi-model", "owned_by": "tgi-model"}, 0, "openai"),
        ({"id": "no-created"}, 0, "openai"),
    ],
)
def test_plain_openai_item_reads_the_same_as_with_metadata_fields(mocked, item, created, owned_by):
    """An item with only OpenAI's fields takes a shorter path; any other key takes the full
    one. Both must give the same model."""
    url = "https://api.openai.com/v1/models"
    mocked.get(url, json={"object": "list", "data": [item, {**item, "unknown_field": 1}]})
    plain, searched = _list("openai").models
    assert plain == searched
    assert (plain.id, plain.created, plain.owned_by) == (item["id"], created, owned_by)


ALL = ("chat", "completions", "embeddings")
# Each provider's calls, from its own docs (see the comments in openai_specs.py).
OFFERS = {
    "openai": ("https://api.openai.com/v1", ALL),
    "groq": ("https://api.groq.com/openai/v1", ("chat",)),
    "together-ai": ("https://api.together.xyz/v1", ALL),
    "mistral-ai": ("https://api.mistral.ai/v1", ("chat", "embeddings")),
    "deepseek": ("https://api.deepseek.com", ("chat", "completions")),
    "x-ai": ("https://api.x.ai/v1", ALL),
    "fireworks-ai": ("https://api.fireworks.ai/inference/v1", ALL),
    "openrouter": ("https://openrouter.ai/api/v1", ALL),
    "perplexity-ai": ("https://api.perplexity.ai", ("chat", "embeddings")),
    "cerebras": ("https://api.cerebras.ai/v1", ("chat", "completions")),
    "deepinfra": ("https://api.deepinfra.com/v1/openai", ALL),
    "huggingface": ("https://router.huggingface.co/v1", ("chat",)),
    "ollama": ("http://localhost:11434/v1", ALL),
}
PATHS = {"chat": "/chat/completions", "completions": "/completions", "embeddings": "/embeddings"}
ROUTES = {name: "/v1" + path for name, path in PATHS.items()}
ODD_PATHS = {
    ("deepseek", "completions"): "https://api.deepseek.com/beta/completions",
    ("perplexity-ai", "embeddings"): "https://api.perplexity.ai/v1/embeddings",
}


def test_every_spec_declares_its_calls():
    assert set(OFFERS) == {spec.slug for spec in SPECS}


@pytest.mark.parametrize("provider", sorted(OFFERS))
@pytest.mark.parametrize("capability", ALL)
@pytest.mark.parametrize("stream", [False, True])
def test_endpoints_forward_openais_shape_to_the_providers_path(provider, capability, stream):
    base_url, offered = OFFERS[provider]
    client = get_client(provider)
    if capability not in offered:
        with pytest.raises(InvalidRequest) as caught:
            client.endpoint(_target(provider), capability, "m", stream=stream)
        offers = ", ".join(ROUTES[name] for name in ALL if name in offered)
        assert caught.value.status == 400
        assert caught.value.message == (
            f"{provider} does not offer {ROUTES[capability]}; it offers: {offers}."
        )
        return
    endpoint = client.endpoint(_target(provider), capability, "org/some-model:1", stream=stream)
    expected = ODD_PATHS.get((provider, capability), base_url + PATHS[capability])
    assert endpoint.url == expected  # the model goes in the body, never in the URL
    assert endpoint.headers == {"Authorization": "Bearer key-0123456789"}
    assert endpoint.params == {}
    assert endpoint.auth is None
    assert endpoint.translated is False
    assert endpoint.secrets == ("key-0123456789",)


def test_openai_endpoint_carries_organization_and_project():
    target = _target("openai", openai_organization="org-1", openai_project="proj_2")
    endpoint = get_client("openai").endpoint(target, "embeddings", "text-embedding-3-small")
    assert endpoint.url == "https://api.openai.com/v1/embeddings"
    assert endpoint.headers == {
        "Authorization": "Bearer key-0123456789",
        "OpenAI-Organization": "org-1",
        "OpenAI-Project": "proj_2",
    }


@pytest.mark.parametrize(
    "base_url",
    ["http://127.0.0.1:8000/v1", "http://127.0.0.1:8080/v1/", "http://127.0.0.1:1234/v1"],
)  # vLLM, TGI, LM Studio
def test_openai_with_a_base_url_calls_that_server_without_a_key(base_url):
    target = _target("openai", credential="", base_url=base_url)
    client = get_client("openai")
    for capability, path in PATHS.items():
        endpoint = client.endpoint(target, capability, "meta-llama/Llama-3.1-8B-Instruct")
        assert endpoint.url == base_url.rstrip("/") + path
        assert endpoint.headers == {}
        assert endpoint.secrets == ()


def test_the_unoffered_message_names_every_route_offered():
    with pytest.raises(InvalidRequest) as caught:
        get_client("mistral-ai").endpoint(_target("mistral-ai"), "completions", "m")
    assert caught.value.message == (
        "mistral-ai does not offer /v1/completions; "
        "it offers: /v1/chat/completions, /v1/embeddings."
    )
