"""The assistant: question (+ history) → retrieval → refusal check → cited answer."""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from assistant.answer import prompts
from assistant.answer.answerability import missing_entities, unheld_articles
from assistant.answer.asked_kind import (
    answering_sentence,
    asked_kind_unstated,
    asks_which_text,
    expected_kind_bonus,
)
from assistant.answer.authority import divergence_notes
from assistant.answer.checklist import build_checklist
from assistant.answer.extractive import (
    Extract,
    QuestionPart,
    Relevance,
    Sentence,
    SentenceWeights,
    candidate_features,
    extract,
    question_parts,
    question_texts,
    weighted_query,
)
from assistant.config import (
    AUTHORITY_WEIGHT,
    ENGLISH_KEEP_SHARE,
    KEEP_SHARE,
    NEW_SOURCE_TOLL,
    PART_MIN_COSINE,
    SEMANTIC_WEIGHT,
)
from assistant.errors import GenerationError, QuestionError
from assistant.index.units import UnitVectorsFile, embedded_similarities
from assistant.retrieve.hybrid import HybridRetriever, SearchFilters, asks_about_the_present
from assistant.schema import (
    Answer,
    Citation,
    Generator,
    Hit,
    Message,
    SpanEmbedder,
    is_historical,
)
from assistant.text.dates import long_french_date
from assistant.text.english import asks_several_things, french_terms, looks_english
from assistant.text.normalize import (
    CITATION_MARKER,
    fold_accents,
    fold_for_matching,
    strip_citation_markers,
    tokenize_fr,
)
from assistant.text.sentences import split_sentences

logger = logging.getLogger(__name__)

_FOLLOW_UP_START = ("et ", "mais ", "alors ", "ensuite", "puis ", "dans ce cas", "aussi")
# Personal and demonstrative pronouns only: determiners (le, la, son, ce…) start ordinary questions.
_PRONOUNS = {
    "il", "elle", "ils", "elles", "lui", "cela", "ca", "celui", "celle", "ceux", "y", "en",
    "dernier", "derniere",
}  # fmt: skip


# Weight of meaning in the sentence choice for an English question (lexical overlap with the
# French texts says little there).
_ENGLISH_SEMANTIC_WEIGHT = 3.0
# Evidence strength = best cosine similarity + this weight × query coverage (dev-set calibrated).
_COVERAGE_WEIGHT = 0.3
# "Depuis quand l'article s'applique-t-il ?": asked of a text, not of a protocol ("à partir de
# quand le protocole est-il mis en œuvre ?", "à partir de quand je peux commencer ?").
_ASKS_SINCE_WHEN = re.compile(
    r"\bquand\b.*\b(?:vigueur|appliqu|redaction|version|article)"
    r"|\b(?:vigueur|appliqu|redaction|version|article)\w*\b.*\b(?:depuis|a partir de) quand\b"
    r"|date d'entree en vigueur|(?:redaction|version) (?:actuelle|en vigueur)"
)


def clean_question(question: str, max_chars: int) -> str:
    """Normalise the typed question; refuse what cannot be a question.

    Raises:
        QuestionError: empty, too long, or without any letter or digit.
    """
    text = unicodedata.normalize("NFC", question)
    text = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text)
    text = " ".join(text.split())
    if not text:
        raise QuestionError("La question est vide : écrivez votre question en français.")
    if len(text) > max_chars:
        raise QuestionError(
            f"La question est trop longue ({len(text)} caractères, maximum {max_chars}) : "
            "résumez-la en quelques phrases."
        )
    if not any(ch.isalnum() for ch in text):
        raise QuestionError("La question ne contient aucun mot : reformulez-la.")
    return text


def is_follow_up(question: str) -> bool:
    """Elliptic question that needs the previous turn ("Et qui doit le valider ?")."""
    folded = fold_accents(question).strip()
    if folded.startswith(_FOLLOW_UP_START):
        return True
    words = re.findall(r"[a-z]+", folded)
    content = tokenize_fr(question)
    return len(content) <= 2 or (len(content) <= 5 and any(w in _PRONOUNS for w in words))


