"""Answer units are never cut inside a statement: a list after a whole item, a sentence whole."""

from __future__ import annotations

from assistant.text.sentences import (
    complete_part,
    leading_list_items,
    list_goes_on,
    list_introduction,
    split_sentences,
    starts_with_list_item,
)


def test_a_long_list_is_cut_after_its_last_whole_item() -> None:
    items = [f"pièce numéro {n} à joindre au dossier de déclaration de l'équipe" for n in range(20)]
    text = "Les pièces suivantes sont déposées :\n" + "\n".join(f"- {item} ;" for item in items)
    units = split_sentences(text)
    assert len(units) > 1
    for unit in units:
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


# --- lists cut by length or by the end of a passage ----------------------------------------------

_INDICATORS = (
    "Ces indicateurs de suivi portent sur :\n"
    "1° Le nombre de patients ayant été pris en charge au titre du protocole ;\n"
    "2° Le taux de reprise par les professionnels de santé délégants, qui correspond au nombre "
    "d'actes réalisés par le délégant sur appel du délégué par rapport au nombre d'actes "
    "réalisés par le délégué ;\n"
    "3° La nature et le taux d'événements indésirables s'il y a lieu, qui correspond au nombre "
    "d'événements indésirables déclarés par rapport au nombre d'actes réalisés par le délégué ;\n"
    "4° Le taux de satisfaction des professionnels de santé adhérents au protocole, qui "
    "correspond au nombre de professionnels ayant répondu « satisfait » ou « très satisfait » "
    "par rapport au nombre de professionnels ayant exprimé leur niveau de satisfaction au moyen "
    "d'un questionnaire dédié."
)


def test_a_long_list_is_quoted_in_parts_each_with_its_introduction() -> None:
    units = split_sentences(_INDICATORS)

    assert len(units) == 2
    assert all(u.startswith("Ces indicateurs de suivi portent sur :") for u in units)
    assert units[0].endswith("; […]")
    assert units[1].startswith("Ces indicateurs de suivi portent sur : […] Le taux de satisfaction")
    assert units[1].endswith("questionnaire dédié.")
    # Every item is quoted, none lost to the length limit.
    for item in ("nombre de patients", "taux de reprise", "événements indésirables", "satisfait"):
        assert any(item in u for u in units)


def test_a_list_after_a_long_introduction_repeats_only_its_main_clause() -> None:
    """A later part of the list opens on the clause that says what the items are, not on the
    whole introduction, which would leave no room for the items."""
    introduction = (
        "Pour une durée de quatre ans à compter de la présente loi, "
        + "dans le ressort de plusieurs caisses régionales désignées par arrêté, " * 4
        + "le conseiller en prévention des caisses assure :"
    )
    items = [
        f"La visite numéro {n} du salarié, suivie d'un échange écrit sur les risques relevés"
        f" lors de l'inspection et d'un compte rendu remis à l'employeur"
        for n in range(1, 7)
    ]
    units = split_sentences(introduction + "\n" + "\n".join(f"- {item} ;" for item in items))

    assert units[0].startswith("Pour une durée de quatre ans")
    again = "[…] le conseiller en prévention des caisses assure : […] "
    assert all(unit.startswith(again) for unit in units[1:])
    # Every item is quoted whole in one unit.
    for item in items:
        assert any(item in unit for unit in units)


def test_a_text_without_lines_has_no_units() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n ") == []


def test_a_heading_that_the_next_paragraph_says_again_is_not_a_unit() -> None:
    """« Suivi des plaies par l'infirmier » over the paragraph that says it is no answer alone."""
    paragraph = (
        "Le centre a organisé le suivi des plaies par l'infirmier de l'équipe dans tout le canton."
    )
    assert split_sentences(f"Suivi des plaies par l'infirmier\n\n{paragraph}") == [paragraph]
    # A heading that the paragraph does not repeat stays, and list items are no headings.
    assert len(split_sentences(f"Le bilan annuel du réseau régional\n\n{paragraph}")) == 2
    items = "• le suivi des plaies par l'infirmier\n• le suivi des plaies par l'infirmier de nuit"
    assert len(split_sentences(f"Voici deux cas.\n{items}")) == 2


