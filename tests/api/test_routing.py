"""Reading the x-portkey-* headers into a Route."""

import json

import pytest
from django.test import RequestFactory

from models_api.api.routing import route_read
from models_api.errors import InvalidRequest

rf = RequestFactory()


def read(**headers):
    return route_read(rf.get("/v1/models", headers=headers))


def error_for(**headers) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as info:
        read(**headers)
    assert info.value.status == 400
    return info.value


def test_no_headers_is_the_catalog_route():
    route = read()
    assert route.provider == "" and route.virtual_key == "" and not route.names_provider


def test_provider_with_bearer_credential():
    route = read(x_portkey_provider="anthropic", authorization="Bearer sk-ant-123")
    assert (route.provider, route.credential) == ("anthropic", "sk-ant-123")


def test_at_slug_names_a_virtual_key():
    route = read(x_portkey_provider="@openai-prod")
    assert (route.provider, route.virtual_key) == ("", "openai-prod")


def test_virtual_key_header():
    assert read(x_portkey_virtual_key="my-vk").virtual_key == "my-vk"


def test_portkey_placeholder_bearer_is_no_credential():
    assert read(x_portkey_provider="openai", authorization="Bearer OPENAI_API_KEY").credential == ""


def test_gateway_key_is_never_a_provider_credential():
    route = read(x_portkey_provider="openai", authorization="Bearer gwk_abcdef")
    assert route.credential == ""
    assert route.gateway_key == "gwk_abcdef"


def test_unknown_provider_lists_valid_names():
    error = error_for(x_portkey_provider="nope")
    assert "Unknown provider 'nope'" in error.message
    assert "openai" in error.message and "anthropic" in error.message
    assert error.param == "x-portkey-provider"


def test_config_json_supplies_provider_and_key():
    config = json.dumps({"provider": "groq", "api_key": "gsk-1"})
    route = read(x_portkey_config=config)
    assert (route.provider, route.credential) == ("groq", "gsk-1")


def test_config_virtual_key():
    assert read(x_portkey_config='{"virtual_key": "vk-1"}').virtual_key == "vk-1"


@pytest.mark.parametrize(
    "config, fragment",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ("pc-saved-123", "saved config"),
        ('{"provider": 5}', "'provider' must be a string"),
    ],
)
def test_bad_config_is_400(config, fragment):
    error = error_for(x_portkey_config=config)
    assert fragment in error.message
    assert error.param == "x-portkey-config"


def test_provider_header_and_config_disagree():
    error = error_for(x_portkey_provider="openai", x_portkey_config='{"provider": "groq"}')
    assert "disagree" in error.message


def test_at_slug_and_virtual_key_header_disagree():
    error = error_for(x_portkey_provider="@a", x_portkey_virtual_key="b")
    assert error.param == "x-portkey-virtual-key"


def test_bad_virtual_key_slug():
    assert "letters, digits" in error_for(x_portkey_virtual_key="../etc").message


def test_trusted_custom_host(settings):
    settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = ["llm.internal.example", "127.0.0.1:9000"]
    route = read(
        x_portkey_provider="openai", x_portkey_custom_host="https://llm.internal.example/v1/"
    )
    assert route.custom_host == "https://llm.internal.example/v1"
    assert (
        read(x_portkey_custom_host="http://127.0.0.1:9000").custom_host == "http://127.0.0.1:9000"
    )


@pytest.mark.parametrize(
    "host",
    [
        "http://localhost:8000",
        "http://127.0.0.1:8000",
        "http://127.1/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data",
        "http://metadata.google.internal/",
        "http://user:pass@llm.internal.example/",
        "ftp://llm.internal.example/",
        "http://127.0.0.1:9001",
        "not a url",
        "http://[zz/",
    ],
)
def test_untrusted_custom_hosts_are_400(settings, host):
    settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = ["llm.internal.example", "127.0.0.1:9000"]
    error = error_for(x_portkey_custom_host=host)
    assert error.param == "x-portkey-custom-host"


def test_config_custom_host_is_checked_too(settings):
    settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = []
    error = error_for(x_portkey_config='{"provider": "openai", "custom_host": "http://10.0.0.1"}')
    assert "not trusted" in error.message


def test_trace_id_and_force_refresh():
    route = read(x_portkey_trace_id="abc-123", x_portkey_cache_force_refresh="true")
    assert route.trace_id == "abc-123" and route.force_refresh is True


@pytest.mark.parametrize(
    "headers, param",
    [
        ({"x_portkey_trace_id": "has space"}, "x-portkey-trace-id"),
        ({"x_portkey_cache_force_refresh": "yes"}, "x-portkey-cache-force-refresh"),
        ({"x_portkey_provider": "openai\x01"}, "x-portkey-provider"),
        ({"x_portkey_provider": "öpenai"}, "x-portkey-provider"),
    ],
)
def test_malformed_headers_name_the_header(headers, param):
    assert error_for(**headers).param == param


def test_very_long_header_is_400():
    assert "too long" in error_for(x_portkey_config="{" + "x" * 9000).message


def test_provider_option_headers():
    route = read(
        x_portkey_provider="azure-openai",
        x_portkey_azure_resource_name="res1",
        x_portkey_azure_api_version="2024-10-21",
        x_portkey_aws_region="eu-west-1",
        x_portkey_anthropic_version="2023-06-01",
        x_portkey_openai_organization="org-1",
        x_portkey_openai_project="proj-1",
    )
    assert dict(route.options) == {
        "azure_resource": "res1",
        "api_version": "2024-10-21",
        "aws_region": "eu-west-1",
        "anthropic_version": "2023-06-01",
        "openai_organization": "org-1",
        "openai_project": "proj-1",
    }


def test_aws_secret_header_is_the_credential():
    route = read(x_portkey_provider="bedrock", x_portkey_aws_secret_access_key="aws-secret")
    assert route.credential == "aws-secret"
    assert "aws-secret" not in repr(route)
