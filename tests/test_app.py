"""The Streamlit chat through ``AppTest``, on real Chroma indexed with the hashing embedder."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assistant.answer import prompts
from assistant.answer.answering import Assistant
from assistant.config import Settings
from assistant.factory import build_assistant
from assistant.present.chat import (
    EXAMPLE_QUESTIONS,
    MISSING_INDEX_HELP,
    UNEXPECTED_ERROR,
    ChatState,
)
from assistant.schema import Message
from tests.fakes import HashingEmbedder, ScriptedGenerator
from tests.helpers import AMI, CODE, open_store

ARTICLE_QUESTION = "Que dit l'article L. 4011-3 ?"
DECLARATION_QUESTION = "Comment se fait la déclaration de mise en œuvre d'un protocole national ?"
APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 30


@pytest.fixture
def feedback_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "feedback.sqlite3"
    monkeypatch.setenv("COOP_FEEDBACK_DB", str(path))
    return path


def plain(markdown: str) -> str:
    """What the reader sees of escaped Markdown (backslash escapes removed)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def start(assistant: Assistant) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["assistant"] = assistant
    return at.run()


def ask(at: AppTest, question: str) -> AppTest:
    return at.chat_input[0].set_value(question).run()


def all_markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def _sentence(line: str) -> str:
    return re.sub(r"\s*\[\d+\]", "", line).strip("- ")


def chat(at: AppTest) -> ChatState:
    state = at.session_state["chat"]
    assert isinstance(state, ChatState)
    return state


def test_answer_with_numbered_citations_and_sources(
    shared_assistant: Assistant, feedback_db: Path
) -> None:
    at = ask(start(shared_assistant), ARTICLE_QUESTION)

    assert not at.exception
    user, reply = at.chat_message
    assert user.name == "user"
    assert plain(user.markdown[0].value) == ARTICLE_QUESTION
    assert reply.name == "assistant"
    assert "autorisés par arrêté des ministres" in reply.markdown[0].value
    # Each [n] links to its source card, shown open under the answer.
    assert "[\\[1\\]](#source-0-1)" in reply.markdown[0].value
    assert reply.markdown[1].value.startswith("**Sources de la réponse (")
    heading = reply.subheader[0]
    assert heading.anchor == "source-0-1"
    assert plain(heading.value).startswith("[1] Code de la santé publique")
    first = reply.markdown[2].value
    for fact in ("Document", "Article ou section", "Date", "Autorité", "Statut"):
        assert f"**{fact} :**" in first
    assert ":yellow-background[" in first  # the quoted sentence highlighted in the passage
    assert f"(<{CODE.url}>)" in first  # official link
    # Copy: the answer as text with its sources, in a code block (Streamlit's copy button).
    copy = reply.expander[0]
    assert copy.label == "Copier la réponse (texte et sources)"
    assert "Sources :\n[1] " in copy.code[0].value and CODE.url in copy.code[0].value
    assert any(c.value.startswith("Réponse en ") for c in reply.caption)
    # The first screen is gone once the conversation has started.
    assert not [b for b in at.button if b.key and b.key.startswith("example-")]


def test_first_screen_example_then_follow_up(
    shared_assistant: Assistant, feedback_db: Path
) -> None:
    at = start(shared_assistant)
    assert "ne remplace pas l'avis de votre ARS" in plain(all_markdown(at))
    examples = [b for b in at.button if b.key and b.key.startswith("example-")]
    assert [b.label for b in examples] == list(EXAMPLE_QUESTIONS)

    at = at.button(key="example-2").click().run()
    at = ask(at, "Et qui doit le valider ?")

    assert not at.exception
    turns = chat(at).turns
    assert [t.question for t in turns] == [EXAMPLE_QUESTIONS[2], "Et qui doit le valider ?"]
    follow_up = turns[1].answer
    assert follow_up is not None
    # The elliptic follow-up was searched with the previous question carried over.
    assert EXAMPLE_QUESTIONS[2] in follow_up.standalone_question
    assert len(at.chat_message) == 4
    # Same rewriting as `coop ask --history`, and the follow-up adds instead of repeating.
    cli_way = shared_assistant.ask(
        "Et qui doit le valider ?", [Message("user", EXAMPLE_QUESTIONS[2])]
    )
    assert follow_up.standalone_question == cli_way.standalone_question
    first = turns[0].answer
    assert first is not None
    assert follow_up.text != first.text
    if follow_up.refused:
        assert follow_up.text in {prompts.REFUSAL, prompts.NOTHING_NEW}
    said, again = ({_sentence(s) for s in a.text.splitlines()} for a in (first, follow_up))
    assert not (said & again) - {"", "Les textes précisent aussi :"}

    at = at.sidebar.button[0].click().run()  # "Nouvelle conversation"
    assert chat(at).turns == []
    assert not at.chat_message
    assert len([b for b in at.button if b.key and b.key.startswith("example-")]) == 5