def carry_over(question: str, history: Sequence[Message]) -> tuple[str, str]:
    """(retrieval query, context) for the extractive backend: the previous user turn is carried."""
    previous = [m.content for m in history if m.role == "user"]
    if not previous or not is_follow_up(question):
        return question, ""
    context = previous[-1]
    return f"{context} {question}", context


def _already_said(question: str, history: Sequence[Message]) -> str:
    """A follow-up adds to the conversation: the previous answers, not to be said again."""
    if not is_follow_up(question):
        return ""
    return " ".join(m.content for m in history if m.role == "assistant")


def cited_first(hits: Sequence[Hit], citations: Sequence[Citation]) -> list[Hit]:
    """The passages an answer quotes, in the order of its citations, then the others.

    What the answer rests on is shown (and exported) first; the passages it does not quote keep
    their retrieval order after them.
    """
    quoted: dict[str, Hit] = {}
    for citation in sorted(citations, key=lambda c: c.n):
        hit = citation.passage_in(hits)
        if hit is not None:
            quoted.setdefault(hit.chunk.id, hit)
    return [*quoted.values(), *(hit for hit in hits if hit.chunk.id not in quoted)]


def renumber(text: str, n_passages: int) -> tuple[str, list[int], bool]:
    """Rewrite ``[n]`` markers 1..m in order of first use; drop numbers that match no passage.

    Returns the new text, the cited passage indices (0-based) in citation order, and whether
    any marker had to be dropped.
    """
    order: list[int] = []
    dropped = False

    def replace(match: re.Match[str]) -> str:
        nonlocal dropped
        numbers = [int(x) for x in re.split(r"\s*[,;]\s*", match.group(1))]
        kept = []
        for number in numbers:
            if not 1 <= number <= n_passages:
                dropped = True
                continue
            if number - 1 not in order:
                order.append(number - 1)
            kept.append(order.index(number - 1) + 1)
        return "".join(f"[{n}]" for n in dict.fromkeys(kept))

    rewritten = CITATION_MARKER.sub(replace, text)
    rewritten = re.sub(r"\s+([.,;])", r"\1", re.sub(r"[ \t]{2,}", " ", rewritten)).strip()
    return rewritten, order, dropped


def _best_quote(hit: Hit, answer_text: str) -> str:
    answer_tokens = set(tokenize_fr(answer_text))
    sentences = split_sentences(hit.chunk.text) or [hit.chunk.text[:400]]
    return max(sentences, key=lambda s: len(answer_tokens & set(tokenize_fr(s))))


@dataclass(frozen=True, slots=True)
class _Turn:
    """One question made ready for sentence choice: standalone query, passages, query vector."""

    question: str
    query: str
    english: bool
    hits: list[Hit]
    vector: list[float]
    weights: dict[str, float]
    already_said: str
    parts: list[QuestionPart]


