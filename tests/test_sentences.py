"""Answer units are never cut inside a statement: a list after a whole item, a sentence whole."""

from __future__ import annotations

from assistant.text.sentences import split_sentences


def test_a_long_list_is_cut_after_its_last_whole_item() -> None:
    items = [f"pièce numéro {n} à joindre au dossier de déclaration de l'équipe" for n in range(20)]
    text = "Les pièces suivantes sont déposées :\n" + "\n".join(f"- {item} ;" for item in items)
    [unit] = split_sentences(text)
    assert unit.endswith(" ; […]")
    kept = unit.removesuffix(" ; […]").split(" ; ")
    # Every item kept is whole: the last one is the full text of an item.
    assert kept[-1] in items
    assert len(unit) <= 710


def test_a_long_sentence_is_kept_whole_rather_than_cut() -> None:
    sentence = (
        "Les professionnels de santé exerçant en équipe peuvent s'engager, à leur initiative, "
        + "dans une démarche de coopération, " * 20
        + "pour mieux répondre aux besoins des patients."
    )
    assert 700 < len(sentence) < 1120
    assert split_sentences(sentence) == [sentence]


def test_a_very_long_sentence_is_cut_after_a_clause_not_inside_a_word() -> None:
    sentence = "Le directeur général " + "informe les professionnels concernés, " * 40 + "fin."
    [unit] = split_sentences(sentence)
    assert unit.endswith("concernés […]")
