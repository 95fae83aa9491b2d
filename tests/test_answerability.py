"""Answerability: the specific things a question names must be in the evidence."""

from __future__ import annotations

import pytest

from assistant.answer.answerability import (
    missing_entities,
    protocol_subject,
    question_entities,
    unheld_articles,
)


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
        ("Dans quel numéro du Bulletin officiel a paru l'instruction ?", []),
        # The first word of every sentence is capitalised, a name or not.
        ("J'applique ce protocole. Est-il toujours en vigueur ?", []),
        ("C'est quel genre de document ? Qu'est-ce qu'il décrit ?", []),
        ("Mon ARS a refusé. Et en Bretagne ?", ["bretagne"]),
        ("J'exerce à Lille. Qui déclare ?", ["lille"]),
        # Who asks is not what is asked: the school of a student.
        ("Étudiante en IFSI, je prépare un exposé : quels textes ?", []),
        # A professional body as users name it, not a specific one.
        ("Faut-il encore joindre l'attestation d'inscription à l'Ordre ?", []),
        # An English question: its months are the texts' French ones, its adjectives no names.
        (
            "How many experiments did the French arrêté of 13 December 2004 allow?",
            ["2004", "decembre"],
        ),
        # An acronym in the English plural is the acronym; a degree is who asks.
        ("Which decree covers protocols in MSPs and CPTS?", []),
        ("I'm a PhD student: how many experiments were there in 2004?", ["2004"]),
        # What a question gives as an example illustrates what it asks about.
        ("Is there a law for the overseas departments, e.g. Martinique or Réunion?", []),
        ("Quelles régions d'outre-mer, par exemple la Guadeloupe, sont concernées ?", []),
        ("Such as Bretagne? Qui contacter en Occitanie ?", ["occitanie"]),
        # « HPST-era » is HPST (a regime that dates the question), not a name « hpst era ».
        ("Under the old HPST-era rules, how long did they monitor it?", []),
        ("Under the Braun-led reform, who declares?", ["braun"]),
    ],
)
def test_question_entities(question: str, entities: list[str]) -> None:
    assert question_entities(question) == entities


def test_entities_present_in_the_evidence_are_not_missing() -> None:
    evidence = ["ARS Martinique — Travailler dans le cadre d'un protocole", "Le décret 2021-1512"]
    assert missing_entities("Que fait l'ARS Martinique ?", evidence) == []
    assert missing_entities("Que dit le décret 2021-1512 ?", evidence) == []
    assert missing_entities("Que fait l'ARS Bretagne ?", evidence) == ["bretagne"]


def test_where_the_asker_works_is_not_sought_in_the_evidence() -> None:
    evidence = ["Le protocole local est déclaré à l'agence régionale de santé."]
    scene = "Je travaille dans une MSP en Bretagne. À qui déclare-t-on un protocole local ?"
    assert missing_entities(scene, evidence) == []
    # Named by the question itself, it must be there.
    assert missing_entities("À qui déclare-t-on un protocole local en Bretagne ?", evidence) == [
        "bretagne"
    ]
    english = "I'm a nurse in Lyon. Which decree lists the documents to send?"
    assert missing_entities(english, ["Le décret n° 2021-1512 liste les documents."]) == []


def test_an_english_date_is_present_through_its_french_month() -> None:
    question = "How many experiments were authorised by the French arrêté of 13 December 2004?"
    evidence = ["Arrêté du 13 décembre 2004 : 5 expérimentations"]
    assert missing_entities(question, evidence) == []
    assert missing_entities(question, ["Arrêté du 13 mars 2004"]) == ["decembre"]


def test_an_english_field_word_is_present_through_its_french_term() -> None:
    """« Parliament » is sought as « Parlement », the word the texts use."""
    question = "By when does the government report to Parliament on the experiment?"
    assert missing_entities(question, ["Le Gouvernement remet un rapport au Parlement."]) == []
    assert missing_entities(question, ["Le Gouvernement remet un rapport."]) == ["parlement"]
    # A French question's capitalised word is sought as written.
    assert question_entities("Faut-il passer par l'Application du ministère ?") == ["application"]