class Assistant:
    """Answers questions from the corpus; the CLI, the app and the evaluation all call ``ask``."""

    def __init__(
        self,
        retriever: HybridRetriever,
        generator: Generator | None = None,
        *,
        k: int = 5,
        min_score: float = 0.5,
        min_coverage: float = 0.3,
        max_question_chars: int = 2000,
        authority_weight: float = AUTHORITY_WEIGHT,
        check_entities: bool = True,
        check_answer_type: bool = True,
        units: UnitVectorsFile | None = None,
        semantic_weight: float = SEMANTIC_WEIGHT,
        sentence_weights: SentenceWeights | None = None,
        new_source_toll: float = NEW_SOURCE_TOLL,
        keep_share: float = KEEP_SHARE,
        english_keep_share: float = ENGLISH_KEEP_SHARE,
        part_min_cosine: float = PART_MIN_COSINE,
    ) -> None:
        self.retriever = retriever
        self.generator = generator
        self.k = k
        self.min_score = min_score
        self.min_coverage = min_coverage
        self.max_question_chars = max_question_chars
        self.authority_weight = authority_weight
        self.check_entities = check_entities
        self.check_answer_type = check_answer_type
        self.units = units
        self.semantic_weight = semantic_weight
        self.sentence_weights = sentence_weights or SentenceWeights()
        self.new_source_toll = new_source_toll
        self.keep_share = keep_share
        self.english_keep_share = english_keep_share
        self.part_min_cosine = part_min_cosine

    @property
    def backend(self) -> str:
        """Name of the answer backend in use."""
        return self.generator.name if self.generator else "extractive"

    def ask(
        self,
        question: str,
        history: Sequence[Message] = (),
        *,
        k: int | None = None,
        filters: SearchFilters | None = None,
        checklist: bool = False,
    ) -> Answer:
        """Answer one question, citing the passages used, or refuse when the corpus lacks it.

        The answer is finished: divergence notes between cited sources are included, and with
        ``checklist`` the conditions, documents, steps and deadlines of the retrieved passages.
        """
        started = time.perf_counter()
        turn = self._prepare(question, history, k, filters)
        question, query, hits = turn.question, turn.query, turn.hits
        retrieved = time.perf_counter()
        english, said = turn.english, turn.already_said
        semantic_weight = max(self.semantic_weight, _ENGLISH_SEMANTIC_WEIGHT * english)
        parts = turn.parts
        chosen = extract(
            turn.weights,
            hits,
            self.retriever.lexical.idf,
            boost=expected_kind_bonus(question),
            prefer_in_force=asks_about_the_present(query),
            authority_weight=self.authority_weight,
            already_said=said,
            # Weight 0 (the default, French questions): the unit vectors are not even looked up.
            relevance=self._relevance(turn.vector, compute=english) if semantic_weight else None,
            semantic_weight=semantic_weight,
            weights=self.sentence_weights,
            new_source_toll=self.new_source_toll,
            keep_share=self.english_keep_share if english else self.keep_share,
            parts=parts,
            part_min_cosine=self.part_min_cosine,
            titles_answer=asks_which_text(question),
        )
        # An English compound question whose parts hold too few field words to be sought apart
        # has no parts, but asks several things too.
        several = (
            bool(parts) or question.count("?") > 1 or (english and asks_several_things(question))
        )
        if not several:
            # « Combien de protocoles… ? »: a chosen sentence that counts them answers first.
            chosen = chosen.led_by(answering_sentence(question, [s.text for s in chosen.sentences]))
        timings = {"retrieval_s": retrieved - started}
        language_notice = prompts.ENGLISH_NOTICE if english else ""
        if self._should_refuse(question, hits, chosen, english=english, several=several):
            timings["total_s"] = time.perf_counter() - started
            refusal = Answer(
                question,
                prompts.NOTHING_NEW if said and not chosen.sentences else prompts.REFUSAL,
                [],
                True,
                hits,
                query,
                notice=language_notice,
                timings=timings,
            )
            return replace(refusal, checklist=build_checklist(refusal)) if checklist else refusal
        answer = self._generate(question, query, hits, history, chosen)
        timings["answer_s"] = time.perf_counter() - retrieved
        finished = Answer(
            question=question,
            text=answer.text,
            citations=answer.citations,
            refused=False,
            passages=cited_first(hits, answer.citations),
            standalone_question=query,
            notice=" ".join(n for n in (language_notice, answer.notice) if n),
            backend=answer.backend,
            timings=timings,
            divergences=divergence_notes(answer.citations),
        )
        if checklist:
            finished = replace(
                finished, checklist=build_checklist(finished, idf=self.retriever.lexical.idf)
            )
        timings["total_s"] = time.perf_counter() - started
        return finished

    def replay(
        self,
        questions: Sequence[str],
        *,
        k: int | None = None,
        filters: SearchFilters | None = None,
    ) -> list[Message]:
        """The conversation of ``questions`` asked in turn: each question, then its answer.

        What a one-shot caller (``coop ask --history``) passes as history, so that a follow-up
        is rewritten from the earlier questions and never repeats what was already answered.
        """
        turns: list[Message] = []
        for question in questions:
            answer = self.ask(question, turns, k=k, filters=filters)
            turns += [Message("user", question), Message("assistant", answer.text)]
        return turns

    def sentence_candidates(
        self, question: str, history: Sequence[Message] = ()
    ) -> list[tuple[Sentence, tuple[float, ...]]]:
        """The sentences ``ask`` chooses from, with their signals (to fit ``SentenceWeights``)."""
        turn = self._prepare(question, history, None, None)
        return candidate_features(
            turn.weights,
            turn.hits,
            self.retriever.lexical.idf,
            boost=expected_kind_bonus(turn.question),
            prefer_in_force=asks_about_the_present(turn.query),
            already_said=turn.already_said,
            titles_answer=asks_which_text(turn.question),
        )

    def _prepare(
        self,
        question: str,
        history: Sequence[Message],
        k: int | None,
        filters: SearchFilters | None,
    ) -> _Turn:
        """Clean the question, make it standalone, retrieve: what sentence choice starts from.

        An English question shares few words with the French texts: its passages are found and
        its sentences chosen by meaning (the embedder is multilingual); the lexical signals only
        break ties.
        """
        question = clean_question(question, self.max_question_chars)
        query, context = self._standalone(question, history)
        english = looks_english(question)
        parts = question_parts(question, expected_kind_bonus, english=english)
        vector, part_vectors = self._query_vectors(query, parts if query == question else [])
        hits, vector = self.retriever.search_with_vector(
            query, k or self.k, filters, mode="dense" if english else None, vector=vector
        )
        if len(part_vectors) == len(parts):
            parts = [
                replace(part, relevance=self._relevance(part_vector))
                for part, part_vector in zip(parts, part_vectors, strict=True)
            ]
        return _Turn(
            question,
            query,
            english,
            hits,
            vector,
            # An English question's words weigh its sentences through the texts' French terms.
            weighted_query(french_terms(question) if english else question, context),
            _already_said(question, history),
            parts,
        )

    def _query_vectors(
        self, query: str, parts: Sequence[QuestionPart]
    ) -> tuple[list[float] | None, list[list[float]]]:
        """The query's vector and its parts', from one model pass, when the embedder can.

        Only worth it when unit vectors are held to compare the parts with; otherwise retrieval
        embeds the query itself.
        """
        embedder = self.retriever.embedder
        held = self.units.current() if self.units is not None else None
        if not parts or held is None or not isinstance(embedder, SpanEmbedder):
            return None, []
        return embedder.embed_query_spans(query, [part.span for part in parts])

    def _relevance(self, vector: Sequence[float], *, compute: bool = False) -> Relevance | None:
        """Cosine of answer units with the question vector.

        From the vectors stored at ingestion. When ``compute`` (English questions, which choose
        their sentences by meaning), the units without a stored vector are embedded now: the few
        composed at question time, or all of them on an index built before units were stored.
        """
        embedder = self.retriever.embedder
        held = self.units.current() if self.units is not None else None
        if held is not None and held.model_id != embedder.model_id:
            held = None
        if held is not None:
            if compute:
                return lambda texts: held.similarities_or_embed(vector, texts, embedder)
            return lambda texts: held.similarities(vector, texts)
        if not compute:
            return None
        return lambda texts: embedded_similarities(vector, texts, embedder)

    def _standalone(self, question: str, history: Sequence[Message]) -> tuple[str, str]:
        if not history or self.generator is None:
            return carry_over(question, history)
        try:
            rewritten = self.generator.generate(prompts.build_condense_messages(question, history))
        except GenerationError as err:
            logger.info("follow-up rewriting failed (%s): lexical carry-over", err)
            return carry_over(question, history)
        rewritten = rewritten.strip().splitlines()[0][: self.max_question_chars]
        return (rewritten or question), ""

    def evidence(self, hits: Sequence[Hit], chosen: Extract) -> tuple[float, float]:
        """(best cosine similarity among the top passages, query coverage by them)."""
        top = [h.dense_score for h in hits[:3] if h.dense_score is not None]
        return (max(top) if top else 0.0), chosen.coverage

    def _should_refuse(
        self,
        question: str,
        hits: Sequence[Hit],
        chosen: Extract,
        *,
        english: bool,
        several: bool = False,
    ) -> bool:
        if not hits or not chosen.sentences:
            return True
        # The lead sentence must state the kind of thing asked (a date, a count, a name…), even
        # when the question names a text: the décret found may not say who signed it.
        if self.check_answer_type and asked_kind_unstated(
            _main_question(question, english=english, several=several),
            [s.text for s in chosen.sentences],
            several=several,
        ):
            return True
        # An article the corpus does not hold: what the passages found say is not its content.
        if self.check_entities and unheld_articles(
            question, self._holds_article, _evidence(hits, chosen)
        ):
            return True
        if any(h.exact_reference for h in hits):
            return False
        # The specific things the question names (a region, a year, a text, a name) must be in
        # the evidence: otherwise the passages are on the topic but do not answer this question.
        # The evidence is what the answer quotes: the retrieved passages of the documents it
        # cites, with their dates (a region named in another document proves nothing).
        if self.check_entities and missing_entities(
            question,
            _evidence(hits, chosen),
            self.retriever.lexical.idf,
            documents=self._cited_documents(_quoted_documents(hits, chosen)),
        ):
            return True
        similarity, covered = self.evidence(hits, chosen)
        strength = similarity + _COVERAGE_WEIGHT * covered
        if english:
            # Its coverage is that of the French terms of its field words, which may miss some:
            # it adds to the cosine, it is no minimum of its own.
            return strength < self.min_score
        return strength < self.min_score or covered < self.min_coverage

    def _holds_article(self, reference: str) -> bool:
        return bool(self.retriever.lexical.by_article(reference))

    def _cited_documents(self, quoted: set[str]) -> Iterator[str]:
        """Every indexed passage of the ``quoted`` documents, retrieved or not.

        Lazy: only read when the question names a protocol's subject.
        """
        return (chunk.text for chunk in self.retriever.lexical.chunks if chunk.doc_id in quoted)

    def _generate(
        self,
        question: str,
        query: str,
        hits: list[Hit],
        history: Sequence[Message],
        chosen: Extract,
    ) -> Answer:
        if self.generator is not None:
            try:
                return self._llm_answer(query if query != question else question, hits, history)
            except GenerationError as err:
                notice = prompts.FALLBACK_NOTICE.format(reason=err.message)
                fallback = self._extractive_answer(question, hits, chosen)
                return _with_notice(fallback, notice)
        return self._extractive_answer(question, hits, chosen)

    def _llm_answer(self, question: str, hits: list[Hit], history: Sequence[Message]) -> Answer:
        assert self.generator is not None
        # A small local model gets its own prompt and only the first passages: it may only cite
        # the numbers it was shown.
        small = bool(getattr(self.generator, "small_model", False))
        shown = hits[: prompts.SMALL_MODEL_PASSAGES] if small else hits
        messages = prompts.build_messages(question, shown, history, small_model=small)
        reply = self.generator.generate(messages)
        if prompts.NOT_FOUND_MARKER in reply:
            return Answer(question, prompts.REFUSAL, [], True, hits, backend=self.backend)
        text, order, dropped = renumber(reply, len(shown))
        if not order:
            raise GenerationError("réponse sans aucune référence vérifiable")
        citations = [
            Citation.from_hit(n, hits[i], _best_quote(hits[i], text))
            for n, i in enumerate(order, 1)
        ]
        notice = prompts.UNSUPPORTED_NOTICE if dropped else ""
        text = _with_status_notes(text, citations)
        return Answer(question, text, citations, False, hits, notice=notice, backend=self.backend)

    def _extractive_answer(self, question: str, hits: list[Hit], chosen: Extract) -> Answer:
        parts: list[str] = []
        quotes: dict[int, list[str]] = {}
        dated = _version_note(question, hits, chosen)
        if dated is not None:
            passage, note = dated
            parts.append(f"{strip_citation_markers(note)} [{passage + 1}]")
        for sentence in chosen.sentences:
            bullet = "- " if parts else ""
            # The document's own "[n]" would be read as one of the answer's citations.
            parts.append(
                f"{bullet}{strip_citation_markers(sentence.text)} [{sentence.passage + 1}]"
            )
            quotes.setdefault(sentence.passage, []).append(sentence.text)
        if len(parts) > 1:
            parts.insert(1, f"\n{prompts.SUPPORTING_QUOTES}")
        text, order, _ = renumber("\n".join(parts), len(hits))
        citations = [
            Citation.from_hit(n, hits[i], " ".join(quotes.get(i, [])))
            for n, i in enumerate(order, 1)
        ]
        text = _with_status_notes(text, citations)
        return Answer("", text, citations, False, hits, backend="extractive")


