"""``app.py`` lays out and wires only; what it calls is checked here without a browser.

The page's logic (settings, loading errors, the sidebar's filters, asking, texts) lives in
``assistant.present.chat``: these tests drive those functions directly, and the source of
``app.py`` is parsed to keep it a short script on the public API.
"""

from __future__ import annotations

import ast
import logging
import re
import sys
import tomllib
from datetime import datetime
from pathlib import Path

import pytest

from assistant.answer.answering import Assistant
from assistant.config import Settings
from assistant.errors import ConfigError, IndexMissingError, QuestionError
from assistant.present.chat import (
    MAX_PASSAGES,
    MISSING_INDEX_HELP,
    UNEXPECTED_ERROR,
    ChatSearch,
    ChatState,
    CorpusOverview,
    FilterChoices,
    answer_turn,
    answer_warnings,
    backend_caption,
    chat_settings,
    checked_search,
    export_markdown,
    indexed_documents,
    loading_problem,
    next_question,
    overview_markdown,
    question_markdown,
    refusal_markdown,
    source_views,
    update_dates,
    warm_up,
)
from assistant.present.rendering import escape_markdown
from assistant.retrieve.hybrid import SearchFilters
from assistant.schema import Answer, Citation
from tests.fakes import ScriptedGenerator
from tests.helpers import AMI, CODE

APP = Path(__file__).resolve().parents[1] / "app.py"
OVERVIEW = CorpusOverview(
    documents=2,
    passages=7,
    last_ingestion="23/11/2026 à 14:14 (UTC)",
    kinds=["ami", "code"],
    lines=[],
    titles={"ami-1": "Appel à manifestation d'intérêt", "csp": "Code de la santé publique"},
)