def test_an_acronym_is_present_through_its_expansion() -> None:
    evidence = ["Le comité national des coopérations interprofessionnelles sélectionne."]
    assert missing_entities("Comment la CNCI sélectionne-t-elle ?", evidence) == []
    law = ["Loi n° 2013-1203 du 23 décembre 2013 de financement de la sécurité sociale pour 2014"]
    assert missing_entities("Que dit la LFSS pour 2014 ?", law) == []
    assert missing_entities("Que dit la LFSS pour 2014 ?", ["Un arrêté de 2014."]) == ["lfss"]


def test_a_law_known_by_its_rapporteur_is_present_through_its_number() -> None:
    law = ["Loi n° 2021-502 du 26 avril 2021 visant à améliorer le système de santé"]
    question = "La loi Rist d'avril 2021 demandait un rapport dans quel délai ?"
    assert missing_entities(question, law) == []
    assert missing_entities(question, ["Loi n° 2019-774 du 24 juillet 2021"]) == ["rist"]


def test_a_word_is_present_through_the_texts_term_in_any_inflection() -> None:
    evidence = ["Le financement est pris en charge par l'assurance-maladie."]
    assert missing_entities("Que rembourse la CPAM ?", evidence) == []
    # The term's words in order and close together, not scattered over the evidence.
    scattered = ["Une assurance responsabilité civile professionnelle obligatoire. Une maladie."]
    assert missing_entities("Que rembourse la CPAM ?", scattered) == ["cpam"]


def test_the_order_is_present_through_its_adjective() -> None:
    evidence = ["L'ARS peut consulter les instances ordinales sur le professionnel."]
    assert missing_entities("L'ARS peut-elle se renseigner auprès de l'Ordre ?", evidence) == []


def test_a_protocol_subject_is_weighed_by_the_rarity_of_its_words() -> None:
    question = (
        "Jusqu'à quand candidater à l'AMI sur la coopération médecins-infirmiers aux urgences ?"
    )
    palliative = ["AMI soins palliatifs : les médecins et les infirmiers candidatent avant mai."]
    rare = {"urgenc": 5.0}
    # Two common words of three are there, the one that says what it is about is not.
    assert missing_entities(question, palliative) == []
    assert missing_entities(question, palliative, lambda t: rare.get(t, 1.0)) != []
    emergency = ["AMI urgences : les infirmiers des urgences candidatent avant mai."]
    assert missing_entities(question, emergency, lambda t: rare.get(t, 1.0)) == []


def test_kinds_of_structure_are_categories_not_entities() -> None:
    assert question_entities("Notre MSP peut-elle démarrer le protocole sans médecin ?") == []
    assert question_entities("Un EHPAD ou une CPTS peut-il déclarer un protocole ?") == []
    # Who asks: « Juriste d'URPS », « une clinique privée MCO ».
    assert question_entities("Juriste d'URPS : que prévoit la loi ?") == []
    assert question_entities("Je travaille dans une clinique MCO. Qui décide ?") == []


def test_a_professional_insurance_is_present_through_its_name() -> None:
    evidence = ["Le délégué souscrit une assurance de responsabilité civile professionnelle."]
    assert missing_entities("Dois-je le dire à mon assurance RCP ?", evidence) == []


def test_an_overseas_region_is_covered_by_what_the_texts_say_of_all_of_them() -> None:
    law = ["Pour les territoires relevant de l'article 73 de la Constitution, un arrêté…"]
    assert missing_entities("À l'ARS Guadeloupe, que prévoit la loi ?", law) == []
    assert missing_entities("À l'ARS Bretagne, que prévoit la loi ?", law) == ["bretagne"]


def test_a_law_known_by_its_acronym_is_present_through_its_number() -> None:
    evidence = ["Les protocoles sont déployés par dérogation à la loi n° 2020-1525."]
    assert missing_entities("Que change la loi ASAP ?", evidence) == []
    assert missing_entities("Que change la loi ASAP ?", ["La loi de 2019."]) == ["asap"]
    # HPST names the regime before 2019 ("un vieux protocole HPST"), not one text to find.
    assert question_entities("Un vieux protocole HPST devient-il national ?") == []


