"""Extractive answers: the most relevant sentences of the retrieved passages, each one cited."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace

from assistant.answer.authority import authority_bonus, authority_sort_key
from assistant.config import AUTHORITY_WEIGHT, KEEP_SHARE, NEW_SOURCE_TOLL, PART_MIN_COSINE
from assistant.hierarchy import OFFICIAL_LEVEL, authority_of
from assistant.schema import Hit, is_historical, is_in_force
from assistant.text.english import english_questions, french_terms
from assistant.text.glossary import expansions
from assistant.text.normalize import (
    find_references,
    is_code_article,
    strip_citation_markers,
    tokenize_fr,
)
from assistant.text.sentences import quoted_units

# A sentence with more than this share of its words in a chosen one repeats it.
_MAX_OVERLAP = 0.75
# Share of a sentence's relevance measured with its document's title read along with it: a
# question that names the text ("l'article 1er de la loi du 26 avril 2021") is answered by a
# sentence of that text which does not repeat the name.
_TITLE_SHARE = 0.25
# A sentence made of its document's title words at this share or more is the title again.
_TITLE_REPEAT = 0.75
# The sentence right after a chosen one often completes it ("Dans ce cas, l'avis … n'est pas
# requis."): it gets this bonus.
_NEXT_BONUS = 0.1
# An official sentence holding this share of a secondary lead's words says the same thing.
_RESTATES = 0.6

Idf = Callable[[str], float]
Relevance = Callable[[Sequence[str]], Sequence[float | None]]
"""Semantic relevance of answer units to the question (cosine; None when not computed)."""


@dataclass(frozen=True, slots=True)
class SentenceWeights:
    """Weights of the signals that score a candidate sentence (see ``candidate_features``).

    The defaults are the hand-set ones; ``evals.sentence_fit`` fits them on the dev questions
    and reports them with k-fold cross-validation.
    """

    coverage: float = 1 - _TITLE_SHARE
    """IDF-weighted share of the question's words in the sentence."""
    title_coverage: float = _TITLE_SHARE
    """The same share with the document's title read along with the sentence."""
    rank: float = 0.15
    """1 / (rank of its passage); 0.15 chosen over 0.25 by cross-validation (``evals.cv``)."""
    exact: float = 0.2
    """Its passage is the article or text the question names."""
    lead: float = 0.05
    """First sentence of its passage."""
    expected_kind: float = 1.0
    """Times the bonus of a sentence of the kind the question asks for (who, when…)."""
    superseded: float = -0.3
    """A superseded text, when the question asks about the rule in force now."""

    def as_tuple(self) -> tuple[float, ...]:
        """The weights in ``FEATURES`` order."""
        return tuple(getattr(self, name) for name in FEATURES)


FEATURES = tuple(f.name for f in fields(SentenceWeights))
"""The signals of a candidate sentence, in the order ``candidate_features`` gives them."""


@dataclass(frozen=True, slots=True)
class Sentence:
    """A candidate sentence of one passage."""

    passage: int
    position: int
    text: str
    tokens: frozenset[str]


@dataclass(frozen=True, slots=True)
class Extract:
    """The chosen sentences: the best one, then the others in reading order."""

    sentences: list[Sentence]
    coverage: float

    def led_by(self, index: int) -> Extract:
        """The same sentences with the one at ``index`` first, the others in their order."""
        if index <= 0:
            return self
        rest = self.sentences[:index] + self.sentences[index + 1 :]
        return replace(self, sentences=[self.sentences[index], *rest])


def weighted_query(question: str, context: str = "") -> dict[str, float]:
    """Query tokens with weights: the question's own words 1, carried-over and spelled-out ones ½.

    Spelled-out: the forms of the question's acronyms ("CNCI" → "comité national …").
    """
    asked, preamble = _asked_part(question)
    weights = dict.fromkeys(
        tokenize_fr(f"{context} {preamble} {' '.join(expansions(question))}"), 0.5
    )
    weights.update(dict.fromkeys(tokenize_fr(asked), 1.0))
    return weights


def _asked_part(question: str) -> tuple[str, str]:
    """(the sentences that ask, the ones before that only set the scene) of a question.

    « Directrice d'un foyer d'accueil médicalisé ici. On lance un protocole local : quelle
    instance dois-je informer ? »: the asker's situation is context, weighed like it.
    """
    parts = re.split(r"(?<=[.!])\s+", question.strip())
    asking = [i for i, part in enumerate(parts) if part.rstrip().endswith("?")]
    if not asking or asking[0] == 0:
        return question, ""
    return " ".join(parts[asking[0] :]), " ".join(parts[: asking[0]])


