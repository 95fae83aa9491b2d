from pathlib import Path

import pytest

from assistant.config import Settings

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
