from __future__ import annotations

import pytest

from assistant.answer.answering import Assistant
from assistant.retrieve.hybrid import HybridRetriever
from assistant.text.glossary import expand_vocabulary, expansions, legal_references
from tests.helpers import AMI


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Qui siège au CNCI ?",
            [
                "comité national des coopérations interprofessionnelles",
                "membres composition comprend",
            ],
        ),
        ("Un kiné à l'hôpital", ["masseur-kinésithérapeute", "établissement de santé"]),
        ("La HAS et l'ARS, puis la HAS", ["Haute Autorité de santé", "agence régionale de santé"]),
        (
            "L'instance des résidents de l'EHPAD",
            ["conseil de la vie sociale", "établissement médico-social"],
        ),
        ("Le cnci en minuscules n'est pas un sigle", []),
        ("Un sigle inconnu : XYZ", []),
    ],
)
def test_expansions(text: str, expected: list[str]) -> None:
    assert expansions(text) == expected


def test_expand_vocabulary_keeps_the_text_first() -> None:
    assert expand_vocabulary("Rôle du CNCI ?") == (
        "Rôle du CNCI ? comité national des coopérations interprofessionnelles"
    )
    assert expand_vocabulary("Sans sigle.") == "Sans sigle."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Une CPTS peut-elle écrire un protocole local ?", ["L. 1434-12"]),
        ("Notre maison de santé et la cpts", ["L. 1411-11-1", "L. 1434-12"]),
        ("Un EHPAD, puis un Ehpad", ["L. 312-1"]),
        # Inside a longer word, or no structure named: nothing.
        ("Les ESPaces numériques de l'hôpital", []),
    ],
)
def test_legal_references_of_the_structures_named(text: str, expected: list[str]) -> None:
    assert legal_references(text) == expected


def test_expand_vocabulary_adds_the_defining_article() -> None:
    assert expand_vocabulary("Et en CPTS ?").endswith(
        "communauté professionnelle territoriale de santé L. 1434-12"
    )


def test_lexical_search_finds_the_spelled_out_name(shared_assistant: Assistant) -> None:
    hybrid = shared_assistant.retriever
    bm25 = HybridRetriever(hybrid.store, hybrid.embedder, hybrid.lexical, mode="bm25")
    # No passage contains "CNCI": only its spelled-out name can match.
    hits = bm25.search("Que fait le CNCI ?", 1)
    assert hits and hits[0].chunk.doc_id == AMI.doc_id


def test_the_code_of_social_action_and_families_names_no_council() -> None:
    """« familles » in the Code's name is no resident's family: no « conseil de la vie sociale »."""
    question = "Que prévoit l'article L. 312-1 du code de l'action sociale et des familles ?"
    assert "conseil de la vie sociale" not in expand_vocabulary(question)
    assert "conseil de la vie sociale" in expand_vocabulary("Les résidents sont-ils informés ?")
