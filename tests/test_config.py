from pathlib import Path

import pytest

from assistant.config import Settings, load_settings
from assistant.errors import ConfigError

README = Path(__file__).parents[1] / "README.md"


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented_in_the_readme(field: str) -> None:
    assert f"COOP_{field.upper()}" in README.read_text(encoding="utf-8")


def test_settings_read_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COOP_K", "9")
    monkeypatch.setenv("COOP_CHROMA_URL", "http://127.0.0.1:8123")
    settings = Settings()
    assert settings.k == 9
    assert settings.uses_chroma_server


def test_invalid_backend_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COOP_BACKEND", "gpt-magic")
    with pytest.raises(ValueError, match="backend"):
        Settings()


# --- load_settings: French messages instead of pydantic's -------------------------------------


def config_error(monkeypatch: pytest.MonkeyPatch, **variables: str) -> str:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None)
    return caught.value.message


def test_load_settings_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COOP_K", "9")
    assert load_settings(_env_file=None).k == 9
    assert load_settings(_env_file=None, k=3).k == 3


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"COOP_K": "abc"}, "COOP_K = 'abc' : nombre entier attendu"),
        ({"COOP_K": "2.5"}, "COOP_K = '2.5' : nombre entier attendu"),
        (
            {"COOP_EMBEDDING_DTYPE": "float64"},
            "COOP_EMBEDDING_DTYPE = 'float64' : valeur non autorisée ; "
            "valeurs possibles : auto, float32, bfloat16",
        ),
        (
            {"COOP_BACKEND": "gpt-magic"},
            "COOP_BACKEND = 'gpt-magic' : valeur non autorisée ; "
            "valeurs possibles : extractive, openai, llamacpp",
        ),
        ({"COOP_MIN_SCORE": "élevé"}, "COOP_MIN_SCORE = 'élevé' : nombre attendu"),
        ({"COOP_ALLOW_PRIVATE_HOSTS": "peut-être"}, "COOP_ALLOW_PRIVATE_HOSTS = 'peut-être' : oui"),
    ],
    ids=["k-text", "k-decimal", "dtype", "backend", "min-score-text", "bool"],
)
def test_unreadable_value_names_variable_value_and_what_is_allowed(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], message: str
) -> None:
    got = config_error(monkeypatch, **variables)
    assert got.startswith(f"Réglage invalide : {message}")
    assert "Input should" not in got and "pydantic" not in got


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"COOP_K": "0"}, "COOP_K = '0' : doit être supérieur ou égal à 1"),
        ({"COOP_K": "-1"}, "COOP_K = '-1' : doit être supérieur ou égal à 1"),
        ({"COOP_K": "100000"}, "COOP_K = '100000' : doit être inférieur ou égal à 50"),
        ({"COOP_FETCH_K": "0"}, "COOP_FETCH_K = '0' : doit être supérieur ou égal à 1"),
        ({"COOP_EMBEDDING_BATCH_SIZE": "0"}, "COOP_EMBEDDING_BATCH_SIZE = '0' : doit être"),
        ({"COOP_CHUNK_OVERLAP": "-5"}, "COOP_CHUNK_OVERLAP = '-5' : doit être supérieur ou égal"),
        (
            {"COOP_CHUNK_SIZE": "300", "COOP_CHUNK_OVERLAP": "300"},
            "COOP_CHUNK_OVERLAP = 300 : doit être inférieur à COOP_CHUNK_SIZE (300)",
        ),
        ({"COOP_LLM_TIMEOUT_S": "-1"}, "COOP_LLM_TIMEOUT_S = '-1' : doit être strictement"),
        ({"COOP_SYNC_DEADLINE_S": "0"}, "COOP_SYNC_DEADLINE_S = '0' : doit être strictement"),
        ({"COOP_MIN_COVERAGE": "1.5"}, "COOP_MIN_COVERAGE = '1.5' : doit être inférieur ou égal"),
        ({"COOP_MAX_QUESTION_CHARS": "0"}, "COOP_MAX_QUESTION_CHARS = '0' : doit être"),
        ({"COOP_MAX_PER_DOCUMENT": "-1"}, "COOP_MAX_PER_DOCUMENT = '-1' : doit être"),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, dict) else "",
)
def test_nonsensical_value_is_refused(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], message: str
) -> None:
    assert message in config_error(monkeypatch, **variables)


def test_several_bad_values_are_all_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    got = config_error(monkeypatch, COOP_K="abc", COOP_EMBEDDING_DTYPE="float64")
    assert got.startswith("Réglages invalides :\n")
    assert "- COOP_K = 'abc'" in got
    assert "- COOP_EMBEDDING_DTYPE = 'float64'" in got


def test_defaults_and_test_settings_are_valid() -> None:
    assert load_settings(_env_file=None) == Settings(_env_file=None)  # type: ignore[call-arg]