def test_a_glossary_acronym_is_present_through_the_head_of_its_name() -> None:
    evidence = ["Les médecins de la maison de santé signent le protocole."]
    assert missing_entities("Que doit signer la MSP de Brest ?", evidence) == ["brest"]
    assert missing_entities("Que fait la DGOS ?", ["La direction générale décide."]) == []


def test_an_acronym_outside_the_glossary_is_present_when_the_evidence_spells_it() -> None:
    evidence = ["Le rôle de la Caisse centrale de la mutualité sociale agricole est précisé."]
    assert missing_entities("Que fait la CCMSA ?", evidence) == []
    assert missing_entities("Que fait la DREES ?", evidence) == ["drees"]
    # Only what the question typed in capitals: a name is never matched by initials.
    assert missing_entities("Que dit Véran ?", ["vers en range avec nous"]) == ["veran"]


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
    [
        "Avant 2019, quelles pièces fallait-il fournir ?",
        "Depuis 2025, que change le décret ?",
        "Avant la réforme de 2019, l'ARS avait combien de temps ?",
        "Avant la loi de juillet 2019, qui autorisait un protocole ?",
        "Depuis le décret de septembre 2025, qui déclare ?",
        # A year that frames a state of the past (imperfect), not an event of that year.
        "Directeur d'un ESMS : en 2022, quel décret encadrait la déclaration ?",
    ],
)
def test_a_year_that_dates_the_rule_is_not_an_entity(question: str) -> None:
    assert question_entities(question) == []


@pytest.mark.parametrize(
    ("question", "subject"),
    [
        (
            "Que prévoit le protocole national sur la prise en charge du mal de gorge ?",
            ["mal", "gorg"],
        ),
        (
            "Existe-t-il un protocole qui permet à l'infirmière de renouveler une contraception ?",
            ["renouvel", "contracept"],
        ),
        ("Existe-t-il un protocole pour les entorses de la cheville ?", ["entors", "chevill"]),
        ("Comment adhérer à un protocole de coopération ?", []),
        ("Qui pouvait répondre à l'AMI sur la vaccination ?", ["vaccin"]),
        ("Comment candidater à un AMI pour un futur protocole national ?", []),
        ("Qui déclare un protocole local à l'ARS ?", []),
        # A protocol known by its subject, the noun right after it.
        ("Le protocole national odynophagie : faut-il un test ?", ["odynophag"]),
        ("Pour le protocole pollakiurie et brûlures, quelles patientes ?", ["pollakiur"]),
        ("Dans le protocole cystite, quel antibiotique ?", ["cystit"]),
        # Not a verb, an adjective or a participle.
        ("Notre protocole local marche très bien : peut-il être étendu ?", []),
        ("Si un professionnel engagé dans un protocole décédait, que devenait-il ?", []),
        ("Un protocole repris comme protocole national doit-il être déclaré ?", []),
        ("Les protocoles antérieurs à 2014 sont-ils financés ?", []),
        ("Le protocole autorisé, est-il valable ?", []),
        # Its subject after « de », not whose it is.
        ("Combien d'heures pour le protocole national de sutures par l'infirmier ?", ["sutur"]),
        ("Un protocole local d'hôpital peut-il être étendu ?", []),
        # Where it was filed is not what it is about; a word of time ends the subject.
        ("On a déposé notre protocole local sur la plateforme hier : on peut commencer ?", []),
        ("Notre protocole sur le site du ministère est-il valable ?", []),
        ("On a lancé le protocole sur les sutures hier, que faire ?", ["sutur"]),
        # The kind of care, then what it is about.
        (
            "Pour le protocole de soins non programmés sur l'odynophagie, quel âge ?",
            ["odynophag"],
        ),
    ],
)
def test_protocol_subject(question: str, subject: list[str]) -> None:
    assert protocol_subject(question) == subject


def test_a_protocol_subject_absent_from_the_evidence_is_missing() -> None:
    evidence = ["Protocole national : prise en charge de la cystite par le pharmacien."]
    question = "Que prévoit le protocole national sur la prise en charge du mal de gorge ?"
    assert missing_entities(question, evidence) == ["mal gorg"]
    covered = "Que prévoit le protocole national sur la prise en charge de la cystite ?"
    assert missing_entities(covered, evidence) == []


