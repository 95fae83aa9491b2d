"""assistant.answer.authority: ranks by kind, badges, tie-break bonus and divergence notes."""

from __future__ import annotations

import pytest

from assistant.answer.answering import Assistant
from assistant.answer.authority import (
    authority_bonus,
    authority_of,
    authority_sort_key,
    divergence_notes,
    find_divergences,
)
from assistant.schema import Citation
from tests.helpers import make_chunk


def cite(n: int, kind: str, quote: str, *, doc_id: str = "", section: str = "") -> Citation:
    return Citation(n, doc_id or f"doc-{n}", f"Titre {n}", section, 0, "", quote, kind=kind)


@pytest.mark.parametrize(
    ("kind", "section", "level", "badge"),
    [
        ("code", "Article L. 4011-3", 1, "niveau 1 · loi ou code"),
        ("loi", "", 1, "niveau 1 · loi ou code"),
        ("code", "Article D. 4011-4", 2, "niveau 2 · code, partie réglementaire"),
        ("code", "Art. R. 4011-1", 2, "niveau 2 · code, partie réglementaire"),
        ("decret", "Article 3", 2, "niveau 2 · décret"),
        ("arrete", "", 3, "niveau 3 · arrêté"),
        ("faq", "", 4, "niveau 4 · document du ministère"),
        ("instruction", "", 4, "niveau 4 · document du ministère"),
        ("page-ars", "", 5, "niveau 5 · information (ARS, présentation)"),
        ("presentation", "", 5, "niveau 5 · information (ARS, présentation)"),
        ("communique", "", 6, "niveau 6 · communiqué"),
        ("inconnu", "", 6, "niveau 6 · source non classée"),
        ("historique", "", 7, "niveau 7 · document historique"),
        ("presse", "", 8, "niveau 8 · presse, source non officielle"),
    ],
)
def test_authority_of(kind: str, section: str, level: int, badge: str) -> None:
    authority = authority_of(kind, section)
    assert (authority.level, authority.badge) == (level, badge)


def test_hierarchy_order_of_the_issue() -> None:
    kinds = ["communique", "page-ars", "faq", "arrete", "decret", "code"]
    ranked = sorted(kinds, key=lambda k: authority_of(k).level)
    assert ranked == ["code", "decret", "arrete", "faq", "page-ars", "communique"]


def test_sort_key_puts_texts_in_force_first_then_higher_authority() -> None:
    old_law = make_chunk("loi-old", 0, "a", kind="loi", status="historique")
    page = make_chunk("page", 0, "b", kind="page-ars", status="information")
    decree = make_chunk("decret", 0, "c", kind="decret", status="en vigueur")
    ordered = sorted([old_law, page, decree], key=authority_sort_key)
    assert [c.doc_id for c in ordered] == ["decret", "page", "loi-old"]


def test_bonus_is_a_small_tie_break() -> None:
    law = make_chunk("l", 0, "a", kind="code", section="Article L. 4011-1")
    decree = make_chunk("d", 0, "a", kind="decret")
    page = make_chunk("p", 0, "a", kind="page-ars", status="information")
    old = make_chunk("o", 0, "a", kind="code", status="historique")
    bonuses = [authority_bonus(c) for c in (law, decree, page, old)]
    assert bonuses == sorted(bonuses, reverse=True)
    assert bonuses[0] == pytest.approx(0.03)
    assert bonuses[-1] == 0.0
    assert bonuses[1] == pytest.approx(0.025)


def test_divergence_between_a_decree_and_an_ars_page() -> None:
    page = cite(
        1,
        "page-ars",
        "L'agence enregistre la demande d'adhésion dans un délai de trois mois à compter de "
        "la réception du dossier complet.",
    )
    decree = cite(
        2,
        "decret",
        "L'agence enregistre la demande d'adhésion dans un délai de deux mois à compter de "
        "la réception du dossier complet.",
    )
    [divergence] = find_divergences([page, decree])
    assert (divergence.higher.n, divergence.lower.n) == (2, 1)
    assert divergence.higher_figures == ("deux mois",)
    assert divergence.lower_figures == ("trois mois",)
    [note] = divergence_notes([page, decree])
    assert note.startswith("Les sources [2] (décret) et [1] (information (ARS, présentation))")
    assert "deux mois contre trois mois" in note
    assert "[2], prévaut" in note


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # Same figures: no divergence.
        (
            "La déclaration est faite dans un délai de deux mois par le responsable.",
            "La déclaration est faite dans un délai de deux mois par le responsable de structure.",
        ),
        # Different subjects that happen to hold different figures.
        (
            "Le comité national rend son avis dans un délai de trois mois.",
            "Les équipes candidates envoient leur dossier avant le 2 mai 2023 au ministère.",
        ),
        # One side states no figure.
        (
            "L'agence enregistre la demande d'adhésion dans un délai de deux mois.",
            "L'agence enregistre la demande d'adhésion dans un délai raisonnable.",
        ),
        # An article number is not a figure.
        (
            "Les protocoles mentionnés à l'article L. 4011-3 sont autorisés par arrêté.",
            "Les protocoles mentionnés à l'article L. 4011-4 sont autorisés par arrêté.",
        ),
    ],
)
def test_no_divergence(first: str, second: str) -> None:
    assert find_divergences([cite(1, "code", first), cite(2, "page-ars", second)]) == []


def test_same_authority_or_same_document_is_not_a_divergence() -> None:
    a = "L'agence enregistre la demande d'adhésion dans un délai de deux mois à compter du dépôt."
    b = a.replace("deux", "trois")
    assert find_divergences([cite(1, "page-ars", a), cite(2, "presentation", b)]) == []
    same_doc = [cite(1, "code", a, doc_id="csp"), cite(2, "historique", b, doc_id="csp")]
    assert find_divergences(same_doc) == []


def test_ask_returns_the_divergence_notes_of_its_citations(shared_assistant: Assistant) -> None:
    answer = shared_assistant.ask("Comment déclarer la mise en œuvre d'un protocole national ?")
    assert answer.divergences == divergence_notes(answer.citations)