# Where a compound question asks its next question: « …? Pour quels âges ? », « qui conçoit
# les protocoles nationaux et qui conçoit les protocoles locaux ? ».
_NEXT_QUESTION = re.compile(
    r"\?\s+|,?\s+et\s+(?=(?:qui|que|qu'|quoi|quel|quelle|quels|quelles|comment|où|ou|quand|"
    r"combien|pourquoi|lesquel\w*|à (?:qui|quel\w*)|auprès de qui|par qui|pour qu\w*|"
    r"dans quel\w*|sur quel\w*|de quel\w*|en quel\w*|avec quel\w*|à partir de quand|"
    r"depuis quand|jusqu'à quand)\b"
    # « …, et est-ce que… », « et faut-il… », « et peut-on… »: a yes-no question.
    r"|est-ce qu|(?:y a|\w+)-t?-?(?:il|elle|on|ils|elles)\b)"
    # "…, et je dois faire combien d'heures ?": the question word a few words further.
    r"|,\s+et\s+(?=(?:[\w']+\s+){1,4}?(?:combien|quel\w*|quand|comment|où|pourquoi)\b)",
    re.IGNORECASE,
)
# A question word that opens a question after a comma: « Qui préside le comité, quel décret
# l'a créé… ». The comma only ends a question when the words before it ask one (« Dans un
# hôpital, qui peut… » sets the scene).
_ASKING_AFTER_COMMA = re.compile(
    r",\s+(?=(?:qui|quel|quelle|quels|quelles|comment|quand|combien|pourquoi|"
    r"(?:à|de|dans|par|sur|pour|avec) (?:qui|quel\w*))\b)",
    re.IGNORECASE,
)
_ASKS = re.compile(r"\b(?:qui|quoi|quel\w*|comment|quand|combien|pourquoi|où|lesquel\w*)\b", re.I)


def asked_questions(asked: str) -> list[str]:
    """The questions of ``asked``, in order: split where a next question starts."""
    questions: list[str] = []
    for piece in _NEXT_QUESTION.split(asked):
        start = 0
        for comma in _ASKING_AFTER_COMMA.finditer(piece):
            if _ASKS.search(piece[start : comma.start()]):
                questions.append(piece[start : comma.start()])
                start = comma.end()
        questions.append(piece[start:])
    return questions


# Stems that ask, not what is asked about.
_QUESTION_WORDS = frozenset(
    {
        "quoi", "quel", "comment", "quand", "combien", "pourquoi", "lesquel", "doit", "dois",
        "doivent", "peut", "peuvent", "faut", "fair", "avoir", "etre", "ensuit",
        # What a speaker says around the question: « qu'est-ce qui se passe si », « chez nous ».
        "pass", "si", "chez", "concret", "exact", "alor", "donc",
    }
)  # fmt: skip
# The best sentence for one question of a compound one is added only when it holds at least this
# share of that question's words (IDF-weighted), and more of them than any chosen sentence does.
_PART_MIN_COVERAGE = 0.5
# A part with fewer words of its own than this that asks a kind of thing (« et quand ? ») asks
# it of the previous part's subject, whose words it takes at a lower weight.
_OWN_SUBJECT = 2
_INHERITED_WEIGHT = 0.5
# A sentence of the kind a part asks counts as this much more of its words.
_PART_KIND_SHARE = 0.25
# When no sentence holds enough of a part's words, the sentence closest to the part in meaning
# answers it if its cosine (at least ``part_min_cosine``) exceeds every chosen sentence's by this.
_PART_COSINE_MARGIN = 0.05


@dataclass(frozen=True, slots=True)
class QuestionPart:
    """One question of a compound question."""

    words: dict[str, float]
    """Its words, question words and auxiliaries left out."""
    of_kind: Callable[[str], float] | None = None
    """Bonus of a sentence that states the kind of thing it asks (a date, an actor…)."""
    kind_only: bool = False
    """It asks only that kind of thing, of the previous part's subject: only a sentence that
    states one answers it."""
    span: tuple[int, int] = (0, 0)
    """Where it is in the question (character offsets)."""
    relevance: Relevance | None = None
    """Cosine of answer units with this part alone (its vector from the question's model pass)."""


def question_texts(question: str, *, english: bool = False) -> list[str]:
    """The questions a (possibly compound) question asks, in order, scene-setting left out."""
    asked, _ = _asked_part(question)
    return english_questions(asked) if english else asked_questions(asked)