def test_sidebar_describes_corpus_and_filter_restricts_sources(
    shared_assistant: Assistant, feedback_db: Path
) -> None:
    at = start(shared_assistant)
    sidebar_text = "\n".join(m.value for m in at.sidebar.markdown)
    assert "**4** documents" in sidebar_text
    assert "Dernière indexation : " in sidebar_text
    assert "Appel à manifestation d'intérêt" in plain(sidebar_text)
    assert any("extractif" in c.value for c in at.sidebar.caption)

    at = at.sidebar.selectbox(key="filter_doc").set_value(AMI.doc_id).run()
    at = ask(at, DECLARATION_QUESTION)

    assert not at.exception
    answer = chat(at).turns[0].answer
    assert answer is not None and answer.citations
    assert {c.doc_id for c in answer.citations} == {AMI.doc_id}
    assert {h.chunk.doc_id for h in answer.passages} == {AMI.doc_id}
    assert any(plain(c.value).startswith("Recherche limitée : Appel") for c in at.caption)


def test_feedback_and_comment_are_stored(shared_assistant: Assistant, feedback_db: Path) -> None:
    at = ask(start(shared_assistant), ARTICLE_QUESTION)
    at = at.feedback(key="thumbs-0").set_value(0).run()  # 👎

    assert not at.exception
    with sqlite3.connect(feedback_db) as conn:
        rows = conn.execute("SELECT question, answer, citations, rating, comment FROM feedback")
        [(question, answer, citations, rating, comment)] = rows.fetchall()
    assert question == ARTICLE_QUESTION
    assert "autorisés par arrêté" in answer
    assert CODE.url in citations
    assert (rating, comment) == (-1, "")

    at.text_input(key="comment-0").input("Il manque le rôle de la HAS.")
    at = at.button[[b.label for b in at.button].index("Envoyer le commentaire")].click().run()
    assert any("commentaire sont enregistrés" in c.value for c in at.caption)
    assert not at.main.text_input  # the form gave way to the thanks
    at = at.feedback(key="thumbs-0").set_value(1).run()  # changed their mind: 👍

    with sqlite3.connect(feedback_db) as conn:
        stored = conn.execute("SELECT rating, comment FROM feedback").fetchall()
    assert stored == [(1, "Il manque le rôle de la HAS.")]


def test_refusal_is_shown_as_such_without_sources(
    shared_assistant: Assistant, feedback_db: Path
) -> None:
    at = ask(start(shared_assistant), "Quel est le calendrier vaccinal du nourrisson ?")

    assert not at.exception
    reply = at.chat_message[1]
    assert reply.info[0].value.startswith("**Pas de réponse dans les textes.**")
    assert prompts.REFUSAL in plain(reply.info[0].value)
    assert not reply.expander
    assert chat(at).turns[0].answer is not None
    assert chat(at).turns[0].answer.text == prompts.REFUSAL  # type: ignore[union-attr]


