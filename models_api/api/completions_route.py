"""POST /v1/completions: OpenAI's legacy text completions, where the provider offers them."""

from drf_spectacular.utils import extend_schema_view

from models_api.api.call_schema import completions_schema
from models_api.api.calls import ModelCallView


@extend_schema_view(post=completions_schema)
class CompletionsView(ModelCallView):
    capability = "completions"
