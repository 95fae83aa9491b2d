from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from assistant.answer.checklist import EMPTY_CHECKLIST, build_checklist
from assistant.index.store import DocumentRecord
from assistant.present.chat import (
    NO_LINK,
    NO_URL_REASON,
    UNSAFE_URL_REASON,
    WORKING_STEPS,
    ChatState,
    answer_markdown,
    apply_rating,
    checklist_markdown,
    checklist_sources,
    corpus_overview,
    done_label,
    filters_caption,
    limit_caption,
    passage_of,
    rating_of,
    save_comment,
    search_filters,
    source_view,
    timing_caption,
)
from assistant.present.feedback import FeedbackStore
from assistant.present.rendering import (
    conversation_to_markdown,
    escape_markdown,
    highlight_markdown,
    link_markdown,
    safe_url,
)
from assistant.retrieve.hybrid import SearchFilters
from assistant.schema import Answer, Citation, Hit, Message
from assistant.text.dates import french_date, long_french_date
from tests.helpers import make_chunk


def plain(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


PASSAGE = (
    "Article L. 4011-3\n\nLes protocoles nationaux sont autorisés par arrêté des ministres. "
    "Les professionnels   qui souhaitent mettre en œuvre un protocole national le déclarent "
    "auprès de l'agence régionale de santé."
)
CITATION = Citation(
    n=1,
    doc_id="csp",
    title="Code de la santé publique",
    section="Article L. 4011-3",
    page=2,
    url="https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000047568143",
    quote="Les professionnels qui souhaitent mettre en œuvre un protocole national le déclarent "
    "auprès de l'agence régionale de santé.",
    kind="code",
    date="2023-05-21",
    status="en vigueur",
)
HIT = Hit(
    make_chunk("csp", 0, PASSAGE, article="L. 4011-3", page=2, title=CITATION.title), score=1.0
)


def answer(question: str = "Qui déclare ?", text: str = "Ils le déclarent à l'ARS [1].") -> Answer:
    return Answer(question, text, [CITATION], False, [HIT], timings={"total_s": 0.1234})


# -- escaping ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<script>alert(1)</script>", r"\<script\>alert\(1\)\<\/script\>"),
        ("[lien](javascript:x)", r"\[lien\]\(javascript\:x\)"),
        ("![](https://pixel.example/t.png)", r"\!\[\]\(https\:\/\/pixel\.example\/t\.png\)"),
        ("prix : $5$ et :red[rouge]", r"prix \: \$5\$ et \:red\[rouge\]"),
        ("    code indenté", "code indenté"),
        ("# titre\n> citation", "\\# titre\n\\> citation"),
        ("&lt;b&gt;", r"\&lt\;b\&gt\;"),
        ("Article L. 4011-3 [1]", r"Article L\. 4011\-3 \[1\]"),
        ("é à œ « »", "é à œ « »"),
    ],
)
def test_escape_markdown(text: str, expected: str) -> None:
    assert escape_markdown(text) == expected


def test_escaped_text_reads_as_the_original() -> None:
    text = "Art. L. 4011-2 : *tous* les _protocoles_ (voir [1])."
    assert plain(escape_markdown(text)) == text


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.legifrance.gouv.fr/a?b=1#c", "https://www.legifrance.gouv.fr/a?b=1#c"),
        ("http://sante.gouv.fr/x y", "http://sante.gouv.fr/x%20y"),
        ("https://ex.org/a)<b>", "https://ex.org/a%29%3Cb%3E"),
        ("javascript:alert(1)", ""),
        ("data:text/html,<b>", ""),
        ("/relative/path", ""),
        ("", ""),
    ],
)
def test_safe_url(url: str, expected: str) -> None:
    assert safe_url(url) == expected


def test_link_markdown() -> None:
    assert (
        link_markdown("Texte officiel", "https://ex.org/a")
        == "[Texte officiel](<https://ex.org/a>)"
    )
    assert link_markdown("Texte officiel", "javascript:alert(1)") == ""


def test_highlight_marks_the_quoted_sentence_inside_the_passage() -> None:
    shown = highlight_markdown(PASSAGE, CITATION.quote)

    highlighted = re.findall(r":yellow-background\[(.*?)(?<!\\)\]", shown)
    assert [plain(h) for h in highlighted] == [" ".join(CITATION.quote.split())]
    assert plain(shown).startswith("Article L. 4011-3 Les protocoles nationaux")


def test_highlight_matches_a_shortened_sentence_by_its_start() -> None:
    quote = "Les protocoles nationaux sont autorisés par […]"
    shown = highlight_markdown(PASSAGE, quote)
    assert ":yellow-background[Les protocoles nationaux sont autorisés par]" in shown


