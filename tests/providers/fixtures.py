"""Provider answers shaped as in /work/shared/reference/providers.md (illustrative ids)."""

OPENAI_LIST = {
    "object": "list",
    "data": [
        {"id": "gpt-4o", "object": "model", "created": 1715367049, "owned_by": "system"},
        {"id": "gpt-4o-mini", "object": "model", "created": 1721172741, "owned_by": "system"},
    ],
}
GROQ_LIST = {
    "object": "list",
    "data": [
        {
            "id": "llama-3.3-70b-versatile",
            "object": "model",
            "created": 1733447754,
            "owned_by": "Meta",
            "active": True,
            "context_window": 131072,
            "public_apps": None,
            "max_completion_tokens": 32768,
        },
        {
            "id": "openai/gpt-oss-120b",
            "object": "model",
            "created": 1754408224,
            "owned_by": "OpenAI",
            "active": True,
            "context_window": 131072,
            "public_apps": None,
            "max_completion_tokens": 65536,
        },
    ],
}
TOGETHER_LIST = [
    {
        "id": "meta-llama/Llama-3.3-70B-Instruct-Turbo",
        "object": "model",
        "created": 1733443200,
        "type": "chat",
        "display_name": "Meta Llama 3.3 70B Instruct Turbo",
        "organization": "Meta",
        "license": "llama3.3",
        "context_length": 131072,
        "pricing": {"hourly": 0, "input": 0.88, "output": 0.88, "base": 0, "finetune": 0},
    },
    {
        "id": "BAAI/bge-large-en-v1.5",
        "object": "model",
        "created": 1700000000,
        "type": "embedding",
        "display_name": "BAAI-Bge-Large-1.5",
        "context_length": 512,
        "pricing": {"hourly": 0, "input": 0.02, "output": 0.02, "base": 0, "finetune": 0},
    },
]
MISTRAL_LIST = {
    "object": "list",
    "data": [
        {
            "id": "mistral-medium-2505",
            "object": "model",
            "created": 1754042468,
            "owned_by": "mistralai",
            "capabilities": {"completion_chat": True, "function_calling": True, "vision": True},
            "name": "mistral-medium-2505",
            "max_context_length": 131072,
            "aliases": ["mistral-medium-latest"],
            "deprecation": None,
            "type": "base",
        },
        {
            "id": "mistral-medium-latest",
            "object": "model",
            "created": 1754042468,
            "owned_by": "mistralai",
            "capabilities": {"completion_chat": True, "function_calling": False},
            "name": "mistral-medium-2505",
            "max_context_length": 131072,
            "type": "base",
        },
    ],
}
DEEPSEEK_LIST = {
    "object": "list",
    "data": [
        {"id": "deepseek-chat", "object": "model", "owned_by": "deepseek"},
        {"id": "deepseek-reasoner", "object": "model", "owned_by": "deepseek"},
    ],
}
XAI_LIST = {
    "data": [
        {"id": "grok-4-0709", "created": 1752019200, "object": "model", "owned_by": "xai"},
        {"id": "grok-3-mini", "created": 1743724800, "object": "model", "owned_by": "xai"},
    ],
    "object": "list",
}
FIREWORKS_LIST = {
    "object": "list",
    "data": [
        {
            "id": "accounts/fireworks/models/llama-v3p1-8b-instruct",
            "object": "model",
            "owned_by": "fireworks",
            "created": 1721692808,
            "kind": "HF_BASE_MODEL",
            "supports_chat": True,
            "supports_image_input": False,
            "supports_tools": True,
            "context_length": 131072,
        }
    ],
}
OPENROUTER_LIST = {
    "data": [
        {
            "id": "openai/gpt-4o",
            "canonical_slug": "openai/gpt-4o",
            "name": "OpenAI: GPT-4o",
            "created": 1715367049,
            "context_length": 128000,
            "architecture": {
                "input_modalities": ["text", "image"],
                "output_modalities": ["text"],
                "tokenizer": "GPT",
            },
            "pricing": {"prompt": "0.0000025", "completion": "0.00001"},
            "top_provider": {
                "context_length": 128000,
                "max_completion_tokens": 16384,
                "is_moderated": True,
            },
            "per_request_limits": None,
            "supported_parameters": ["tools", "temperature"],
        },
        {
            "id": "anthropic/claude-3.5-haiku",
            "canonical_slug": "anthropic/claude-3-5-haiku",
            "name": "Anthropic: Claude 3.5 Haiku",
            "created": 1730678400.0,
            "context_length": 200000,
            "pricing": {"prompt": "0.0000008", "completion": "0.000004"},
            "per_request_limits": None,
            "supported_parameters": ["tools"],
        },
    ]
}
PERPLEXITY_LIST = {
    "object": "list",
    "data": [
        {
            "id": "anthropic/claude-sonnet-4-6",
            "object": "model",
            "created": 0,
            "owned_by": "anthropic",
        }
    ],
}
# Cerebras and DeepInfra are not in providers.md: their OpenAI-compatible list shape is assumed.
CEREBRAS_LIST = {
    "object": "list",
    "data": [{"id": "llama3.1-8b", "object": "model", "created": 1721692800, "owned_by": "Meta"}],
}
DEEPINFRA_LIST = {
    "object": "list",
    "data": [
        {
            "id": "meta-llama/Meta-Llama-3.1-8B-Instruct",
            "object": "model",
            "created": 1721692800,
            "owned_by": "deepinfra",
        }
    ],
}
HF_ROUTER_LIST = {
    "object": "list",
    "data": [
        {
            "id": "Qwen/Qwen3-8B",
            "object": "model",
            "owned_by": "Qwen",
            "providers": [
                {"provider": "nscale", "status": "live", "context_length": 32768},
                {"provider": "featherless-ai", "status": "live", "context_length": 40960},
            ],
            "architecture": {"input_modalities": ["text"], "output_modalities": ["text"]},
        }
    ],
}
TGI_LIST = {
    "object": "list",
    "data": [
        {
            "id": "meta-llama/Llama-3.1-8B-Instruct",
            "object": "model",
            "created": 0,
            "owned_by": "meta-llama/Llama-3.1-8B-Instruct",
        }
    ],
}
VLLM_LIST = {
    "object": "list",
    "data": [
        {
            "id": "meta-llama/Llama-3.1-8B-Instruct",
            "object": "model",
            "created": 1755800000,
            "owned_by": "vllm",
            "root": "meta-llama/Llama-3.1-8B-Instruct",
            "parent": None,
            "max_model_len": 131072,
            "permission": [],
        }
    ],
}
OLLAMA_LIST = {
    "object": "list",
    "data": [
        {"id": "llama3.2:latest", "object": "model", "created": 1746405464, "owned_by": "library"},
        {
            "id": "deepseek-r1:latest",
            "object": "model",
            "created": 1746889608,
            "owned_by": "library",
        },
    ],
}
ANTHROPIC_PAGE = {
    "data": [
        {
            "type": "model",
            "id": "claude-sonnet-4-20250514",
            "display_name": "Claude Sonnet 4",
            "created_at": "2025-05-22T00:00:00Z",
        },
        {
            "type": "model",
            "id": "claude-3-5-haiku-20241022",
            "display_name": "Claude Haiku 3.5",
            "created_at": "2024-10-22T00:00:00Z",
        },
    ],
    "has_more": False,
    "first_id": "claude-sonnet-4-20250514",
    "last_id": "claude-3-5-haiku-20241022",
}
GOOGLE_PAGE = {
    "models": [
        {
            "name": "models/gemini-2.0-flash",
            "version": "2.0",
            "displayName": "Gemini 2.0 Flash",
            "inputTokenLimit": 1048576,
            "outputTokenLimit": 8192,
            "supportedGenerationMethods": ["generateContent", "countTokens"],
        },
        {
            "name": "models/text-embedding-004",
            "version": "004",
            "displayName": "Text Embedding 004",
            "inputTokenLimit": 2048,
            "outputTokenLimit": 1,
            "supportedGenerationMethods": ["embedContent"],
        },
    ]
}
AZURE_LIST = {
    "object": "list",
    "data": [
        {
            "id": "gpt-4o-2024-08-06",
            "object": "model",
            "created_at": 1722902400,
            "status": "succeeded",
            "lifecycle_status": "generally-available",
            "capabilities": {
                "fine_tune": False,
                "inference": True,
                "completion": False,
                "chat_completion": True,
                "embeddings": False,
            },
            "deprecation": {"inference": 1759276800},
        },
        {
            "id": "text-embedding-3-small",
            "object": "model",
            "created_at": 1706140800,
            "status": "succeeded",
            "lifecycle_status": "generally-available",
            "capabilities": {
                "fine_tune": False,
                "inference": True,
                "completion": False,
                "chat_completion": False,
                "embeddings": True,
            },
            "deprecation": {"inference": 1769904000},
        },
    ],
}
COHERE_PAGE = {
    "models": [
        {
            "name": "command-a-03-2025",
            "is_deprecated": False,
            "endpoints": ["chat"],
            "finetuned": False,
            "context_length": 256000,
            "default_endpoints": [],
            "features": ["tools", "json_mode"],
        },
        {
            "name": "embed-v4.0",
            "is_deprecated": False,
            "endpoints": ["embed"],
            "finetuned": False,
            "context_length": 128000,
            "default_endpoints": ["embed"],
            "features": None,
        },
    ]
}
BEDROCK_LIST = {
    "modelSummaries": [
        {
            "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/"
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            "modelId": "anthropic.claude-3-5-sonnet-20240620-v1:0",
            "modelName": "Claude 3.5 Sonnet",
            "providerName": "Anthropic",
            "inputModalities": ["TEXT", "IMAGE"],
            "outputModalities": ["TEXT"],
            "responseStreamingSupported": True,
            "customizationsSupported": [],
            "inferenceTypesSupported": ["ON_DEMAND"],
            "modelLifecycle": {"status": "ACTIVE"},
        },
        {
            "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0",
            "modelId": "amazon.nova-pro-v1:0",
            "modelName": "Nova Pro",
            "providerName": "Amazon",
            "inputModalities": ["TEXT", "IMAGE", "VIDEO"],
            "outputModalities": ["TEXT"],
            "responseStreamingSupported": True,
            "customizationsSupported": ["FINE_TUNING"],
            "inferenceTypesSupported": ["ON_DEMAND", "PROVISIONED"],
            "modelLifecycle": {"status": "ACTIVE"},
        },
    ]
}
