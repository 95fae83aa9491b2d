from __future__ import annotations

import json
import re

import pytest

from assistant.present.rendering import (
    answer_to_dict,
    answer_to_json,
    answer_to_markdown,
    answer_to_text,
    citation_label,
    citation_location,
    conversation_to_markdown,
)
from assistant.schema import Answer, Citation, Hit
from tests.helpers import make_chunk

IN_FORCE = Citation(
    n=1,
    doc_id="csp-l4011",
    title="Code de la santé publique",
    section="Article L. 4011-3",
    page=2,
    url="https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000047568143",
    quote="Les protocoles nationaux sont autorisés par arrêté.",
    kind="code",
    date="2023-05-21",
    status="en vigueur (à vérifier)",
)
HISTORICAL = Citation(
    n=2,
    doc_id="csp-l4011-2009",
    title="Article L. 4011-3 (rédaction de 2009)",
    section="",
    page=0,
    url="",
    quote="L'agence vérifie que les protocoles répondent à un besoin de santé.",
    kind="historique",
    date="2009-07-23",
    status="historique",
)
HIT = Hit(
    chunk=make_chunk("csp-l4011", 4, "Article L. 4011-3\nLes protocoles nationaux …"),
    score=0.0327868852,
    dense_score=0.812345,
    exact_reference=True,
)
ANSWER = Answer(
    question="Qui autorise les protocoles nationaux ?",
    text="Les ministres, par arrêté [1]. Avant 2019, l'ARS [2].",
    citations=[IN_FORCE, HISTORICAL],
    refused=False,
    passages=[HIT],
    notice="Certaines références ont été retirées.",
    backend="openai",
)


@pytest.mark.parametrize(
    ("citation", "location"),
    [
        (IN_FORCE, "Article L. 4011-3, p. 2"),
        (HISTORICAL, ""),
        (Citation(3, "d", "T", "", 5, "", ""), "p. 5"),
    ],
)
def test_citation_location(citation: Citation, location: str) -> None:
    assert citation_location(citation) == location


@pytest.mark.parametrize(
    ("citation", "label"),
    [
        (
            IN_FORCE,
            "[1] Code — Code de la santé publique — Article L. 4011-3, p. 2 (2023-05-21)",
        ),
        (
            HISTORICAL,
            "[2] Historique — Article L. 4011-3 (rédaction de 2009) (2009-07-23) [historique]",
        ),
        (Citation(3, "d", "Sans type", "", 0, "", "", kind=""), "[3] Sans type"),
        (Citation(4, "d", "Nouveau", "", 0, "", "", kind="inconnu"), "[4] inconnu — Nouveau"),
        (
            Citation(5, "d", "AMI", "", 0, "", "", kind="ami", status="clos (2023)"),
            "[5] Appel à manifestation d'intérêt — AMI [clos (2023)]",
        ),
    ],
)
def test_citation_label(citation: Citation, label: str) -> None:
    assert citation_label(citation) == label


def test_answer_to_text() -> None:
    assert answer_to_text(ANSWER) == "\n".join(
        [
            "Les ministres, par arrêté [1]. Avant 2019, l'ARS [2].",
            "",
            "Remarque : Certaines références ont été retirées.",
            "",
            "Sources :",
            "[1] Code — Code de la santé publique — Article L. 4011-3, p. 2 (2023-05-21)"
            " [niveau 1 · loi ou code]",
            "    « Les protocoles nationaux sont autorisés par arrêté. »",
            "    https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000047568143",
            "[2] Historique — Article L. 4011-3 (rédaction de 2009) (2009-07-23) [historique]"
            " [niveau 7 · document historique]",
            "    « L'agence vérifie que les protocoles répondent à un besoin de santé. »",
        ]
    )


def test_refusal_as_text_has_no_sources() -> None:
    refusal = Answer("Q ?", "Je ne trouve pas la réponse.", [], True, [])
    assert answer_to_text(refusal) == "Je ne trouve pas la réponse."


