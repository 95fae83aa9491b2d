"""Answerability: the specific things a question names must be in the evidence."""

from __future__ import annotations

import pytest

from assistant.answer.answerability import missing_entities, question_entities


@pytest.mark.parametrize(
    ("question", "entities"),
    [
        ("Quel est le numéro de l'ARS Bretagne ?", ["bretagne"]),
        ("Que prévoit la loi 2023-379 sur les protocoles ?", ["2023-379"]),
        ("En 2016, quel protocole a été autorisé ?", ["2016"]),
        ("Quelles pièces fournir en Île-de-France ?", ["ile de france"]),
        ("Qui est Olivier Véran ?", ["olivier", "veran"]),
        ("Je suis infirmière, comment adhérer à un protocole national ?", []),
        ("Que dit l'article L. 4011-3 du Code de la santé publique ?", []),
    ],
)
def test_question_entities(question: str, entities: list[str]) -> None:
    assert question_entities(question) == entities


def test_entities_present_in_the_evidence_are_not_missing() -> None:
    evidence = ["ARS Martinique — Travailler dans le cadre d'un protocole", "Le décret 2021-1512"]
    assert missing_entities("Que fait l'ARS Martinique ?", evidence) == []
    assert missing_entities("Que dit le décret 2021-1512 ?", evidence) == []
    assert missing_entities("Que fait l'ARS Bretagne ?", evidence) == ["bretagne"]


def test_an_acronym_is_present_through_its_expansion() -> None:
    evidence = ["Le comité national des coopérations interprofessionnelles sélectionne."]
    assert missing_entities("Comment la CNCI sélectionne-t-elle ?", evidence) == []


def test_assistant_refuses_a_question_on_a_region_the_corpus_does_not_cover(
    shared_assistant: object,
) -> None:
    from assistant.answer.answering import Assistant

    assert isinstance(shared_assistant, Assistant)
    covered = shared_assistant.ask("Comment déclarer la mise en œuvre d'un protocole national ?")
    assert not covered.refused
    uncovered = shared_assistant.ask(
        "Comment déclarer la mise en œuvre d'un protocole national en Bretagne ?"
    )
    assert uncovered.refused
    shared_assistant.check_entities = False
    try:
        assert not shared_assistant.ask(
            "Comment déclarer la mise en œuvre d'un protocole national en Bretagne ?"
        ).refused
    finally:
        shared_assistant.check_entities = True


@pytest.mark.parametrize(
    "question",
    ["Avant 2019, quelles pièces fallait-il fournir ?", "Depuis 2025, que change le décret ?"],
)
def test_a_year_that_dates_the_rule_is_not_an_entity(question: str) -> None:
    assert question_entities(question) == []
