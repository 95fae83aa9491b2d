from __future__ import annotations

import pytest

from assistant.answer.answering import Assistant
from assistant.retrieve.hybrid import HybridRetriever
from assistant.text.glossary import expand_vocabulary, expansions
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


def test_lexical_search_finds_the_spelled_out_name(shared_assistant: Assistant) -> None:
    hybrid = shared_assistant.retriever
    bm25 = HybridRetriever(hybrid.store, hybrid.embedder, hybrid.lexical, mode="bm25")
    # No passage contains "CNCI": only its spelled-out name can match.
    hits = bm25.search("Que fait le CNCI ?", 1)
    assert hits and hits[0].chunk.doc_id == AMI.doc_id