def plain(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


# -- app.py itself -------------------------------------------------------------------------------


def _imported_modules(tree: ast.Module) -> list[str]:
    modules = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "app.py imports absolute modules only"
            modules.append(node.module or "")
    return modules


def _allowed(module: str) -> bool:
    top = module.split(".")[0]
    if module == "assistant" or module == "assistant.present":
        return True
    if module.startswith("assistant.present."):
        return True
    return top == "streamlit" or (top != "assistant" and top in sys.stdlib_module_names)


def test_app_is_a_short_script_on_the_public_api() -> None:
    source = APP.read_text(encoding="utf-8")
    tree = ast.parse(source)

    assert len(source.splitlines()) <= 150
    modules = _imported_modules(tree)
    assert "assistant" in modules and "streamlit" in modules
    assert [m for m in modules if not _allowed(m)] == []
    # No reaching through the assistant into its retriever, index or settings module.
    attributes = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    assert not attributes & {"retriever", "lexical", "store", "embedder", "idf"}


def test_streamlit_config_matches_the_makefile_flags() -> None:
    """``streamlit run app.py`` alone hides the Deploy button and error details, as ``make run``."""
    root = APP.parent
    config = tomllib.loads((root / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"] == {"toolbarMode": "minimal", "showErrorDetails": "none"}
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    flags = re.search(r"^STREAMLIT_FLAGS :=(.*?[^\\])$", makefile, re.MULTILINE | re.DOTALL)
    assert flags is not None
    words = flags.group(1).replace("\\\n", " ").split()
    assert len(words) >= 2
    for name, value in zip(words[::2], words[1::2], strict=True):
        section, option = name.removeprefix("--").split(".")
        assert str(config[section][option]).lower() == value, name


@pytest.mark.parametrize(
    "module",
    ["assistant.answer.answering", "assistant.config", "assistant.retrieve.hybrid", "ingest"],
)
def test_the_layout_check_refuses_private_modules(module: str) -> None:
    assert not _allowed(module)


# -- settings and loading ------------------------------------------------------------------------


def test_chat_settings_name_the_bad_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COOP_K", "abc")
    with pytest.raises(ConfigError, match="COOP_K = 'abc' : nombre entier attendu"):
        chat_settings()


def test_loading_problems_are_french(caplog: pytest.LogCaptureFixture) -> None:
    missing = loading_problem(IndexMissingError("absent"))
    assert (missing.text, missing.warning) == (MISSING_INDEX_HELP, True)
    bad = loading_problem(ConfigError("Réglage invalide : COOP_K = 'abc' : nombre entier attendu."))
    assert not bad.warning
    assert plain(bad.text) == "Réglage invalide : COOP_K = 'abc' : nombre entier attendu."
    with caplog.at_level(logging.ERROR):
        crash = loading_problem(RuntimeError("boom: internal detail"))
    assert crash.text == UNEXPECTED_ERROR
    assert "boom" in caplog.text  # the detail goes to the log, never to the page


def test_assistant_helpers(assistant_fakes: Assistant, settings: Settings) -> None:
    warm_up(assistant_fakes)
    documents = indexed_documents(assistant_fakes)
    assert CODE.doc_id in documents and AMI.doc_id in documents
    assert update_dates(settings) == {}  # never synced
    assert (
        backend_caption(assistant_fakes) == "Réponses : extractif, hors ligne (phrases des textes)"
    )


# -- filters -------------------------------------------------------------------------------------


def test_valid_choices_become_filters() -> None:
    choices = FilterChoices(("code",), "csp", True, " 2024-02-01 ", 8)
    assert checked_search(choices, OVERVIEW) == ChatSearch(
        SearchFilters(("code",), ("csp",), True, "2024-02-01"), 8
    )
    assert checked_search(FilterChoices(), OVERVIEW) == ChatSearch(SearchFilters(), 5)
    assert checked_search(FilterChoices(k=MAX_PASSAGES), OVERVIEW).error == ""


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        (
            FilterChoices(k=0),
            "Nombre de passages (k) = 0 : choisissez un nombre entier entre 1 et 50.",
        ),
        (FilterChoices(k=51), "Nombre de passages (k) = 51 : choisissez"),
        (FilterChoices(since="01/02/2024"), "Date « 01/02/2024 » : format attendu AAAA-MM-JJ"),
        (FilterChoices(since="hier"), "Date « hier » : format attendu AAAA-MM-JJ"),
        (FilterChoices(since="2099-99-99"), "Date « 2099-99-99 » : ce jour n'existe pas"),
        (FilterChoices(kinds=("loi",)), "Type inconnu : « loi ». Types indexés : ami, code."),
        (
            FilterChoices(doc_id="retire"),
            "Document inconnu : « retire ». Documents indexés : ami-1, csp.",
        ),
    ],
)
def test_refused_choices_say_why_like_the_cli(choices: FilterChoices, message: str) -> None:
    search = checked_search(choices, OVERVIEW)
    assert search.error.startswith(message)
    assert search.filters == SearchFilters()


# -- asking --------------------------------------------------------------------------------------


def test_answer_turn_adds_an_answer_or_a_french_error(
    settings: Settings, assistant_fakes: Assistant
) -> None:
    state = ChatState()
    question = "Comment se fait la déclaration de mise en œuvre d'un protocole national ?"

    refused = answer_turn(assistant_fakes, state, question, ChatSearch(SearchFilters(), 5, "Non."))
    assert (refused.answer, refused.error) == (None, "Non.")
    empty = answer_turn(assistant_fakes, state, "???", ChatSearch(SearchFilters(), 5))
    assert (
        empty.error == QuestionError("La question ne contient aucun mot : reformulez-la.").message
    )
    listed = answer_turn(assistant_fakes, state, question, ChatSearch(SearchFilters(), 5), True)
    assert listed.answer is not None and listed.answer.checklist is not None
    plain_turn = answer_turn(assistant_fakes, state, question, ChatSearch(SearchFilters(), 3))
    assert plain_turn.answer is not None and plain_turn.answer.checklist is None
    assert len(plain_turn.answer.passages) <= 3
    assert [t.id for t in state.turns] == [0, 1, 2, 3]


def test_answer_turn_logs_the_unexpected(
    settings: Settings, assistant_fakes: Assistant, caplog: pytest.LogCaptureFixture
) -> None:
    assistant_fakes.generator = ScriptedGenerator(RuntimeError("boom: internal detail"))
    with caplog.at_level(logging.ERROR):
        turn = answer_turn(
            assistant_fakes,
            ChatState(),
            "Que dit l'article L. 4011-3 ?",
            ChatSearch(SearchFilters(), 5),
        )
    assert turn.error == UNEXPECTED_ERROR
    assert "boom" in caplog.text


def test_next_question_ignores_blank_input() -> None:
    state = ChatState(pending="Question d'exemple ?")
    assert next_question(state, "   \n ") == "Question d'exemple ?"
    assert next_question(state, None) == ""
    assert next_question(state, " Qui ? ") == " Qui ? "


def test_question_markdown_shortens_what_is_refused_as_too_long() -> None:
    assert question_markdown("Qui [1] ?", 20) == escape_markdown("Qui [1] ?")
    shown = question_markdown("mot " * 100, 20)
    assert plain(shown) == "mot mot mot mot mot …"


# -- texts ---------------------------------------------------------------------------------------

CITATION = Citation(1, "csp", "Code <b>", "Article L. 4011-3", 1, "https://ex.org/a", "Citée.")


def test_answer_texts() -> None:
    answer = Answer(
        "Qui ?",
        "Réponse [1].",
        [CITATION],
        False,
        [],
        notice="Question *en anglais*.",
        divergences=["[1] dit 3 mois, [2] dit 6 mois"],
    )
    assert [plain(w) for w in answer_warnings(answer)] == [
        "Question *en anglais*.",
        "Divergence entre sources : [1] dit 3 mois, [2] dit 6 mois",
    ]
    assert "\\*en anglais\\*" in answer_warnings(answer)[0]
    refusal = Answer("Qui ?", "Rien <ici>.", [], True, [])
    assert refusal_markdown(refusal) == "**Pas de réponse dans les textes.** " + escape_markdown(
        "Rien <ici>."
    )
    assert answer_warnings(refusal) == []
    [view] = source_views(answer, {"csp": "2026-02-10T14:30:00+00:00"})
    assert "\\<b\\>" in view.heading
    assert "mis à jour le 10/02/2026" in plain(view.details)
    assert overview_markdown(OVERVIEW) == (
        "**2** documents, **7** passages  \nDernière indexation : 23/11/2026 à 14:14 (UTC)"
    )


def test_export_is_dated() -> None:
    state = ChatState()
    state.add("Qui ?", Answer("Qui ?", "Réponse [1].", [CITATION], False, []))
    exported = export_markdown(state, datetime(2026, 2, 10, 14, 30))
    assert "10/02/2026 à 14:30" in exported
    assert "Réponse" in exported


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    dark, light = sorted((_luminance(a), _luminance(b)))
    return (light + 0.05) / (dark + 0.05)


def _faded(colour: str, alpha: float) -> str:
    """``colour`` drawn at ``alpha`` opacity on white (Streamlit's captions: 60 %)."""
    channels = [round(255 * (1 - alpha) + int(colour[i : i + 2], 16) * alpha) for i in (1, 3, 5)]
    return "#" + "".join(f"{c:02X}" for c in channels)


def test_streamlit_theme_has_aa_contrast() -> None:
    config = tomllib.loads((APP.parent / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    theme = config["theme"]
    assert config["browser"]["gatherUsageStats"] is False
    white = "#FFFFFF"
    assert _contrast(theme["textColor"], white) >= 4.5
    assert _contrast(_faded(theme["textColor"], 0.6), white) >= 4.5  # captions
    assert _contrast(theme["linkColor"], white) >= 4.5
    assert _contrast(theme["grayTextColor"], white) >= 4.5
    # The cited sentence: readable on its highlight, and the highlight seen on white.
    assert _contrast(theme["textColor"], theme["yellowBackgroundColor"]) >= 4.5
    assert _contrast(theme["yellowBackgroundColor"], white) >= 1.2
