"""One case per registered provider for the contract test: call, auth, answers, bad key."""

from dataclasses import dataclass, field
from types import MappingProxyType

from models_api.providers.base import Target
from tests.providers.fixtures import (
    ANTHROPIC_PAGE,
    AZURE_LIST,
    BEDROCK_LIST,
    CEREBRAS_LIST,
    COHERE_PAGE,
    DEEPINFRA_LIST,
    DEEPSEEK_LIST,
    FIREWORKS_LIST,
    GOOGLE_PAGE,
    GROQ_LIST,
    HF_ROUTER_LIST,
    MISTRAL_LIST,
    OLLAMA_LIST,
    OPENAI_LIST,
    OPENROUTER_LIST,
    PERPLEXITY_LIST,
    TOGETHER_LIST,
    XAI_LIST,
)


@dataclass(frozen=True)
class Case:
    """One provider's list call: where it goes, how it authenticates, what it answers."""

    target: Target
    url: str  # the list URL, without its query
    auth: tuple[str, str]  # a header the call must carry, and how its value starts
    body: object
    first: dict  # the first model, normalised
    bad_status: int
    bad_body: object  # the provider's bad-key answer (str: sent as text)
    bad_message: str  # the part of its message the caller must see
    bad_headers: dict = field(default_factory=dict)
    chat: tuple[str, str] = ("", "")  # a model id, and the chat endpoint's URL for it


def _target(provider, credential, base_url="", **options):
    return Target(provider, credential, base_url, MappingProxyType(options))


def _openai_error(message, code="invalid_api_key", kind="invalid_request_error"):
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _bearer(case_target):
    return ("Authorization", f"Bearer {case_target.credential}")


def _case(slug, url, body, first, bad_status, bad_body, bad_message, base_url="", **kw):
    target = _target(slug, f"{slug}-KEY-0123456789abcdef", base_url)
    kw.setdefault("chat", ("some-model", url.removesuffix("/models") + "/chat/completions"))
    return Case(target, url, _bearer(target), body, first, bad_status, bad_body, bad_message, **kw)


def _first(model_id, created, owned_by):
    return {"id": model_id, "object": "model", "created": created, "owned_by": owned_by}


_anthropic = _target("anthropic", "sk-ant-api03-SECRET0123456789")
_google = _target("google", "AIzaSySECRET0123456789")
_azure = _target("azure-openai", "azure0123456789SECRETabcdef", azure_resource="contoso")
_bedrock = _target(
    "bedrock",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY",
    aws_region="us-east-1",
    aws_access_key_id="AKIDEXAMPLE",
)