def question_parts(
    question: str,
    kind: Callable[[str], Callable[[str], float] | None] | None = None,
    *,
    english: bool = False,
) -> list[QuestionPart]:
    """The questions of a compound question (none for a single question).

    Question words and auxiliaries are left out: a part with no other word (« et lesquels ? »)
    adds nothing to find. ``kind`` tells what kind of sentence answers a part. The words of
    an ``english`` question's parts are the texts' French terms for its field words.
    """
    parts = []
    previous: list[str] = []
    end = 0
    for text in question_texts(question, english=english):
        asked = text.strip()
        start = question.find(asked, end)
        span = (start, start + len(asked)) if start >= 0 else (0, 0)
        end = max(end, span[1])
        words = french_terms(text) if english else text
        tokens = [token for token in tokenize_fr(words) if token not in _QUESTION_WORDS]
        distinct = len(set(tokens))
        of_kind = kind(text) if kind else None
        if of_kind is not None and distinct < _OWN_SUBJECT and previous:
            # « …, et pour combien de temps ? »: the kind asked, of the previous part's subject.
            weights = dict.fromkeys(previous, _INHERITED_WEIGHT)
            weights.update(dict.fromkeys(tokens, 1.0))
            parts.append(QuestionPart(weights, of_kind, kind_only=True, span=span))
        elif distinct >= (2 if english else 1):
            parts.append(QuestionPart(dict.fromkeys(tokens, 1.0), of_kind, span=span))
        if distinct >= _OWN_SUBJECT:
            previous = tokens
    return parts if len(parts) >= 2 else []


def coverage(query: dict[str, float], tokens: set[str] | frozenset[str], idf: Idf) -> float:
    """IDF-weighted share of the query's tokens present in ``tokens`` (0 … 1)."""
    total = sum(w * idf(t) for t, w in query.items())
    if total <= 0:
        return 0.0
    return sum(w * idf(t) for t, w in query.items() if t in tokens) / total


def extract(
    query: dict[str, float],
    hits: Sequence[Hit],
    idf: Idf,
    *,
    max_sentences: int = 8,
    max_chars: int = 2400,
    new_source_toll: float = NEW_SOURCE_TOLL,
    keep_share: float = KEEP_SHARE,
    boost: Callable[[str], float] | None = None,
    prefer_in_force: bool = False,
    authority_weight: float = AUTHORITY_WEIGHT,
    already_said: str = "",
    relevance: Relevance | None = None,
    semantic_weight: float = 0.0,
    weights: SentenceWeights | None = None,
    parts: Sequence[QuestionPart] = (),
    part_min_cosine: float = PART_MIN_COSINE,
    titles_answer: bool = False,
) -> Extract:
    """Pick the best sentences: query coverage, passage rank prior, diversity, a length budget.

    The best sentence comes first (it leads the answer); the others follow, texts in force and
    higher authorities first, then in reading order. Authority also breaks ties in the scores;
    ``boost`` adds a bonus to sentences of the kind the question asks for; ``prefer_in_force``
    (a question about the rule now) lowers sentences of superseded texts. Sentences found in
    ``already_said`` (the previous answers of a conversation) are not said again.
    ``relevance`` gives each sentence's cosine with the question (vectors computed at
    ingestion), added with ``semantic_weight`` to its lexical coverage. Each of ``parts``
    (the questions of a compound question) gets the best sentence for it, if none chosen
    covers it as well, or else the sentence closest to it in meaning (its vector), if its
    cosine reaches ``part_min_cosine``. ``titles_answer``: the question asks which
    text, whose title may say it.
    """
    featured = candidate_features(
        query,
        hits,
        idf,
        boost=boost,
        prefer_in_force=prefer_in_force,
        already_said=already_said,
        titles_answer=titles_answer,
    )
    if not featured:
        return Extract([], 0.0)
    candidates = [sentence for sentence, _ in featured]
    features = {(s.passage, s.position): f for s, f in featured}
    semantic = _semantic_scores(candidates, relevance, semantic_weight)
    weighted = (weights or SentenceWeights()).as_tuple()

    def score(sentence: Sentence) -> float:
        at = (sentence.passage, sentence.position)
        return (
            sum(w * f for w, f in zip(weighted, features[at], strict=True))
            + authority_bonus(hits[sentence.passage].chunk, authority_weight)
            + semantic[at]
        )

    scores = {(s.passage, s.position): score(s) for s in candidates}
    best = max(scores.values())
    chosen: list[Sentence] = []
    cited_docs: set[str] = set()
    used = 0

    on_named = _on_named_text(hits)
    named = any(on_named)

    chosen_at: set[tuple[int, int]] = set()

    def adjusted(sentence: Sentence) -> float:
        """Score, less a toll for a document not cited yet (the text named pays none).

        When the question names a text, the passages of other texts pay it too, cited or not.
        """
        hit = hits[sentence.passage]
        fresh = (
            chosen
            and not on_named[sentence.passage]
            and (named or hit.chunk.doc_id not in cited_docs)
        )
        follows = (sentence.passage, sentence.position - 1) in chosen_at
        return (
            scores[(sentence.passage, sentence.position)]
            - (new_source_toll if fresh else 0.0)
            + (_NEXT_BONUS if follows else 0.0)
        )

    official = _quotable_official(candidates, scores, hits, keep_share * best)
    restated = _restated_secondary(candidates, official, hits)
    remaining = list(candidates)
    while remaining and len(chosen) < max_sentences:
        sentence = max(remaining, key=adjusted)
        remaining.remove(sentence)
        if adjusted(sentence) < keep_share * best:
            break
        # The lead is settled by ``_official_first``; after it, the official wording only.
        if chosen and (sentence.passage, sentence.position) in restated:
            continue
        if used + len(sentence.text) > max_chars and chosen:
            continue
        if any(_overlap(sentence.tokens, c.tokens) > _MAX_OVERLAP for c in chosen):
            continue
        chosen.append(sentence)
        chosen_at.add((sentence.passage, sentence.position))
        cited_docs.add(hits[sentence.passage].chunk.doc_id)
        used += len(sentence.text)
    chosen += _answers_to_parts(
        parts, candidates, chosen, restated, idf, scores, max_sentences, part_min_cosine
    )
    chosen = _official_first(chosen, official, scores, hits)
    top_tokens: set[str] = set()
    for hit in hits[:3]:
        top_tokens |= set(tokenize_fr(hit.chunk.indexed_text))
    supporting = sorted(
        chosen[1:],
        key=lambda s: (authority_sort_key(hits[s.passage].chunk), s.passage, s.position),
    )
    return Extract(chosen[:1] + supporting, coverage(query, top_tokens, idf))