def test_a_named_article_that_does_not_state_what_is_asked_is_refused(
    shared_assistant: object,
) -> None:
    """Naming an article no longer bypasses the answer-type check: it must state the number."""
    from assistant.answer.answering import Assistant

    assert isinstance(shared_assistant, Assistant)
    named = "Selon l'article L. 4011-2, quel décret fixe les exigences de qualité ?"
    assert not shared_assistant.ask(named).refused
    number = "Quel est le numéro du décret prévu par l'article L. 4011-2 sur les exigences ?"
    assert shared_assistant.ask(number).refused
    shared_assistant.check_answer_type = False
    try:
        assert not shared_assistant.ask(number).refused
    finally:
        shared_assistant.check_answer_type = True


def test_a_year_is_covered_by_what_the_texts_say_of_everything_before_a_later_year() -> None:
    question = "Un protocole autorisé par notre ARS en 2016 peut-il devenir un protocole national ?"
    before = [
        "Les protocoles autorisés antérieurement à l'entrée en vigueur de l'article 66 de la loi "
        "n° 2019-774 du 24 juillet 2019 peuvent être autorisés en tant que protocoles nationaux."
    ]
    assert missing_entities(question, before) == []
    # A year after the limit is not covered, nor one the evidence does not bound.
    assert missing_entities(question.replace("2016", "2021"), before) == ["2021"]
    assert missing_entities(question, ["Les protocoles nationaux sont autorisés par arrêté."]) == [
        "2016"
    ]


def test_overseas_as_a_whole_is_covered_by_any_overseas_region() -> None:
    question = "Un texte encourage-t-il les protocoles de coopération dans les DOM ?"
    assert missing_entities(question, ["ARS Martinique : travailler dans un protocole."]) == []
    assert missing_entities(question, ["Les collectivités d'outre-mer."]) == []
    assert missing_entities(question, ["ARS Bretagne : travailler dans un protocole."]) == ["dom"]


def test_names_joined_by_a_hyphen_are_present_when_each_is_said() -> None:
    evidence = ["Rapport d'évaluation en juin 2006 (Professeur Berland – Docteur Bourgueil)"]
    question = "Qu'a conclu l'évaluation Berland-Bourgueil ?"
    assert missing_entities(question, evidence) == []
    # One name alone is not the pair.
    assert missing_entities(question, ["Rapport du Professeur Berland"]) == ["berland bourgueil"]


def test_an_article_neither_held_nor_cited_is_unheld() -> None:
    question = "Que prévoyait l'article D. 4011-1 dans sa rédaction issue du décret n° 2020-148 ?"
    decree = ["Vu le code de la santé publique, notamment les articles L. 4011-1 et suivants ;"]
    assert unheld_articles(question, lambda reference: False, decree) == ["D4011-1"]
    assert unheld_articles(question, lambda reference: reference == "D4011-1", decree) == []
    # Cited by a passage: the passage may say what it provides.
    assert unheld_articles(question, lambda reference: False, ["l'article D. 4011-1 prévoit"]) == []


def test_assistant_refuses_a_question_on_an_article_the_corpus_lacks(
    shared_assistant: object,
) -> None:
    from assistant.answer.answering import Assistant

    assert isinstance(shared_assistant, Assistant)
    assert not shared_assistant.ask("Que prévoit l'article L. 4011-3 ?").refused
    # Worded like L. 4011-3, which the corpus holds: only the article named is missing.
    lacking = (
        "Que prévoyait l'article R. 4011-9 sur les protocoles nationaux autorisés par arrêté des "
        "ministres chargés de la santé après avis de la Haute Autorité de santé ?"
    )
    assert shared_assistant.ask(lacking).refused


def test_a_protocol_subject_may_be_said_anywhere_in_the_cited_document() -> None:
    question = "Dans les protocoles de soins non programmés, peut-on coter un acte en plus ?"
    passage = ["La facturation des protocoles ne peut être cumulée avec une cotation."]
    elsewhere = ["Six protocoles autorisés dans le cadre des soins non programmés en ville."]
    assert missing_entities(question, passage) == ["soin non programm"]
    assert missing_entities(question, passage, documents=elsewhere) == []
    assert missing_entities(question, passage, documents=["Un autre sujet."]) != []