def test_highlight_escapes_markup_inside_and_outside_the_mark() -> None:
    passage = "Avant <b>gras</b>. La phrase [citée](javascript:x) ici. Après $1$."
    shown = highlight_markdown(passage, "La phrase [citée](javascript:x) ici.")
    assert not re.search(r"(?<!\\)[<\[$(]", shown.replace(":yellow-background[", ""))
    assert plain(shown.replace(":yellow-background[", "").replace("\\.]", "\\.")) == passage


def test_highlight_without_match_shows_the_quote_alone() -> None:
    assert highlight_markdown("Autre texte.", "Citation absente du passage.") == (
        r":yellow-background[Citation absente du passage\.]"
    )
    assert highlight_markdown("Texte *seul*.", "") == r"Texte \*seul\*\."


# -- conversation state --------------------------------------------------------------------------


def test_history_keeps_answered_turns_in_order() -> None:
    state = ChatState()
    state.add("Comment déclarer un protocole ?", answer("Comment déclarer un protocole ?"))
    state.add("???", error="La question ne contient aucun mot : reformulez-la.")
    state.add("Et qui valide ?", answer("Et qui valide ?", "Le directeur [1]."))

    assert state.history() == [
        Message("user", "Comment déclarer un protocole ?"),
        Message("assistant", "Ils le déclarent à l'ARS [1]."),
        Message("user", "Et qui valide ?"),
        Message("assistant", "Le directeur [1]."),
    ]
    assert [a.question for a in state.answers()] == [
        "Comment déclarer un protocole ?",
        "Et qui valide ?",
    ]


def test_pending_example_is_taken_once_and_reset_starts_over() -> None:
    state = ChatState()
    state.pending = "Quel est le rôle du CNCI ?"
    assert state.take_pending() == "Quel est le rôle du CNCI ?"
    assert state.take_pending() == ""

    first = state.add("Question", answer())
    conversation = state.conversation_id
    state.reset()
    second = state.add("Autre question", answer())

    assert state.turns == [second]
    assert state.conversation_id != conversation
    assert second.id != first.id  # widget keys of the old conversation are never reused


def test_search_filters_from_sidebar_choices() -> None:
    assert search_filters() == SearchFilters()
    assert search_filters(["decret", "arrete"], "csp", True, date(2021, 1, 1)) == SearchFilters(
        ("decret", "arrete"), ("csp",), True, "2021-01-01"
    )


def test_filters_caption() -> None:
    filters = SearchFilters(("decret",), ("csp",), True, "2021-01-01")
    caption = filters_caption(filters, {"csp": "Code de la santé publique"})
    assert plain(caption) == (
        "Recherche limitée : Décret · Code de la santé publique · textes en vigueur · "
        "textes datés à partir du 01/01/2021"
    )
    assert filters_caption(SearchFilters(), {}) == ""


# -- corpus and sources --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("iso", "expected"),
    [
        ("2023-05-21", "21/05/2023"),
        ("2026-11-23T14:14:05+00:00", "23/11/2026 à 14:14 (UTC)"),
        ("inconnue", "inconnue"),
    ],
)
def test_french_date(iso: str, expected: str) -> None:
    assert french_date(iso) == expected


@pytest.mark.parametrize(
    ("iso", "expected"),
    [
        ("2025-09-10", "10 septembre 2025"),
        ("2020-02-01", "1er février 2020"),
        ("vers 2010", "vers 2010"),
    ],
)
def test_long_french_date(iso: str, expected: str) -> None:
    assert long_french_date(iso) == expected


def record(doc_id: str, date_: str, ingested: str, **fields: object) -> DocumentRecord:
    values: dict[str, object] = {
        "doc_id": doc_id,
        "doc_hash": "h",
        "title": f"Titre {doc_id}",
        "kind": "decret",
        "date": date_,
        "status": "en vigueur",
        "official_url": "",
        "chunks": 10,
        "ingested_at": ingested,
    }
    values.update(fields)
    return DocumentRecord(**values)  # type: ignore[arg-type]


def test_corpus_overview() -> None:
    overview = corpus_overview(
        {
            "a": record("a", "2020-02-18", "2026-11-20T10:00:00+00:00"),
            "b": record("b", "2023-05-21", "2026-11-23T14:14:00+00:00", kind="code", chunks=5),
            "c": record("c", "2009-07-21", "2026-11-21T09:00:00+00:00", status="historique",
                        title="Ancien <b>texte</b>"),
        }
    )  # fmt: skip

    assert (overview.documents, overview.passages) == (3, 25)
    assert overview.last_ingestion == "23/11/2026 à 14:14 (UTC)"
    assert overview.kinds == ["code", "decret"]
    assert [plain(line) for line in overview.lines] == [
        "- Titre b — Code, 21/05/2023",
        "- Titre a — Décret, 18/02/2020",
        "- Ancien <b>texte</b> — Décret, 21/07/2009 (historique)",
    ]
    assert "\\<b\\>" in overview.lines[2]
    assert list(overview.titles) == ["c", "a", "b"]  # sorted by title


