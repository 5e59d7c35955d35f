"""Model ids in provider URLs: encoded, and never a way out of their path."""

import pytest

from models_api.errors import NotFound
from models_api.providers import ids
from models_api.providers.base import Model


@pytest.mark.parametrize("model_id", ["", ".", "..", "a/../b", "/a", "a//b"])
def test_ids_that_would_leave_their_path_are_not_found(model_id):
    with pytest.raises(NotFound) as caught:
        ids.model_path(model_id, "p")
    assert caught.value.code == "model_not_found"
    assert repr(model_id) in caught.value.message


def test_a_segment_encodes_slashes_and_colons():
    assert ids.segment("arn:aws:bedrock:us-east-1:1:inference-profile/us.x", "p") == (
        "arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fus.x"
    )
    assert ids.model_path("org/model:free", "p") == "org/model%3Afree"
    with pytest.raises(NotFound):
        ids.segment("..", "p")


def test_find_searches_a_list_or_is_not_found():
    models = [Model("a"), Model("b")]
    assert ids.find(models, "b", "p") is models[1]
    with pytest.raises(NotFound, match="'c' does not exist at p"):
        ids.find(models, "c", "p")
