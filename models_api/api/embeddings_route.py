"""POST /v1/embeddings: OpenAI's embeddings, where the provider offers them."""

from drf_spectacular.utils import extend_schema_view

from models_api.api.call_schema import embeddings_schema
from models_api.api.calls import ModelCallView


@extend_schema_view(post=embeddings_schema)
class EmbeddingsView(ModelCallView):
    capability = "embeddings"