def test_passage_of_finds_the_quoted_chunk() -> None:
    other = Hit(make_chunk("csp", 1, "Autre passage du même article.", article="L. 4011-3",
                           page=2), score=0.5)  # fmt: skip
    assert passage_of(CITATION, [other, HIT]) == PASSAGE
    assert passage_of(CITATION, []) == ""


def test_source_view_has_everything_a_reader_checks() -> None:
    view = source_view(CITATION, [HIT])

    assert plain(view.heading) == "[1] Code de la santé publique"
    assert view.anchor == "source-1"
    assert [plain(f) for f in view.facts] == [
        "**Document :** Code",
        "**Article ou section :** Article L. 4011-3, p. 2",
        "**Date :** 21/05/2023",
        "**Autorité :** texte officiel (niveau 1 · loi ou code)",
        "**Statut :** en vigueur",
    ]
    assert ":yellow-background[Les professionnels qui souhaitent" in view.passage
    assert view.link == f"[Texte officiel ↗](<{CITATION.url}>)"
    block = view.markdown()
    assert block.index(view.facts[0]) < block.index("**Passage cité :**") < block.index(view.link)
    assert "> " not in block  # no faded block quote: the passage keeps the text's contrast


def test_source_view_shortens_a_sentence_used_as_section() -> None:
    section = "En l'absence de protocole national existant sur certaines thématiques, il est " * 2
    view = source_view(replace(CITATION, section=section.strip(), page=0), [])
    location = plain(view.facts[1]).removeprefix("**Article ou section :** ")
    assert location.startswith("En l'absence de protocole national")
    assert location.endswith(" …") and len(location) <= 82


def test_source_view_shows_historical_status_and_says_why_there_is_no_link() -> None:
    old = Citation(2, "old", "Ancien texte", "", 0, "javascript:x", "Texte ancien.", "historique",
                   "2009-07-23", "historique")  # fmt: skip
    view = source_view(old, [], prefix="check-4")
    assert plain(view.details) == (
        "Historique · 23/07/2009 · document historique (niveau 7 · document historique) · "
        "historique : ce texte n'est plus en vigueur"
    )
    assert view.anchor == "check-4-2"
    assert plain(view.link) == f"{NO_LINK} : {UNSAFE_URL_REASON}."
    assert "javascript" not in view.markdown()
    no_url = source_view(replace(old, url=""), [])
    assert plain(no_url.link) == f"{NO_LINK} : {NO_URL_REASON}."


@pytest.mark.parametrize(
    ("kind", "status", "authority", "status_text"),
    [
        ("page-ars", "information", "page d'une ARS (niveau 5", "page d'information"),
        ("presse", "", "presse, source non officielle (niveau 8", "non précisé"),
        (
            "decret",
            "en vigueur (à vérifier)",
            "texte officiel (niveau 2",
            "en vigueur (à vérifier)",
        ),
    ],
)
def test_source_card_says_authority_and_status_in_words(
    kind: str, status: str, authority: str, status_text: str
) -> None:
    view = source_view(replace(CITATION, kind=kind, status=status, section=""), [])
    facts = dict(plain(f).removeprefix("**").split(" :** ") for f in view.facts)
    assert facts["Autorité"].startswith(authority)
    assert facts["Statut"].startswith(status_text)


def test_citation_markers_link_to_their_cards() -> None:
    text = "Le directeur valide [1]. Voir aussi [2] et [9]."
    shown = answer_markdown(answer(text=text), "source-3")
    assert r"valide [\[1\]](#source-3-1)\." in shown
    assert r"[\[2\]](#source-3-2)" not in shown  # no card for a number the answer lacks
    assert r"\[9\]" in shown
    assert answer_markdown(answer(text=text)) == escape_markdown(text)


def test_answer_markdown_keeps_the_answer_list_and_escapes_the_rest() -> None:
    text = (
        "D'après les textes : *voir* <b>ci-dessous</b> [1].\n\n"
        "Les textes précisent aussi :\n- Art. 2 [2]"
    )
    shown = answer_markdown(answer(text=text))
    assert shown.splitlines() == [
        r"D\'après les textes \: \*voir\* \<b\>ci\-dessous\<\/b\> \[1\]\.",
        "",
        r"Les textes précisent aussi \:",
        r"- Art\. 2 \[2\]",
    ]


