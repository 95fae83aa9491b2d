"""The package layout: a public API that is cheap to import, dependencies running one way."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import assistant


def test_public_api_names() -> None:
    from assistant.answer.answering import Assistant
    from assistant.config import Settings

    assert assistant.Assistant is Assistant
    assert assistant.Settings is Settings
    assert set(assistant.__all__) == {
        "Answer",
        "Assistant",
        "Citation",
        "CoopError",
        "Settings",
        "build_assistant",
    }


def test_unknown_public_name_is_an_attribute_error() -> None:
    try:
        assistant.Nothing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as err:
        assert "Nothing" in str(err)
    else:
        raise AssertionError("no AttributeError")


def test_importing_the_package_and_settings_loads_no_model_or_store() -> None:
    code = (
        "import sys, assistant; from assistant import Settings; Settings(_env_file=None); "
        "print(sorted(m for m in ('torch', 'chromadb', 'sentence_transformers', 'bm25s') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    lint = subprocess.run([str(lint_imports)], capture_output=True, text=True, check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "0 broken" in lint.stdout