def test_errors_are_french_messages_not_tracebacks(
    settings: Settings, indexed: object, feedback_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COOP_LLM_API_KEY", "sk-secret-never-shown")
    broken = build_assistant(
        settings,
        embedder=HashingEmbedder(),
        store=open_store(settings.index_dir),
        generator=ScriptedGenerator(RuntimeError("boom: internal detail")),
    )
    at = ask(start(broken), "???")
    at = ask(at, ARTICLE_QUESTION)

    assert not at.exception
    errors = [e.value for e in at.error]
    assert plain(errors[0]) == "La question ne contient aucun mot : reformulez-la."
    assert plain(errors[1]) == UNEXPECTED_ERROR
    rendered = all_markdown(at) + "".join(errors) + "".join(c.value for c in at.caption)
    assert "boom" not in rendered
    assert "sk-secret" not in rendered


def test_missing_index_explains_how_to_build_it(
    tmp_path: Path, feedback_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COOP_INDEX_DIR", str(tmp_path / "no-index"))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()

    assert not at.exception
    assert at.warning[0].value == MISSING_INDEX_HELP
    assert "coop ingest" in at.warning[0].value
    assert not at.chat_input


def test_document_text_is_escaped(
    tmp_path: Path, feedback_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest.indexing import Ingestor
    from tests.helpers import FakeDoc, make_settings, write_corpus

    hostile = FakeDoc(
        doc_id="hostile",
        title="<script>alert(1)</script> Protocole **gras**",
        kind="page",
        date="2024-01-01",
        url="javascript:alert(1)",
        status="information",
        body=(
            "Protocole de coopération hostile\n\n"
            "Le protocole de coopération infirmier <img src=x onerror=alert(1)> est déclaré "
            "auprès de l'agence [cliquez](https://evil.example) pour $x$ gagner.\n"
        ),
    )
    settings = make_settings(tmp_path)
    write_corpus(settings.corpus_file, settings.corpus_dir, (hostile,))
    store = open_store(settings.index_dir)
    Ingestor(settings, HashingEmbedder(), store).run()
    assistant = build_assistant(settings, embedder=HashingEmbedder(), store=store)

    at = ask(start(assistant), "Auprès de qui le protocole de coopération infirmier est déclaré ?")

    assert not at.exception
    shown = all_markdown(at)
    assert not re.search(r"(?<!\\)<", shown)  # every "<" of the documents is escaped
    assert "\\<img src\\=x onerror\\=alert\\(1\\)\\>" in shown
    assert "](https://evil" not in shown and "\\$x\\$" in shown
    card = "\n".join(m.value for m in at.chat_message[1].markdown)
    assert "javascript" not in card
    assert "Lien officiel non disponible" in card


def test_checklist_toggle_badges_and_update_dates(
    settings: Settings,
    assistant_fakes: Assistant,
    feedback_db: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ingest.fetch.sources import load_sources
    from ingest.fetch.sync import sync_corpus

    # A sync of the synthetic corpus into a second folder records the update dates.
    documents = settings.corpus_dir.parent / "synced"
    when = datetime(2026, 2, 10, 14, 30, tzinfo=UTC)
    sync_corpus(load_sources(settings.corpus_file), documents, mirror=settings.corpus_dir, now=when)
    monkeypatch.setenv("COOP_CORPUS_DIR", str(documents))
    at = start(assistant_fakes)
    at.toggle(key="show_checklist").set_value(True).run()
    at = ask(at, DECLARATION_QUESTION)

    assert not at.exception
    reply = at.chat_message[1]
    marks = [m.value for m in reply.markdown]
    assert marks.index("**Liste de vérification**") > marks.index(
        next(m for m in marks if m.startswith("**Sources de la réponse ("))
    )
    items = marks[marks.index("**Liste de vérification**") + 1]
    assert "**Étapes**" in items
    # The checklist numbers its own sources from [1], each linked to its own card.
    assert re.search(r"^- .+ \[\\\[1\\\]\]\(#check-0-1\)$", items, re.MULTILINE)
    anchors = [h.anchor for h in reply.subheader]
    assert "source-0-1" in anchors and "check-0-1" in anchors
    cards = "\n".join(marks)
    assert "-badge[niveau " in cards
    assert "mis à jour le 10/02/2026" in plain(cards)
    sidebar = "\n".join(m.value for m in at.sidebar.expander[0].markdown)
    assert "mis à jour le 10/02/2026" in plain(sidebar)

    # Toggled off: no checklist under the answer.
    at.toggle(key="show_checklist").set_value(False).run()
    assert "**Liste de vérification**" not in [m.value for m in at.chat_message[1].markdown]
    assert not [h for h in at.chat_message[1].subheader if h.anchor.startswith("check-")]


@pytest.mark.parametrize("injected", [False, True])
def test_bad_setting_is_a_french_message_naming_the_variable(
    shared_assistant: Assistant, feedback_db: Path, monkeypatch: pytest.MonkeyPatch, injected: bool
) -> None:
    monkeypatch.setenv("COOP_K", "abc")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if injected:  # even a ready assistant does not hide a wrong setting
        at.session_state["assistant"] = shared_assistant
    at = at.run()

    assert not at.exception
    [error] = at.error
    assert plain(error.value) == "Réglage invalide : COOP_K = 'abc' : nombre entier attendu."
    assert not at.chat_input


def test_refused_filter_is_explained_in_french_and_nothing_is_searched(
    shared_assistant: Assistant, feedback_db: Path
) -> None:
    at = start(shared_assistant)
    at = at.sidebar.text_input(key="filter_since").input("01/02/2024").run()

    assert not at.exception
    expected = "Date « 01/02/2024 » : format attendu AAAA-MM-JJ"
    assert plain(at.error[0].value).startswith(expected)
    at = ask(at, DECLARATION_QUESTION)
    [turn] = chat(at).turns
    assert turn.answer is None and turn.error.startswith(expected)
    assert plain(at.chat_message[1].error[0].value).startswith(expected)

    at = at.sidebar.text_input(key="filter_since").input("2099-99-99").run()
    assert "ce jour n'existe pas" in plain(at.error[0].value)
    at = at.sidebar.text_input(key="filter_since").input("2000-01-01").run()
    # Only the first turn's error is left: the filter itself is accepted.
    assert [e.icon for e in at.main.error] == [":material/error:"]
    assert any("textes datés à partir du 01/01/2000" in plain(c.value) for c in at.caption)
    at = ask(at, DECLARATION_QUESTION)
    assert chat(at).turns[1].answer is not None


def test_blank_question_adds_no_bubble_and_too_long_one_is_explained(
    shared_assistant: Assistant, feedback_db: Path
) -> None:
    at = ask(start(shared_assistant), "   \n  ")
    assert not at.exception
    assert not at.chat_message and chat(at).turns == []

    too_long = "Quel protocole " * 200  # 3000 characters, the limit is 2000
    at = ask(at, too_long)
    assert not at.exception
    [turn] = chat(at).turns
    assert turn.error.startswith("La question est trop longue (2999 caractères, maximum 2000)")
    user, reply = at.chat_message
    assert plain(reply.error[0].value) == turn.error
    assert len(user.markdown[0].value) < 2200  # only its beginning is shown back


def test_follow_up_about_a_local_protocol_adds_without_repeating(
    shared_assistant: Assistant, feedback_db: Path
) -> None:
    first_question, follow_up = "Comment déclarer un protocole local ?", "Et qui doit le valider ?"
    at = ask(ask(start(shared_assistant), first_question), follow_up)

    assert not at.exception
    first, second = (turn.answer for turn in chat(at).turns)
    assert first is not None and second is not None
    # The same standalone question as `coop ask --history "Comment déclarer…"`.
    cli_way = shared_assistant.ask(follow_up, [Message("user", first_question)])
    assert second.standalone_question == cli_way.standalone_question
    assert first_question in second.standalone_question
    # Never the previous answer again, word for word or sentence by sentence.
    assert second.text != first.text
    said, again = ({_sentence(s) for s in a.text.splitlines()} for a in (first, second))
    assert not (said & again) - {"", "Les textes précisent aussi :"}


def test_question_bar_shows_the_limit_and_the_checklist_mode(
    shared_assistant: Assistant, feedback_db: Path
) -> None:
    at = start(shared_assistant)
    assert any(c.value == "Question de 2\u202f000 caractères au plus." for c in at.caption)
    assert at.toggle(key="show_checklist").label == "Liste de vérification"
    assert "Passages consultés" not in [s.label for s in at.sidebar.slider]
    # A question being answered (an example was clicked): examples and filters are disabled.
    chat_state = ChatState()
    chat_state.pending = EXAMPLE_QUESTIONS[0]
    at.session_state["chat"] = chat_state
    at = at.run()
    assert not at.exception
    assert len(chat(at).turns) == 1  # answered, then the page was drawn again
    assert not [b for b in at.button if b.key and b.key.startswith("example-")]
    assert not at.sidebar.slider[0].disabled


def test_type_filter_is_a_set_of_french_pills(
    shared_assistant: Assistant, feedback_db: Path
) -> None:
    at = start(shared_assistant)
    pills = at.sidebar.pills(key="filter_kinds")
    assert pills.label == "Type de document (aucun choisi : tous)"
    at = pills.set_value([AMI.kind]).run()
    at = ask(at, DECLARATION_QUESTION)

    assert not at.exception
    answer = chat(at).turns[0].answer
    assert answer is not None and {h.chunk.kind for h in answer.passages} == {AMI.kind}
    assert any(plain(c.value).startswith("Recherche limitée : Appel") for c in at.caption)
