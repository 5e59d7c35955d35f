"""AWS Bedrock: foundation models and the runtime, by SigV4 (botocore) or a Bedrock API key."""

import re
from collections.abc import Mapping

from models_api.providers import fields
from models_api.providers.base import Call, Endpoint, Model, ProviderClient, Target

REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
SIGNED_HEADERS = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")


class SigV4Signer:
    """A requests auth callable: signs each prepared request, so every retry is signed anew."""

    def __init__(self, key_id: str, secret: str, token: str | None, region: str):
        # botocore is imported on first use: it is large, and only Bedrock keys need it.
        from botocore.credentials import Credentials

        self.credentials = Credentials(key_id, secret, token)
        self.region = region

    def __call__(self, request):
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        signed = AWSRequest(method=request.method, url=request.url, data=request.body or b"")
        # Both the control plane and the runtime sign as "bedrock", not "bedrock-runtime".
        SigV4Auth(self.credentials, "bedrock", self.region).add_auth(signed)
        for name in SIGNED_HEADERS:
            if name in signed.headers:
                request.headers[name] = signed.headers[name]
        return request


class BedrockClient(ProviderClient):
    slug = "bedrock"
    base_url = "https://bedrock.{aws_region}.amazonaws.com"
    call_url = "https://bedrock-runtime.{aws_region}.amazonaws.com"
    # https://docs.aws.amazon.com/bedrock/latest/APIReference/API_ListFoundationModels.html;
    # filters such as byProvider pass through, and the API has no paging.
    list_path = "/foundation-models"
    list_field = "modelSummaries"
    # https://docs.aws.amazon.com/bedrock/latest/APIReference/API_GetFoundationModel.html
    retrieve_path = "/foundation-models/{id}"
    retrieve_field = "modelDetails"
    # https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html,
    # API_runtime_ConverseStream.html and API_runtime_InvokeModel.html
    calls = {
        "chat": Call("/model/{model}/converse", stream_path="/model/{model}/converse-stream"),
        "embeddings": Call("/model/{model}/invoke"),
    }
    translated = True
    option_keys = frozenset({"aws_region", "aws_access_key_id", "aws_session_token"})

    def check_options(self, options: Mapping[str, str], base_url: str) -> list[str]:
        errors = super().check_options(options, base_url)
        region = options.get("aws_region")
        if not region:
            errors.append("bedrock needs the aws_region option (e.g. us-east-1).")
        elif not REGION_PATTERN.match(region):
            errors.append(f"aws_region {region!r} is not an AWS region such as 'us-east-1'.")
        if options.get("aws_session_token") and not options.get("aws_access_key_id"):
            errors.append("aws_session_token needs aws_access_key_id as well.")
        return errors

    def _endpoint(self, target: Target, path: str, *, call: bool = False) -> Endpoint:
        url = self._root(target, call=call) + path
        key_id = target.options.get("aws_access_key_id")
        if not key_id:  # https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-use.html
            headers = {"Authorization": f"Bearer {target.credential}"}
            return Endpoint(url, headers, secrets=(target.credential,))
        token = target.options.get("aws_session_token") or None
        signer = SigV4Signer(key_id, target.credential, token, target.options["aws_region"])
        return Endpoint(url, auth=signer, secrets=(target.credential, token or ""))

    def _model(self, item: dict) -> Model:
        return Model(
            id=fields.text(item, "modelId", self.slug),
            owned_by=fields.opt_str(item.get("providerName")) or self.slug,
            name=fields.opt_str(item.get("modelName")),
            input_modalities=fields.strs(item.get("inputModalities"), lower=True),
            output_modalities=fields.strs(item.get("outputModalities"), lower=True),
            # Without ON_DEMAND a model can only be called through provisioned throughput.
            capabilities=fields.strs(item.get("inferenceTypesSupported"), lower=True),
        )