CASES = {
    "openai": _case(
        "openai",
        "https://api.openai.com/v1/models",
        OPENAI_LIST,
        _first("gpt-4o", 1715367049, "system"),
        401,
        _openai_error(
            "Incorrect API key provided: sk-abc***. You can find your API key at "
            "https://platform.openai.com/account/api-keys."
        ),
        "Incorrect API key provided: sk-abc***",
    ),
    "groq": _case(
        "groq",
        "https://api.groq.com/openai/v1/models",
        GROQ_LIST,
        _first("llama-3.3-70b-versatile", 1733447754, "Meta"),
        401,
        {
            "error": {
                "message": "Invalid API Key",
                "type": "invalid_request_error",
                "code": "invalid_api_key",
            }
        },
        "Invalid API Key",
    ),
    "together-ai": _case(
        "together-ai",
        "https://api.together.xyz/v1/models",
        TOGETHER_LIST,
        _first("meta-llama/Llama-3.3-70B-Instruct-Turbo", 1733443200, "Meta"),
        401,
        _openai_error(
            "Invalid API key provided. You can find your API key at "
            "https://api.together.xyz/settings/api-keys."
        ),
        "Invalid API key provided.",
    ),
    "mistral-ai": _case(
        "mistral-ai",
        "https://api.mistral.ai/v1/models",
        MISTRAL_LIST,
        _first("mistral-medium-2505", 1754042468, "mistralai"),
        401,
        {"message": "Unauthorized", "request_id": "c61f2f15"},
        "Unauthorized",
    ),
    "deepseek": _case(
        "deepseek",
        "https://api.deepseek.com/models",
        DEEPSEEK_LIST,
        _first("deepseek-chat", 0, "deepseek"),
        401,
        _openai_error(
            "Authentication Fails, Your api key: ****cdef is invalid",
            code="invalid_request_error",
            kind="authentication_error",
        ),
        "Authentication Fails, Your api key: ****cdef is invalid",
    ),
    "x-ai": _case(
        "x-ai",
        "https://api.x.ai/v1/models",
        XAI_LIST,
        _first("grok-4-0709", 1752019200, "xai"),
        400,
        {
            "code": "Client specified an invalid argument",
            "error": "Incorrect API key provided: xa***ef. You can obtain an API key from "
            "https://console.x.ai.",
        },
        "Incorrect API key provided: xa***ef.",
    ),
    "fireworks-ai": _case(
        "fireworks-ai",
        "https://api.fireworks.ai/inference/v1/models",
        FIREWORKS_LIST,
        _first("accounts/fireworks/models/llama-v3p1-8b-instruct", 1721692808, "fireworks"),
        401,
        {
            "error": {
                "message": "The API key you provided is invalid.",
                "code": "UNAUTHORIZED",
                "type": "error",
            }
        },
        "The API key you provided is invalid.",
    ),
    "openrouter": _case(
        "openrouter",
        "https://openrouter.ai/api/v1/models",
        OPENROUTER_LIST,
        _first("openai/gpt-4o", 1715367049, "openai"),
        401,
        {"error": {"message": "User not found.", "code": 401}},
        "User not found.",
    ),
    "perplexity-ai": _case(
        "perplexity-ai",
        "https://api.perplexity.ai/v1/models",
        PERPLEXITY_LIST,
        _first("anthropic/claude-sonnet-4-6", 0, "anthropic"),
        401,
        # The bad-key body is unverified; an OpenAI-style error is assumed.
        _openai_error("Invalid API key"),
        "Invalid API key",
        chat=("sonar-pro", "https://api.perplexity.ai/chat/completions"),
    ),
    "cerebras": _case(
        "cerebras",
        "https://api.cerebras.ai/v1/models",
        CEREBRAS_LIST,
        _first("llama3.1-8b", 1721692800, "Meta"),
        401,
        _openai_error("Wrong API Key", code="wrong_api_key"),
        "Wrong API Key",
    ),
    "deepinfra": _case(
        "deepinfra",
        "https://api.deepinfra.com/v1/openai/models",
        DEEPINFRA_LIST,
        _first("meta-llama/Meta-Llama-3.1-8B-Instruct", 1721692800, "deepinfra"),
        401,
        {"detail": {"error": "Invalid token"}},
        "Invalid token",
    ),
    "huggingface": _case(
        "huggingface",
        "https://router.huggingface.co/v1/models",
        HF_ROUTER_LIST,
        _first("Qwen/Qwen3-8B", 0, "Qwen"),
        401,
        {"error": "Invalid credentials in Authorization header"},
        "Invalid credentials in Authorization header",
    ),
    "ollama": _case(
        "ollama",
        "http://127.0.0.1:11434/v1/models",
        OLLAMA_LIST,
        _first("llama3.2:latest", 1746405464, "library"),
        401,
        "unauthorized",
        "unauthorized",
        base_url="http://127.0.0.1:11434/v1",
    ),
    "anthropic": Case(
        _anthropic,
        "https://api.anthropic.com/v1/models",
        ("x-api-key", _anthropic.credential),
        ANTHROPIC_PAGE,
        _first("claude-sonnet-4-20250514", 1747872000, "anthropic"),
        401,
        {
            "type": "error",
            "error": {"type": "authentication_error", "message": "invalid x-api-key"},
            "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy",
        },
        "invalid x-api-key",
        chat=("claude-sonnet-4-20250514", "https://api.anthropic.com/v1/messages"),
    ),
    "google": Case(
        _google,
        "https://generativelanguage.googleapis.com/v1beta/models",
        ("x-goog-api-key", _google.credential),
        GOOGLE_PAGE,
        _first("gemini-2.0-flash", 0, "google"),
        400,
        {
            "error": {
                "code": 400,
                "message": "API key not valid. Please pass a valid API key.",
                "status": "INVALID_ARGUMENT",
                "details": [
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com",
                    }
                ],
            }
        },
        "API key not valid. Please pass a valid API key.",
        chat=(
            "gemini-2.0-flash",
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent",
        ),
    ),
    "azure-openai": Case(
        _azure,
        "https://contoso.openai.azure.com/openai/models",
        ("api-key", _azure.credential),
        AZURE_LIST,
        _first("gpt-4o-2024-08-06", 1722902400, "azure-openai"),
        401,
        {
            "error": {
                "code": "401",
                "message": "Access denied due to invalid subscription key or "
                "wrong API endpoint. Make sure to provide a valid key for an active "
                "subscription and use a correct regional API endpoint for your resource.",
            }
        },
        "Access denied due to invalid subscription key or wrong API endpoint.",
        chat=(
            "gpt-4o",
            "https://contoso.openai.azure.com/openai/deployments/gpt-4o/chat/completions",
        ),
    ),
    "cohere": _case(
        "cohere",
        "https://api.cohere.com/v1/models",
        COHERE_PAGE,
        _first("command-a-03-2025", 0, "cohere"),
        401,
        {"message": "invalid api token"},
        "invalid api token",
        chat=("command-a-03-2025", "https://api.cohere.com/v2/chat"),
    ),
    "bedrock": Case(
        _bedrock,
        "https://bedrock.us-east-1.amazonaws.com/foundation-models",
        ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"),
        BEDROCK_LIST,
        _first("anthropic.claude-3-5-sonnet-20240620-v1:0", 0, "Anthropic"),
        403,
        {"message": "The security token included in the request is invalid."},
        "UnrecognizedClientException: The security token included in the request is invalid.",
        bad_headers={"x-amzn-ErrorType": "UnrecognizedClientException:http://internal.amazon.com/"},
        chat=(
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            "https://bedrock-runtime.us-east-1.amazonaws.com"
            "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse",
        ),
    ),
}