def test_timing_caption_is_french() -> None:
    assert (
        timing_caption(answer()) == "Réponse en 0,12 s · extractif, hors ligne (phrases des textes)"
    )


def test_conversation_export_has_every_question_answer_and_source() -> None:
    exported = conversation_to_markdown(
        [answer("Comment déclarer ?"), answer("Et qui valide ?", "Le directeur [1].")],
        exported_at="23/11/2026 à 15:00",
    )
    assert exported.startswith("# Conversation avec l'assistant")
    assert "Exportée le 23/11/2026 à 15:00." in exported
    assert exported.index("## Question 1") < exported.index("Comment déclarer ?")
    assert exported.index("## Question 2") < exported.index("Le directeur [1].")
    assert exported.count(f"<{CITATION.url}>") == 2
    assert "seuls les textes officiels font foi" in exported


# -- feedback ------------------------------------------------------------------------------------


def test_rating_of_thumbs_widget() -> None:
    assert [rating_of(v) for v in (None, 0, 1)] == [None, -1, 1]


def test_apply_rating_records_once_then_updates(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    turn = ChatState().add("Qui déclare ?", answer())

    assert apply_rating(turn, 1, store, "conv")
    assert not apply_rating(turn, 1, store, "conv")  # reruns repeat the widget value
    assert apply_rating(turn, 0, store, "conv")
    assert not save_comment(turn, "   ", store)
    assert save_comment(turn, " Imprécis. ", store)

    [stored] = store.records()
    assert (stored.id, stored.rating, stored.comment, stored.conversation_id) == (
        turn.feedback_id,
        -1,
        "Imprécis.",
        "conv",
    )
    assert turn.comment_saved


def test_no_feedback_on_a_failed_turn(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    turn = ChatState().add("???", error="Question illisible.")
    assert not apply_rating(turn, 1, store, "conv")
    assert not save_comment(turn, "commentaire", store)
    assert store.records() == []


def test_source_view_shows_authority_badge_and_update_date() -> None:
    view = source_view(CITATION, [HIT], "2026-02-10T14:30:00+00:00")
    assert view.badge == r":green-badge[niveau 1 · loi ou code]"
    assert plain(view.details).endswith(" · mis à jour le 10/02/2026")
    assert view.markdown().split("\n")[0] == view.badge
    old = replace(CITATION, kind="arrete", status="historique", section="Article 2")
    badge = source_view(old, []).badge
    assert badge == r":blue-badge[niveau 3 · arrêté] :red-badge[historique]"


def test_corpus_overview_shows_update_dates() -> None:
    record = DocumentRecord("csp", "h", "Code", "code", "2023-05-21", "en vigueur", "", 3, "")
    overview = corpus_overview({"csp": record}, {"csp": "2026-02-10T14:30:00+00:00"})
    assert plain(overview.lines[0]).endswith("· mis à jour le 10/02/2026")
    assert "mis à jour" not in corpus_overview({"csp": record}).lines[0]


def test_checklist_markdown_escapes_items_and_cites_them() -> None:
    chunk = make_chunk(
        "csp",
        0,
        "Le directeur déclare le protocole local à l'agence. La déclaration comporte :\n"
        "- le nom des *professionnels* ;\n- l'attestation de [formation].\n",
        kind="code",
    )
    answer = Answer(
        "Quelles pièces pour déclarer un protocole local ?", "R", [], False, [Hit(chunk, 1.0)]
    )
    checklist = build_checklist(answer)
    markdown = checklist_markdown(checklist)
    assert markdown.startswith("**Pièces à fournir**\n\n- ")
    assert r"\[1\]" in markdown
    assert r"[\[1\]](#check-7-1)" in checklist_markdown(checklist, "check-7")
    assert r"    - le nom des \*professionnels\*" in markdown
    assert r"l\'attestation de \[formation\]" in markdown
    [view] = checklist_sources(checklist, answer.passages, {"csp": "2026-02-10"}, "check-7")
    assert view.heading.startswith(r"\[1\]") and view.anchor == "check-7-1"
    assert "mis à jour le 10/02/2026" in plain(view.details)
    empty = build_checklist(Answer("Q ?", "Je ne trouve pas.", [], True, []))
    assert checklist_markdown(empty) == escape_markdown(EMPTY_CHECKLIST)


def test_steps_and_limit_are_french() -> None:
    state = ChatState()
    assert done_label(state.add("Q ?", answer())) == "Réponse rédigée"
    assert done_label(state.add("Q ?", error="Trop long.")) == "Question non traitée"
    assert [s.split(" ")[0] for s in WORKING_STEPS] == ["Recherche", "Rédaction"]
    assert limit_caption(2000) == "Question de 2\u202f000 caractères au plus."