def test_a_list_cut_by_the_end_of_its_passage_says_so() -> None:
    cut = "Les pièces à joindre sont :\n- la déclaration signée ;\n- la liste des professionnels ;"
    assert split_sentences(cut) == [
        "Les pièces à joindre sont : la déclaration signée ; la liste des professionnels ; […]"
    ]
    whole = cut.removesuffix(" ;") + "."
    assert split_sentences(whole)[0].endswith("la liste des professionnels.")


def test_an_item_that_introduces_a_sub_list_starts_a_unit_of_its_own() -> None:
    text = (
        "Le protocole doit, en ce qui concerne :\n"
        "1° Enoncer les conditions d'expérience professionnelle des délégués ;\n"
        "2° Définir les conditions de qualité du processus de prise en charge relatives :\n"
        "a) Aux étapes de l'intervention, au moyen d'arbres de décision ;\n"
        "b) Au partage des données de santé entre professionnels."
    )
    units = split_sentences(text)

    assert units[0] == (
        "Le protocole doit, en ce qui concerne : Enoncer les conditions d'expérience "
        "professionnelle des délégués ; […]"
    )
    assert units[1].startswith("Définir les conditions de qualité du processus")
    assert "arbres de décision" in units[1]


def test_a_list_whose_source_stops_mid_word_ends_on_whole_words() -> None:
    text = (
        "Les pièces à joindre sont :\n"
        "- Pièces d'identité : carte professionnelle et diplôme ;\n"
        "- Pièces de l'équipe : liste des membres, attestation, conven[…]"
    )
    assert split_sentences(text) == [
        "Les pièces à joindre sont : Pièces d'identité : carte professionnelle et diplôme ; "
        "Pièces de l'équipe : liste des membres, attestation ; […]"
    ]


def test_an_introduction_without_its_list_is_not_quoted() -> None:
    ends_on_introduction = (
        "Le directeur transmet chaque année les indicateurs de suivi des protocoles locaux. "
        "Ces indicateurs de suivi renseignent au minimum sur :"
    )
    assert complete_part(ends_on_introduction) == (
        "Le directeur transmet chaque année les indicateurs de suivi des protocoles locaux."
    )
    assert complete_part("Ces indicateurs de suivi renseignent au minimum sur :") is None


def test_a_passage_that_ends_in_an_unfinished_list_goes_on() -> None:
    # It ends on the introduction, or on an item that announces more.
    assert list_goes_on("Le directeur transmet les données. Ces indicateurs portent sur :")
    assert list_goes_on(_INDICATORS[:200].rsplit("\n", 1)[0])
    # A finished list, a sentence or a question used as a title does not go on.
    assert not list_goes_on(_INDICATORS)
    assert not list_goes_on("Un texte qui finit sur une phrase.")
    assert not list_goes_on("Qui peut adhérer ?:")
    assert not list_goes_on("")


def test_leading_list_items_stop_at_the_first_line_that_is_no_item() -> None:
    text = "2° Le taux de reprise ;\n3° Le taux de satisfaction.\nLe directeur informe."
    assert leading_list_items(text) == ["2° Le taux de reprise ;", "3° Le taux de satisfaction."]
    assert leading_list_items("Le directeur informe.\n1° Un item ;") == []


def test_list_introduction_of_a_passage_that_ends_in_a_list() -> None:
    assert list_introduction(_INDICATORS[:200]) == "Ces indicateurs de suivi portent sur :"
    # The introduction is the last sentence of its line, its numbering left out.
    line = "II.-Le directeur transmet les données. Ces indicateurs renseignent sur :\n- le nombre"
    assert list_introduction(line) == "Ces indicateurs renseignent sur :"
    # A PDF line wrapped inside an item is still the list.
    wrapped = (
        "Cinq indicateurs sont obligatoires :\n\n"
        "\uf0b7 Nombre de patients pris en charge au titre du\n\nprotocole"
    )
    assert list_introduction(wrapped) == "Cinq indicateurs sont obligatoires :"
    assert list_introduction("Un texte qui finit sur une phrase.") is None
    assert starts_with_list_item("2° Le taux de reprise ;")
    assert not starts_with_list_item("Le taux de reprise.")
