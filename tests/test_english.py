"""An English question: answered in French from the French texts, sentences chosen by meaning.

The fake embedder stands for a multilingual model: English words are read as their French
counterparts before hashing, so an English question and a French sentence with the same meaning
get close vectors while they share almost no word.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from assistant import Assistant, build_assistant
from assistant.answer import prompts
from assistant.answer.extractive import Extract, QuestionPart, question_parts
from assistant.config import Settings
from assistant.index.store import ChromaStore
from assistant.text.english import (
    asks_several_things,
    english_questions,
    french_terms,
    looks_english,
)
from assistant.text.normalize import tokenize_fr
from ingest.indexing import Ingestor
from tests.fakes import HashingEmbedder

_FRENCH = {
    "national": "nationaux",
    "protocols": "protocoles",
    "authorised": "autorisés",
    "ministers": "ministres",
    "order": "arrêté",
    "health": "santé",
    "social": "sociale",
    "security": "sécurité",
    "patient": "patient",
    "informed": "informé",
    "conditions": "conditions",
    "care": "charge",
}


class Multilingual(HashingEmbedder):
    """Hashing embedder reading English words as French ones; counts document embeddings."""

    def __init__(self) -> None:
        self.documents_embedded = 0

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        self.documents_embedded += len(texts)
        return super().embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        words = [_FRENCH.get(word.strip("?,.").lower(), word) for word in text.split()]
        return super().embed_query(" ".join(words))


@pytest.fixture
def embedder() -> Multilingual:
    return Multilingual()


@pytest.fixture
def assistant(settings: Settings, store: ChromaStore, embedder: Multilingual) -> Assistant:
    """The real assistant on the synthetic corpus, ingested with the multilingual fake."""
    Ingestor(settings, embedder, store).run()
    return build_assistant(settings, embedder=embedder, store=store)


def test_an_english_question_is_answered_in_french_by_meaning(
    assistant: Assistant, embedder: Multilingual
) -> None:
    before = embedder.documents_embedded
    answer = assistant.ask("How are national protocols authorised by the ministers?")
    assert not answer.refused
    assert answer.notice.startswith(prompts.ENGLISH_NOTICE)
    lead = answer.text.splitlines()[0]
    # The French sentence that says it leads, quoted as the texts say it.
    assert lead.startswith("Les protocoles nationaux sont autorisés par arrêté des ministres")
    # The candidates' vectors were stored at ingestion: nothing is embedded for this question.
    assert embedder.documents_embedded == before


def test_an_english_question_keeps_sentences_at_its_own_share_of_the_best(
    assistant: Assistant,
) -> None:
    """Its scores add cosines and spread wider: its own keep share decides what is quoted."""
    question = "How are national protocols authorised by the ministers?"
    assistant.english_keep_share = 1.0
    alone = assistant.ask(question)
    assistant.english_keep_share = -100.0  # every candidate passes
    more = assistant.ask(question)
    assert "\n- " not in alone.text  # the best sentence alone
    assert more.text.count("\n- ") >= 1
    # A French question is not concerned.
    french = "Comment les protocoles nationaux sont-ils autorisés ?"
    assistant.english_keep_share = 1.0
    kept = assistant.ask(french).text
    assistant.english_keep_share = -100.0
    assert assistant.ask(french).text == kept


def test_a_french_question_costs_no_extra_embedding(
    assistant: Assistant, embedder: Multilingual
) -> None:
    before = embedder.documents_embedded
    answer = assistant.ask("Qui autorise les protocoles nationaux ?")
    assert not answer.refused and not answer.notice
    assert embedder.documents_embedded == before


def test_an_english_question_far_from_the_texts_is_refused(assistant: Assistant) -> None:
    answer = assistant.ask("What is the weather like in Paris tomorrow for the football match?")
    assert answer.refused
    assert answer.text == prompts.REFUSAL


def test_an_english_question_is_searched_by_meaning_only(assistant: Assistant) -> None:
    """Its English words match nothing in the French texts but noise: no lexical search."""
    english = assistant.ask("How are national protocols authorised by the ministers?")
    assert english.passages
    assert all(hit.lexical_score is None for hit in english.passages)
    french = assistant.ask("Comment les protocoles nationaux sont-ils autorisés ?")
    assert any(hit.lexical_score is not None for hit in french.passages)


@pytest.mark.parametrize(
    ("question", "english"),
    [
        ("Who sits on the CNCI?", True),
        ("Under which law was decree no. 2020-148 adopted?", True),
        ("How many pharmacies took part in the cystitis protocol?", True),
        ("Qui siège au CNCI ?", False),
        ("Un infirmier peut-il adhérer à un protocole ?", False),
        ("A-t-on un an pour déclarer ?", False),
        # Long and full of field words: English by its function words, not a third of all.
        (
            "I'm a reporter covering the ministry's announcement of four new calls for "
            "expressions of interest on cooperation between health professionals. Which one "
            "lets care assistants take over a task from nurses in nursing homes?",
            True,
        ),
        ("Le protocole « Soins non programmés » : is it free ?", False),
    ],
)
def test_looks_english(question: str, english: bool) -> None:
    assert looks_english(question) is english


def test_french_terms_give_the_texts_words_for_an_english_question() -> None:
    terms = french_terms("Who authorises a local protocol in a health care facility of the ARS?")
    assert terms.split()[0] == "ARS"  # acronyms as typed
    assert "établissement de santé" in terms  # the longest term, not "health" alone
    assert "autorisation" in terms and "protocole" in terms
    assert french_terms("What is the weather like tomorrow?") == ""


def test_french_terms_of_procedure_and_time_words() -> None:
    terms = french_terms("How often must the committee meet, what majority adopts its opinions?")
    assert terms == "fois par comité réunit réunion majorité avis"
    assert "événements indésirables" in french_terms("What if serious adverse events occur?")


def test_french_terms_of_the_fields_general_vocabulary() -> None:
    """A text's legal life, professions and care are read in the texts' terms too."""
    assert french_terms("When did the decree come into force?") == "décret entrée en vigueur"
    terms = french_terms("Can care assistants act instead of nurses for sick leave?")
    assert terms == "aides-soignants en lieu et place infirmiers infirmières arrêt de travail"


def test_an_english_questions_sentences_are_weighed_by_its_french_terms(
    assistant: Assistant,
) -> None:
    turn = assistant._prepare("Who authorises the national protocols?", [], None, None)
    assert set(tokenize_fr("autorisation protocoles nationaux")) <= set(turn.weights)
    assert "who" not in turn.weights


def test_an_english_questions_french_terms_add_to_its_evidence(assistant: Assistant) -> None:
    """The coverage of its French terms adds to the cosine, as for a French question."""
    question = "How are the national protocols authorised by the ministers?"
    turn = assistant._prepare(question, [], None, None)
    similarity = max(h.dense_score or 0.0 for h in turn.hits[:3])
    assistant.min_score = similarity + 0.05  # the cosine alone no longer clears it
    answer = assistant.ask(question)
    assert not answer.refused
    assert answer.notice.startswith(prompts.ENGLISH_NOTICE)


@pytest.mark.parametrize(
    ("question", "several"),
    [
        ("When was the AMI published, and what was the closing date?", True),
        ("How long does it last? How many funds take part?", True),
        ("Who chairs the CNCI and who sits on it?", True),
        ("How many nurses and doctors took part?", False),
        ("When the ARS intends to end a protocol, who is informed?", False),
    ],
)
def test_an_english_question_asking_several_things(question: str, several: bool) -> None:
    assert asks_several_things(question) is several


def test_an_english_compound_question_is_split_where_the_next_question_starts() -> None:
    question = "When was the AMI published, and what was the closing date? Who may apply?"
    assert english_questions(question) == [
        "When was the AMI published",
        "what was the closing date",
        "Who may apply?",
    ]
    assert english_questions("How many nurses and doctors took part?") == [
        "How many nurses and doctors took part?"
    ]


def test_each_part_of_an_english_compound_question_is_sought_by_its_french_terms() -> None:
    first = "Which health professionals may join a national protocol"
    second = "which regional health agency receives the declaration?"
    parts = question_parts(f"{first}, and {second}", english=True)
    assert [set(p.words) for p in parts] == [
        set(tokenize_fr(french_terms(first))),
        set(tokenize_fr(french_terms(second))),
    ]
    assert "agenc" in parts[1].words and "agenc" not in parts[0].words
    # A part with a single field word finds any sentence that has it: it is no part of its own.
    assert not question_parts("What did the CNCI decide, and who funds it?", english=True)


def test_an_english_compound_question_passes_its_parts_to_sentence_choice(
    assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.answer import answering

    seen: list[Sequence[QuestionPart]] = []
    choose = answering.extract

    def spy(*args: Any, **kwargs: Any) -> Extract:
        seen.append(kwargs["parts"])
        return choose(*args, **kwargs)

    monkeypatch.setattr(answering, "extract", spy)
    assistant.ask(
        "Who authorises the national protocols, "
        "and which regional health agency receives the declaration?"
    )
    assert [len(parts) for parts in seen] == [2]
    assert "agenc" in seen[0][1].words


def test_an_english_compound_question_is_checked_on_the_kind_its_first_question_asks(
    assistant: Assistant,
) -> None:
    """The answer leads with the first question; a later one may be answered only in part."""
    answered = assistant.ask(
        "How are national protocols authorised by the ministers, "
        "and how many protocols have they authorised?"
    )
    assert not answered.refused
    assert answered.text.startswith("Les protocoles nationaux sont autorisés par arrêté")
    # The first question asks for a count that no text gives: refused.
    refused = assistant.ask(
        "How many protocols have the ministers authorised, "
        "and how are national protocols authorised?"
    )
    assert refused.refused