def _version_note(question: str, hits: Sequence[Hit], chosen: Extract) -> tuple[int, str] | None:
    """For "since when does it apply?", the in-force date the article's text states, if any.

    Taken from the first passage, among those quoted then those named by the question, whose
    article carries an "en vigueur depuis" date.
    """
    if not _ASKS_SINCE_WHEN.search(fold_for_matching(question)):
        return None
    quoted = [s.passage for s in chosen.sentences]
    named = [i for i, hit in enumerate(hits) if hit.exact_reference]
    for passage in dict.fromkeys(quoted + named):
        chunk = hits[passage].chunk
        if chunk.article_date and chunk.article:
            article = chunk.section if chunk.section.lower().startswith("article") else ""
            label = f"l'{article[0].lower()}{article[1:]}" if article else "cet article"
            date = long_french_date(chunk.article_date)
            return passage, prompts.VERSION_NOTE.format(article=label, date=date)
    return None


def _with_notice(answer: Answer, notice: str) -> Answer:
    return Answer(
        answer.question,
        answer.text,
        answer.citations,
        answer.refused,
        answer.passages,
        notice=notice,
        backend="extractive",
    )


def _quoted_documents(hits: Sequence[Hit], chosen: Extract) -> set[str]:
    """The documents the chosen sentences come from."""
    return {hits[s.passage].chunk.doc_id for s in chosen.sentences}