def _answers_to_parts(
    parts: Sequence[QuestionPart],
    candidates: Sequence[Sentence],
    chosen: Sequence[Sentence],
    restated: set[tuple[int, int]],
    idf: Idf,
    scores: dict[tuple[int, int], float],
    max_sentences: int,
    min_cosine: float,
) -> list[Sentence]:
    """Sentences to add so that each question of a compound one is answered."""
    added: list[Sentence] = []
    for part in parts:
        if len(chosen) + len(added) < max_sentences:
            added += _answer_to_part(
                part, candidates, [*chosen, *added], restated, idf, scores, min_cosine
            )
    return added


def _answer_to_part(
    part: QuestionPart,
    candidates: Sequence[Sentence],
    chosen: Sequence[Sentence],
    restated: set[tuple[int, int]],
    idf: Idf,
    scores: dict[tuple[int, int], float],
    min_cosine: float,
) -> list[Sentence]:
    """The best sentence for one question of a compound one, if no chosen sentence answers it.

    A sentence that states the kind of thing the part asks (a date for « de quand… ») answers
    it with fewer of its words.
    """

    def states_kind(sentence: Sentence) -> bool:
        return bool(part.of_kind and part.of_kind(sentence.text))

    def answers(sentence: Sentence) -> bool:
        return states_kind(sentence) or not part.kind_only

    allowed = [s for s in candidates if (s.passage, s.position) not in restated and answers(s)]
    if not allowed:
        return []

    def answering(sentence: Sentence) -> float:
        share = coverage(part.words, sentence.tokens, idf)
        return share + (_PART_KIND_SHARE if states_kind(sentence) else 0)

    best = max(allowed, key=lambda s: (answering(s), scores[(s.passage, s.position)]))
    best_answering = answering(best)
    covered = max((answering(s) for s in chosen if answers(s)), default=0.0)
    if (
        best in chosen
        or best_answering < _PART_MIN_COVERAGE
        or covered >= best_answering
        or any(_overlap(best.tokens, c.tokens) > _MAX_OVERLAP for c in chosen)
    ):
        return _closest_to_part(part, allowed, chosen, min_cosine)
    return [best]


