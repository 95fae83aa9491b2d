"""assistant.answer.checklist: items taken from the passages, classified, cited; `--checklist`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from assistant import factory
from assistant.answer.answering import Assistant
from assistant.answer.checklist import (
    EMPTY_CHECKLIST,
    HISTORICAL_LEFT_OUT,
    build_checklist,
    classify,
    is_complete_sentence,
    wants_checklist,
)
from assistant.present.rendering import checklist_to_dict, checklist_to_text
from assistant.schema import Answer, Chunk, Citation, Hit
from ingest.indexing import Ingestor
from tests.fakes import HashingEmbedder
from tests.helpers import make_chunk, make_settings, open_store, write_corpus

DECREE_TEXT = (
    "Article D. 4011-4-1\n"
    "Le responsable déclare la mise en œuvre d'un protocole local au directeur général de "
    "l'agence régionale de santé. La déclaration comporte :\n"
    "- le nom des professionnels délégants et délégués ;\n"
    "- le numéro d'enregistrement au tableau ordinal et son justificatif ;\n"
    "- l'attestation sur l'honneur de l'acquisition des compétences.\n"
    "Les professionnels délégués doivent avoir suivi la formation prévue par le protocole local.\n"
    "Le responsable transmet annuellement à l'agence les indicateurs de suivi du protocole local.\n"
)
PAGE_TEXT = (
    "Déclarez votre protocole local sur la plateforme démarches simplifiées. "
    "Le protocole local peut débuter une fois la déclaration enregistrée par l'agence.\n"
)
OLD_TEXT = (
    "Les professionnels soumettent le protocole local à l'agence régionale de santé avec les "
    "pièces justificatives par lettre recommandée.\n"
)
DECREE = make_chunk(
    "csp-d4011", 0, DECREE_TEXT, kind="code", section="Article D. 4011-4-1", status="en vigueur"
)
PAGE = make_chunk("page-ars", 0, PAGE_TEXT, kind="page-ars", status="information")
OLD = make_chunk("arrete-2009", 0, OLD_TEXT, kind="arrete", status="historique")
QUESTION = "Quelles pièces fournir pour déclarer un protocole local ?"


def answer_on(*chunks: Chunk, citations: list[Citation] | None = None) -> Answer:
    hits = [Hit(chunk=c, score=1.0 - i / 10) for i, c in enumerate(chunks)]
    return Answer(QUESTION, "Réponse [1].", citations or [], False, hits)


@pytest.mark.parametrize(
    ("sentence", "category"),
    [
        ("La déclaration comporte le nom des professionnels.", "documents"),
        ("Joindre l'attestation d'assurance.", "documents"),
        ("L'enregistrement intervient dans un délai de deux mois.", "deadlines"),
        ("Le responsable transmet annuellement les indicateurs.", "deadlines"),
        ("Le directeur déclare la mise en œuvre à l'agence.", "steps"),
        ("Le protocole est autorisé par arrêté.", "steps"),
        ("Les délégués doivent avoir suivi la formation.", "conditions"),
        ("Les protocoles de coopération améliorent l'accès aux soins.", None),
    ],
)
def test_classify(sentence: str, category: str | None) -> None:
    assert classify(sentence) == category


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Puis-je adhérer à ce protocole ?", True),
        ("Quelles pièces fournir ?", True),
        ("Qui valide un protocole local ?", True),
        ("Que dit l'article L. 4011-1 ?", False),
    ],
)
def test_wants_checklist(question: str, expected: bool) -> None:
    assert wants_checklist(question) is expected


def test_items_are_classified_cited_and_lists_kept_whole() -> None:
    decree_citation = Citation(
        1, "csp-d4011", "Titre", "Article D. 4011-4-1", 0, "", "Le responsable déclare", "code"
    )
    checklist = build_checklist(answer_on(PAGE, DECREE, citations=[decree_citation]))
    sections = {s.category: s for s in checklist.sections}
    assert list(sections) == ["conditions", "documents", "steps", "deadlines"]
    [document] = sections["documents"].items
    assert document.n == 1  # the answer's own number for the decree passage
    assert document.text.endswith("La déclaration comporte :")
    assert document.details == (
        "le nom des professionnels délégants et délégués",
        "le numéro d'enregistrement au tableau ordinal et son justificatif",
        "l'attestation sur l'honneur de l'acquisition des compétences",
    )
    assert [i.text for i in sections["conditions"].items] == [
        "Les professionnels délégués doivent avoir suivi la formation prévue par le protocole "
        "local."
    ]
    # The uncited page gets the next number and a citation quoting its items.
    page_steps = [i for i in sections["steps"].items if i.n == 2]
    assert page_steps and page_steps[0].text.startswith("Déclarez votre protocole local")
    added = checklist.citations[1]
    assert (added.n, added.doc_id, added.kind) == (2, "page-ars", "page-ars")
    assert "Déclarez votre protocole local" in added.quote
    assert sections["deadlines"].items[0].text.startswith("Le responsable transmet annuellement")
    assert checklist.notes == []


def test_higher_authority_first_and_kept_over_its_paraphrase() -> None:
    page = make_chunk(
        "page",
        0,
        "Déclarez le protocole local à l'agence régionale. "
        "Le comité national rend un avis sur le protocole local.",
        kind="page-ars",
    )
    code = make_chunk("code", 0, "Le directeur déclare le protocole local à l'agence.", kind="code")
    checklist = build_checklist(answer_on(page, code))
    [steps] = checklist.sections
    # Retrieved second, the code comes first; the page's paraphrase of it is dropped.
    assert [(checklist.citations[i.n - 1].doc_id, i.text[:20]) for i in steps.items] == [
        ("code", "Le directeur déclare"),
        ("page", "Le comité national r"),
    ]


def test_historical_passages_are_left_out_when_texts_in_force_answer() -> None:
    checklist = build_checklist(answer_on(OLD, DECREE))
    cited = {c.doc_id for c in checklist.citations}
    assert cited == {"csp-d4011"}
    assert HISTORICAL_LEFT_OUT in checklist.notes
    only_old = build_checklist(answer_on(OLD))
    assert [s.category for s in only_old.sections] == ["documents"]
    assert only_old.citations[0].status == "historique"


def test_irrelevant_sentences_are_left_out() -> None:
    other = make_chunk(
        "ami",
        0,
        "Les équipes candidates doivent envoyer leur candidature au ministère.",
        kind="ami",
    )
    checklist = build_checklist(answer_on(other))
    assert checklist.empty
    assert checklist.notes == [EMPTY_CHECKLIST]


def test_refused_answer_gives_an_empty_checklist() -> None:
    refused = Answer(QUESTION, "Je ne trouve pas.", [], True, [Hit(DECREE, 1.0)])
    checklist = build_checklist(refused)
    assert checklist.empty and checklist.sections == []


def test_text_and_json_rendering() -> None:
    checklist = build_checklist(answer_on(DECREE))
    text = checklist_to_text(checklist)
    assert text.startswith(f"Liste de vérification : {QUESTION}\n\nConditions à remplir :\n")
    assert "  [ ] Les professionnels délégués doivent avoir suivi la formation" in text
    assert "        - l'attestation sur l'honneur de l'acquisition des compétences" in text
    assert "Sources :\n[1] Code — Titre de csp-d4011 — Article D. 4011-4-1" in text
    assert "[niveau 2 · code, partie réglementaire]" in text
    data = checklist_to_dict(checklist)
    assert [s["category"] for s in data["sections"]] == ["conditions", "documents", "deadlines"]
    assert data["citations"][0]["authority_level"] == 2
    json.dumps(data, ensure_ascii=False)


def test_checklist_from_the_real_assistant(shared_assistant: Assistant) -> None:
    answer = shared_assistant.ask("Comment déclarer la mise en œuvre d'un protocole national ?")
    assert not answer.refused
    checklist = build_checklist(answer, idf=shared_assistant.retriever.lexical.idf)
    steps = next(s for s in checklist.sections if s.category == "steps")
    assert any("déclarent auprès de l'agence régionale de santé" in i.text for i in steps.items)
    numbers = {c.n for c in checklist.citations}
    assert all(i.n in numbers for s in checklist.sections for i in s.items)
    # Every item is a sentence of the passage it cites.
    by_n = {c.n: c for c in checklist.citations}
    texts = {h.chunk.doc_id: " ".join(h.chunk.text.split()) for h in answer.passages}
    for section in checklist.sections:
        for item in section.items:
            assert item.text.rstrip(" :")[:40] in texts[by_n[item.n].doc_id]


def test_ask_returns_the_finished_answer_with_its_checklist(shared_assistant: Assistant) -> None:
    question = "Comment déclarer la mise en œuvre d'un protocole national ?"
    plain = shared_assistant.ask(question)
    assert plain.checklist is None
    finished = shared_assistant.ask(question, checklist=True)
    assert finished.text == plain.text
    expected = build_checklist(plain, idf=shared_assistant.retriever.lexical.idf)
    assert finished.checklist is not None
    assert finished.checklist.sections == expected.sections
    refused = shared_assistant.ask(
        "Quel est le calendrier vaccinal du nourrisson ?", checklist=True
    )
    assert refused.refused and refused.checklist is not None and refused.checklist.empty


def test_cli_ask_checklist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings(tmp_path)
    write_corpus(settings.corpus_file, settings.corpus_dir)
    Ingestor(settings, HashingEmbedder(), open_store(settings.index_dir)).run()
    for name, value in {
        "COOP_CORPUS_FILE": settings.corpus_file,
        "COOP_CORPUS_DIR": settings.corpus_dir,
        "COOP_INDEX_DIR": settings.index_dir,
        "COOP_MIN_SCORE": settings.min_score,
        "COOP_EMBEDDING_MODEL": tmp_path / "absent",
    }.items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.setattr(factory, "build_embedder", lambda settings: HashingEmbedder())
    question = "Comment déclarer la mise en œuvre d'un protocole national ?"
    result = CliRunner().invoke(cli.app, ["ask", question, "--checklist"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Liste de vérification : {question}")
    assert "Étapes :\n  [ ] " in result.output
    assert "[niveau 1 · loi ou code]" in result.output
    as_json = CliRunner().invoke(cli.app, ["ask", question, "--checklist", "--json"])
    data = json.loads(as_json.output)
    assert data["question"] == question
    assert any(s["category"] == "steps" for s in data["checklist"]["sections"])


def test_checklist_numbers_its_own_sources_from_one() -> None:
    # The answer cites an unrelated passage as [1] and the decree as [2]: the checklist, which
    # only uses the decree and the page, numbers them [1] and [2].
    other = make_chunk("autre", 0, "Texte sans rapport avec la question.", kind="page")
    cited = [
        Citation(1, "autre", "Autre", "", 0, "", "Texte sans rapport", "page"),
        Citation(2, "csp-d4011", "Titre", "Article D. 4011-4-1", 0, "", "Le responsable", "code"),
    ]
    checklist = build_checklist(answer_on(other, PAGE, DECREE, citations=cited))
    used = [i.n for s in checklist.sections for i in s.items]
    assert used and min(used) == 1
    assert [c.n for c in checklist.citations] == list(range(1, len(checklist.citations) + 1))
    assert {c.doc_id for c in checklist.citations} == {"csp-d4011", "page-ars"}
    assert "Sources :\n[1] " in checklist_to_text(checklist)


@pytest.mark.parametrize(
    ("sentence", "category"),
    [
        ("L'ARS Martinique est destinataire de la déclaration du protocole.", None),
        ("Les agences sont chargées de la publication des protocoles.", None),
        ("La date de déclaration constitue sa date de mise en œuvre effective.", None),
        ("Les modalités de déclaration sont précisées par arrêté du ministre.", None),
        ("Le directeur général de l'ARS autorise le protocole local.", "steps"),
    ],
)
def test_a_description_is_not_a_step(sentence: str, category: str | None) -> None:
    assert classify(sentence) == category


def test_items_are_complete_sentences() -> None:
    cut = make_chunk(
        "decret-cut",
        0,
        "- le référent chargé de la déclaration du protocole local ;\n"
        "- la date de début du protocole local ;\n"
        "Le responsable déclare le protocole local à l'agence régionale de santé.\n",
        kind="decret",
    )
    checklist = build_checklist(answer_on(cut))
    items = [i.text for s in checklist.sections for i in s.items]
    assert items == ["Le responsable déclare le protocole local à l'agence régionale de santé."]
    assert is_complete_sentence(items[0])
    assert not is_complete_sentence("le référent chargé de la déclaration du protocole ;")