def _main_question(question: str, *, english: bool, several: bool) -> str:
    """What the kind check reads: an English compound question's first question.

    An English question is answered by meaning, from French sentences: its first question is
    the one the answer leads with, and a later one (« …, and how many funds are involved? ») may
    be answered only in part. A French question is read whole.
    """
    if english and several:
        questions = question_texts(question, english=True)
        if len(questions) > 1:
            return questions[0]
    return question


def _evidence(hits: Sequence[Hit], chosen: Extract) -> list[str]:
    """Texts, titles and dates of the retrieved passages of the documents the answer quotes."""
    quoted = _quoted_documents(hits, chosen)
    return [
        f"{hit.chunk.indexed_text}\n{hit.chunk.date} {hit.chunk.article_date}"
        for hit in hits
        if hit.chunk.doc_id in quoted
    ]


def _with_status_notes(text: str, citations: Sequence[Citation]) -> str:
    """Say when a cited text is historical or partial (never present it as the text in force)."""
    historical = [f"[{c.n}]" for c in citations if is_historical(c.status)]
    if len(historical) == 1:
        text += f"\n\nAttention, {historical[0]} : {prompts.HISTORICAL_NOTE}."
    elif historical:
        listed = f"{', '.join(historical[:-1])} et {historical[-1]}"
        text += f"\n\nAttention, {listed} : {prompts.HISTORICAL_NOTES}."
    return text