def _closest_to_part(
    part: QuestionPart, allowed: Sequence[Sentence], chosen: Sequence[Sentence], min_cosine: float
) -> list[Sentence]:
    """The sentence closest in meaning to a part its words found no answer to, if clearly so.

    A part put in other words than the texts' (« qui le préside ? » for « la présidence est
    assurée par… ») shares few words with its answer. Added when its cosine with the part
    reaches ``min_cosine`` and beats every chosen sentence's by ``_PART_COSINE_MARGIN``;
    a part that asks a kind of thing is answered only by a sentence that states one.
    """
    if part.of_kind is not None:
        # « à quelle fréquence… ? » : only a sentence that states one answers it.
        allowed = [s for s in allowed if part.of_kind(s.text)]
    if part.relevance is None or not allowed:
        return []
    cosines = list(part.relevance([s.text for s in allowed]))
    scored = [(c, s) for c, s in zip(cosines, allowed, strict=True) if c is not None]
    if not scored:
        return []
    closest, best = max(scored, key=lambda pair: pair[0])
    said = part.relevance([s.text for s in chosen]) if chosen else []
    answered = max((c for c in said if c is not None), default=0.0)
    if best in chosen or closest < min_cosine or closest - answered < _PART_COSINE_MARGIN:
        return []
    if any(_overlap(best.tokens, c.tokens) > _MAX_OVERLAP for c in chosen):
        return []
    return [best]


def _quotable_official(
    candidates: Sequence[Sentence],
    scores: dict[tuple[int, int], float],
    hits: Sequence[Hit],
    floor: float,
) -> list[Sentence]:
    """Sentences of official texts (not historical) relevant enough to be quoted (``floor``)."""
    return [
        s
        for s in candidates
        if _is_official(hits[s.passage]) and scores[(s.passage, s.position)] >= floor
    ]


def _restates(official: Sentence, secondary: Sentence) -> bool:
    """The official sentence holds ``_RESTATES`` or more of the secondary one's words."""
    return len(secondary.tokens & official.tokens) >= _RESTATES * len(secondary.tokens)


def _official_first(
    chosen: list[Sentence],
    official: Sequence[Sentence],
    scores: dict[tuple[int, int], float],
    hits: Sequence[Hit],
) -> list[Sentence]:
    """An official sentence that says what a secondary lead says takes the lead instead.

    When the best sentence comes from a secondary source (an ARS page, the press) and one of
    the quotable ``official`` sentences states the same thing (``_restates``), the best of them
    leads and the secondary one, which repeats it, is dropped.
    """
    if not chosen or _level(hits[chosen[0].passage]) <= OFFICIAL_LEVEL:
        return chosen
    restating = [s for s in official if _restates(s, chosen[0])]
    if not restating:
        return chosen
    lead = max(restating, key=lambda s: scores[(s.passage, s.position)])
    return [lead] + [s for s in chosen[1:] if s != lead]


def _restated_secondary(
    candidates: Sequence[Sentence], official: Sequence[Sentence], hits: Sequence[Hit]
) -> set[tuple[int, int]]:
    """Secondary sentences that one of the quotable ``official`` sentences already says.

    A secondary page is quoted for what no official text among the passages says; when one of
    its sentences restates a quotable official one, the official sentence is quoted instead.
    """
    return {
        (s.passage, s.position)
        for s in candidates
        if _level(hits[s.passage]) > OFFICIAL_LEVEL and any(_restates(o, s) for o in official)
    }


def _level(hit: Hit) -> int:
    return authority_of(hit.chunk.kind, hit.chunk.section).level


def _is_official(hit: Hit) -> bool:
    """An official text that is not historical (a closed call for proposals still counts)."""
    return not is_historical(hit.chunk.status) and _level(hit) <= OFFICIAL_LEVEL


def candidate_features(
    query: dict[str, float],
    hits: Sequence[Hit],
    idf: Idf,
    *,
    boost: Callable[[str], float] | None = None,
    prefer_in_force: bool = False,
    already_said: str = "",
    titles_answer: bool = False,
) -> list[tuple[Sentence, tuple[float, ...]]]:
    """Each sentence that may be quoted, with its signals in ``FEATURES`` order."""
    titles = [_title_tokens(hit.chunk.title) for hit in hits]
    featured: list[tuple[Sentence, tuple[float, ...]]] = []
    for sentence in _candidates(hits, titles, already_said, titles_answer=titles_answer):
        hit = hits[sentence.passage]
        featured.append(
            (
                sentence,
                (
                    coverage(query, sentence.tokens, idf),
                    coverage(query, sentence.tokens | titles[sentence.passage], idf),
                    1 / (sentence.passage + 1),
                    1.0 if hit.exact_reference else 0.0,
                    1.0 if sentence.position == 0 else 0.0,
                    boost(sentence.text) if boost else 0.0,
                    1.0 if prefer_in_force and not is_in_force(hit.chunk.status) else 0.0,
                ),
            )
        )
    return featured


