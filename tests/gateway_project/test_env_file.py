"""The settings file: `.env` unless GATEWAY_ENV_FILE names another, none when it is empty."""

import os
import tomllib
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from gateway_project.env_file import env_file, read_env_file

ROOT = Path(__file__).resolve().parent.parent.parent
NAME = "GATEWAY_ENV_FILE_TEST_VALUE"


@pytest.fixture
def base(tmp_path, monkeypatch):
    """A project folder whose `.env` sets NAME, with NAME itself unset (and unset after)."""
    (tmp_path / ".env").write_text(f"{NAME}=from-dotenv\n")
    (tmp_path / "other.env").write_text(f"{NAME}=from-other\n")
    monkeypatch.setenv(NAME, "")
    monkeypatch.delenv(NAME)  # restored to unset afterwards, whatever the file put there
    return tmp_path


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (".env", "/srv/gateway/.env"),
        ("", None),
        ("  ", None),
        ("deploy/gateway.env", "/srv/gateway/deploy/gateway.env"),
        ("/etc/gateway.env", "/etc/gateway.env"),
    ],
)
def test_which_file(value, expected):
    found = env_file(value, Path("/srv/gateway"))
    assert found == (Path(expected) if expected else None)


def test_unset_reads_the_projects_dotenv(base, monkeypatch):
    monkeypatch.delenv("GATEWAY_ENV_FILE")
    read_env_file(base)
    assert os.environ[NAME] == "from-dotenv"


def test_unset_without_a_dotenv_reads_nothing(base, monkeypatch):
    monkeypatch.delenv("GATEWAY_ENV_FILE")
    (base / ".env").unlink()
    read_env_file(base)
    assert NAME not in os.environ


def test_empty_reads_no_file(base, monkeypatch):
    monkeypatch.setenv("GATEWAY_ENV_FILE", "")
    read_env_file(base)
    assert NAME not in os.environ


def test_a_named_file_is_read_instead(base, monkeypatch):
    monkeypatch.setenv("GATEWAY_ENV_FILE", "other.env")
    read_env_file(base)
    assert os.environ[NAME] == "from-other"


def test_the_environment_wins_over_the_file(base, monkeypatch):
    monkeypatch.delenv("GATEWAY_ENV_FILE")
    monkeypatch.setenv(NAME, "from-environment")
    read_env_file(base)
    assert os.environ[NAME] == "from-environment"


def test_a_named_file_that_is_missing_stops_the_start(base, monkeypatch):
    monkeypatch.setenv("GATEWAY_ENV_FILE", "typo.env")
    with pytest.raises(ImproperlyConfigured, match=r"GATEWAY_ENV_FILE names .*typo\.env"):
        read_env_file(base)
    assert NAME not in os.environ


def test_the_suite_reads_no_local_dotenv():
    # What keeps the `.env` of a local `make run` out of the settings the tests check.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "GATEWAY_ENV_FILE=" in config["tool"]["pytest"]["ini_options"]["env"]
    assert os.environ["GATEWAY_ENV_FILE"] == ""