def test_answer_to_markdown() -> None:
    markdown = answer_to_markdown(ANSWER)
    assert markdown.startswith(
        "**Question :** Qui autorise les protocoles nationaux ?\n\n"
        "Les ministres, par arrêté [1]. Avant 2019, l'ARS [2].\n\n"
        "> Certaines références ont été retirées.\n\n**Sources**\n\n"
    )
    assert (
        "- [1] Code — Code de la santé publique — Article L. 4011-3, p. 2 (2023-05-21) "
        "[niveau 1 · loi ou code] — "
        "<https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000047568143>\n"
        "  > « Les protocoles nationaux sont autorisés par arrêté. »"
    ) in markdown
    # No URL: no empty link.
    assert (
        "- [2] Historique — Article L. 4011-3 (rédaction de 2009) (2009-07-23) [historique] "
        "[niveau 7 · document historique]\n"
    ) in markdown
    assert "<>" not in markdown


def test_answer_to_json_keeps_accents_and_summarises_passages() -> None:
    text = answer_to_json(ANSWER)
    assert "« Les protocoles nationaux sont autorisés par arrêté. »" not in text  # not rendered
    assert "autorisés" in text  # UTF-8 kept, not \u00e9
    data = json.loads(text)
    assert data["question"] == ANSWER.question
    assert data["refused"] is False
    assert data["backend"] == "openai"
    assert [c["n"] for c in data["citations"]] == [1, 2]
    assert data["citations"][0]["url"] == IN_FORCE.url
    assert data["citations"][1]["status"] == "historique"
    assert data["passages"] == [
        {
            "doc_id": "csp-l4011",
            "section": "",
            "page": 0,
            "score": 0.03279,
            "dense_score": 0.8123,
            "exact_reference": True,
            "text": "Article L. 4011-3\nLes protocoles nationaux …",
        }
    ]


def test_answer_to_dict_without_dense_score() -> None:
    hit = Hit(chunk=HIT.chunk, score=1.0)
    data = answer_to_dict(Answer("Q", "R [1]", [IN_FORCE], False, [hit]))
    assert data["passages"][0]["dense_score"] is None
    assert data["passages"][0]["score"] == 1.0


def test_markdown_export_is_inert_for_hostile_documents() -> None:
    hostile = Citation(
        1,
        "piege",
        "Titre <script>alert(1)</script> [clique](javascript:alert(1))",
        "Section ![img](https://evil.example/x.png)",
        3,
        "javascript:alert(4)",
        "<img src=x onerror=alert(2)> [clique](javascript:alert(3))",
        kind="page",
    )
    answer = Answer(
        "Que dit <b>la page</b> ?",
        "Réponse <script>alert(5)</script> [clique](javascript:alert(6)) [1].\n# Titre injecté",
        [hostile],
        False,
        [],
    )
    markdown = conversation_to_markdown([answer])
    assert not re.search(r"(?<!\\)<(?:script|img|b)\b", markdown)  # HTML stays text
    assert "javascript:alert(4)" not in markdown  # the non-http link is dropped
    # A link or an image needs an unescaped "](" or "![": none is left.
    assert not re.search(r"(?<!\\)\]\(|(?<!\\)!(?<!\\)\[", markdown)
    assert "\\# Titre injecté" in markdown  # no heading from a document line
    assert "[1]." in markdown  # the answer's own marker stays readable
    assert "- [1] Page web — Titre \\<script\\>" in markdown


def test_markdown_export_keeps_http_links_only() -> None:
    ok = Citation(1, "a", "A", "", 0, "https://www.legifrance.gouv.fr/x", "q", kind="code")
    bad = Citation(2, "b", "B", "", 0, "data:text/html,<b>x</b>", "q", kind="code")
    markdown = answer_to_markdown(Answer("Q ?", "R [1] [2].", [ok, bad], False, []))
    assert "<https://www.legifrance.gouv.fr/x>" in markdown
    assert "data:" not in markdown