def _candidates(
    hits: Sequence[Hit],
    titles: Sequence[frozenset[str]],
    already_said: str,
    *,
    titles_answer: bool = False,
) -> list[Sentence]:
    """The answer units of the passages that may be quoted."""
    candidates = [
        Sentence(p, i, text, frozenset(tokenize_fr(text)))
        for p, hit in enumerate(hits)
        for i, text in quoted_units(hit.chunk.text)
    ]
    # A heading repeating its title is no answer, except in a text the question names ("what is
    # the decree 2020-148 about?": its title says it) or when it asks which text ("quel décret
    # fixe … ?": « Décret n° 2020-148 du 21 février 2020 relatif au … »).
    candidates = [
        s
        for s in candidates
        if (
            titles_answer
            or hits[s.passage].exact_reference
            or not _repeats_title(s, titles[s.passage])
        )
        and not _is_fragment(s.text)
    ]
    if already_said:
        said = _flat(already_said)
        candidates = [s for s in candidates if _flat(s.text) not in said]
    return candidates


def _semantic_scores(
    candidates: Sequence[Sentence], relevance: Relevance | None, weight: float
) -> dict[tuple[int, int], float]:
    """Weighted cosine of each candidate with the question, less the best candidate's.

    Relative to the best, the term only reorders sentences: it never lifts every score alike,
    which would let weaker sentences pass the cut at a share of the best. A unit without a
    stored vector counts as the average of the others.
    """
    cosines = relevance([s.text for s in candidates]) if relevance and weight else []
    known = [c for c in cosines if c is not None]
    if not known:
        return {(s.passage, s.position): 0.0 for s in candidates}
    best, average = max(known), sum(known) / len(known)
    return {
        (s.passage, s.position): weight * ((average if cosine is None else cosine) - best)
        for s, cosine in zip(candidates, cosines, strict=True)
    }


def _is_fragment(text: str) -> bool:
    """A unit that opens in lower case is the end of a sentence or list cut off before it.

    A passage that starts in the middle of a sentence (passages overlap), or a list item whose
    introduction is in the previous passage (« d'optimiser la dépense de santé via les leviers
    décrits… ») is not a statement a user can read alone: it is never quoted. (A unit cut at
    the passage's end is kept up to its last clause: ``complete_part``.)
    """
    first = text.lstrip('«"“ (')[:1]
    return first.isalpha() and first.islower()


def _flat(text: str) -> str:
    """Text without citation markers, list bullets or line breaks, for comparing sentences."""
    return " ".join(strip_citation_markers(text).replace("\n- ", " ").split())


def _on_named_text(hits: Sequence[Hit]) -> list[bool]:
    """For each passage, whether it belongs to the text the question names.

    The article named, or any part of a decree or law named by its number (only its first
    passage is marked as named by the retriever).
    """
    exact = [hit.chunk for hit in hits if hit.exact_reference]
    return [
        hit.exact_reference
        or any(
            chunk.doc_id == hit.chunk.doc_id
            and (chunk.article == hit.chunk.article or not is_code_article(chunk.article))
            for chunk in exact
        )
        for hit in hits
    ]


def _title_tokens(title: str) -> frozenset[str]:
    """A title's words, less its article references.

    "articles L. 4011-1 à L. 4011-3" names a range: not every passage of it is about L. 4011-3.
    """
    references = {reference.lower() for reference in find_references(title)}
    return frozenset(tokenize_fr(title)) - references


def _repeats_title(sentence: Sentence, title: frozenset[str]) -> bool:
    """Whether the sentence is its document's title again (a heading line), not an answer."""
    words = sentence.tokens
    return len(words) >= 3 and len(words & title) >= _TITLE_REPEAT * len(words)


def _overlap(candidate: frozenset[str], chosen: frozenset[str]) -> float:
    """Share of the candidate's words already in a chosen sentence.

    Normalised by the candidate alone: a long sentence that contains a short chosen one and
    adds to it ("…: Une seule personne de l'équipe déclare…") is not a repeat; a short one
    inside a long chosen one is.
    """
    return len(candidate & chosen) / max(1, len(candidate))
