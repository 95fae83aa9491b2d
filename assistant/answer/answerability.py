"""Is the question answerable from this evidence? The specific things it names must be there.

A near-corpus question ("le numéro de l'ARS Bretagne", "le protocole de 2016 sur la
contraception") retrieves passages on the right topic that do not answer it. Before answering,
the specific entities the question names — years, text numbers, regions, proper names and
acronyms — must each appear in the retrieved evidence (its text or its titles). This is a
general check, not a list of questions: it looks only at what the question names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from assistant.answer.extractive import question_texts
from assistant.text.dates import ENGLISH_MONTHS, FOLDED_MONTHS_PATTERN
from assistant.text.english import ENGLISH_TERMS, looks_english
from assistant.text.glossary import ACRONYMS, expansions
from assistant.text.normalize import find_references, fold_for_matching, tokenize_fr

__all__ = [
    "REGIONS",
    "missing_entities",
    "protocol_subject",
    "question_entities",
    "unheld_articles",
]

_YEAR = re.compile(r"\b(?:19|20)\d{2}\b(?!-)")
# "avant 2019", "depuis 2025": a year that dates the rule asked about, not a thing to find.
_TIME_BOUND = re.compile(
    r"(?:avant|apres|depuis|jusqu'en|jusqu'a|a partir de|des|d'ici)\s+(?:l'annee\s+"
    # "avant la réforme de 2019", "depuis le décret de septembre 2025"
    r"|(?:la |le |l')(?:reforme|loi|decret|arrete|regime|simplification|ordonnance|texte)s?\s+"
    rf"(?:de |du |d')?(?:(?:{FOLDED_MONTHS_PATTERN})\s+)?)?$"
)
# "En 2022, …" opening a sentence (or after « Directeur d'un ESMS : »).
_FRAMING_IN = re.compile(r"(?:^|[.?!:]\s*)en\s+$")
_IMPERFECT = re.compile(
    r"\b(?!(?:fait|lait|souhait|trait|portrait|attrait|parfait|extrait|abstrait)\b)"
    r"[a-z]{2,}(?:ait|aient)\b"
)
_TEXT_NUMBER = re.compile(r"\b(?:19|20)\d{2}-\d{1,5}\b")
# Regions and overseas territories, as written in the texts (folded, hyphens as spaces).
REGIONS = (
    "auvergne rhone alpes", "bourgogne franche comte", "bretagne", "centre val de loire",
    "corse", "grand est", "hauts de france", "ile de france", "normandie",
    "nouvelle aquitaine", "occitanie", "pays de la loire", "provence alpes cote d'azur", "paca",
    "guadeloupe", "martinique", "guyane", "la reunion", "mayotte", "saint pierre et miquelon",
    "saint martin", "saint barthelemy", "polynesie", "nouvelle caledonie", "wallis",
)  # fmt: skip
# Capitalised words that name nothing specific (question words, domain terms every text uses).
_GENERIC = frozenset(
    {
        "quel", "quelle", "quels", "quelles", "qui", "que", "quoi", "comment", "combien",
        "est", "peut", "pour", "dans", "les", "des", "une", "mon", "mes", "je", "nous", "vous",
        "code", "article", "loi", "decret", "arrete", "etat", "france", "francais", "francaise",
        "republique", "french", "english", "sante", "ministre", "ministere", "agence",
        "protocole", "protocoles",
        "journal", "officiel", "jorf", "bulletin", "conseil", "haute", "autorite", "assurance",
        "maladie", "securite", "sociale", "premier", "premiere", "madame", "monsieur", "docteur",
        "et", "en", "le", "la", "au", "aux", "du", "de", "ou", "si", "il", "elle", "on", "ars",
        # Kinds of structure and of professional: categories the texts speak of in general.
        "msp", "cpts", "cds", "esp", "esms", "ght", "ehpad", "chu", "ssiad", "ide", "idel", "ipa",
        "mco", "ssr", "smr", "had", "usld", "urps",
        # A professional body as users name it (« l'inscription à l'Ordre »).
        "ordre", "ordres",
        # Schools and degrees: what a student asking studies (« Étudiante en IFSI, … »).
        "ifsi", "ifmk", "phd",
        # The regime before 2019, as a user names the protocols of that time ("un vieux
        # protocole HPST"): the texts speak of protocols authorised before the reform.
        "hpst",
    }
)  # fmt: skip
# Where a sentence starts: the question's start, or after a full stop, a question or
# exclamation mark, a line break (an opening quote or dash may follow).
_SENTENCE_START = re.compile(r"(?:^|[.?!…\n])[\s«\"(–-]*$")
_CAPITALISED = re.compile(r"(?<![\w-])([A-ZÀ-Ý][\w’'-]*[\w])")


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[-–]", " ", fold_for_matching(text)).split())


# Examples a question gives of what it asks about (« the overseas departments, e.g. Martinique
# or Réunion »): they illustrate it, the answer need not name them. Up to the end of the clause.
_EXAMPLES = re.compile(
    r"\b(?:e\.g\.|i\.e\.|for example|for instance|such as|par exemple|notamment|"
    r"tel(?:le)?s? que)[^?.;:]*",
    re.IGNORECASE,
)
# An English compound of a name and a common word: « HPST-era rules » names HPST.
_ENGLISH_COMPOUND_TAIL = re.compile(
    r"-(?:era|based|style|type|like|led|wide|related|specific|funded)$"
)


def question_entities(question: str) -> list[str]:
    """The specific things a question names, folded: text numbers, years, regions, names.

    The first word of a sentence is never taken for a name (it is capitalised anyway: « Est-il
    toujours en vigueur ? », « Qu'est-ce qu'il décrit ? » after a first sentence), nor what
    the question only gives as an example.
    """
    question = _EXAMPLES.sub("", question)
    folded = _fold(question)
    # Only an English question's field words are read in the texts' terms: « Application » in a
    # French question is not « candidature ».
    field_terms = ENGLISH_TERMS if looks_english(question) else {}
    found: list[str] = []
    numbers = _TEXT_NUMBER.findall(question)
    found += numbers
    for match in _YEAR.finditer(question):
        before = fold_for_matching(question[: match.start()])
        if any(match.group() in n for n in numbers) or _TIME_BOUND.search(before):
            continue
        # "En 2022, quel décret encadrait… ?": the year sets when the rule is asked about (a
        # state, in the imperfect), not an event of that year ("En 2016, quel protocole a été
        # autorisé ?").
        if (
            _FRAMING_IN.search(before)
            and question[match.end() :].startswith(",")
            and _IMPERFECT.search(folded)
        ):
            continue
        found.append(match.group())
    found += [region for region in REGIONS if re.search(rf"\b{re.escape(region)}\b", folded)]
    region_words = {w for region in found for w in region.split()}
    words = list(_CAPITALISED.finditer(question))
    for match in words:
        if _SENTENCE_START.search(question[: match.start()]):
            continue
        word = _fold(_ENGLISH_COMPOUND_TAIL.sub("", match.group(1)))
        name = word.split("'")[-1]
        # An English question dates in English: « December » is « décembre » in the texts.
        name = fold_for_matching(ENGLISH_MONTHS.get(name, name))
        # « Parliament », « Decree »: a field word of an English question, in the texts' terms.
        name = _fold(field_terms.get(name, name))
        # An acronym in the English plural (« MSPs ») is the acronym.
        if re.fullmatch(r"[A-Z]{2,}s", match.group(1)):
            name = name[:-1]
        if len(name) < 3 or name in _GENERIC or name in region_words:
            continue
        found.append(name)
    return list(dict.fromkeys(found))


# « Déposé notre protocole sur la plateforme »: where it was filed, not what it is about.
_WHERE_FILED = r"(?:la |le |l')?(?:plateforme|site|portail|internet|demarches)\b"
# What a protocol or an AMI the question names is about: "le protocole national sur la prise en
# charge du mal de gorge", "un protocole qui permet à l'infirmière de renouveler une contraception",
# "l'AMI sur la vaccination".
_PROTOCOL_SUBJECT = re.compile(
    r"\b(?:protocoles?|ami|appels? a manifestation d'interet)\s+"
    r"(?:(?:national|nationaux|local|locaux|de cooperation)\s+)*"
    rf"(?:(?:sur(?!\s+{_WHERE_FILED})|pour|"
    r"relatifs? a|concernant|portant sur|consacre a)\s+"
    r"|qui (?:permet|permettent|autorise|autorisent)\s+(?:a|aux)\s+"
    r"[\w']+(?:\s+[\w']+)?\s+d(?:e\s+|'))"
    r"(?:la prise en charge\s+(?:de la |du |des |de l'|d'|de ))?(?P<subject>[^?,;:()]+)"
)
# Where the subject ends: a relative pronoun, a preposition that starts a new part, a verb, a
# word of time (« le protocole sur les sutures hier »).
_SUBJECT_END = re.compile(
    r"\b(?:qui|que|dont|par|dans|en|avec|entre|chez|pour|sur|est|sont|peut|peuvent|doit|"
    r"doivent|a-t-il|a-t-elle|ont|etait|etaient|hier|aujourd'hui|demain|maintenant|"
    r"recemment|actuellement|bientot|deja|encore)\b"
)
_SUBJECT_TOKENS = 3
# Stems that say what kind of protocol it is, not what it is about.
_GENERIC_SUBJECT = frozenset(
    {
        "protocol", "national", "nationaux", "local", "locaux", "cooper", "futur", "nouveau",
        "nouvel", "fair", "fass", "fait", "fais", "font", "realis", "pratiqu", "effectu", "prendr",
    }
)  # fmt: skip


# "Le protocole national de sutures par l'infirmier": its subject after « de », not « de
# coopération » nor « de mise en œuvre ».
_SUBJECT_AFTER_DE = re.compile(
    r"\bprotocoles?\s+(?:(?:national|nationaux|local|locaux)\s+)?d(?:e |')"
    # Nor whose it is: « un protocole local d'hôpital », « de CPTS ».
    r"(?!(?:cooperation|mise|suivi|la structure|l'equipe|notre|votre|leur|ce|cet|cette|"
    r"hopital|etablissement|ville|territoire|groupement|ght|msp|cpts|centre|structure|equipe)\b)"
    r"(?P<subject>[^?,;:()]+)"
)
# "Le protocole cystite", "le protocole national odynophagie": a protocol known by its subject,
# the word right after it — a noun, not a verb, a participle (« le protocole autorisé ») or a
# word that starts a new part.
_BARE_SUBJECT = re.compile(
    r"\bprotocoles?\s+(?:(?:national|nationaux|local|locaux)\s+)?(?P<subject>[\w-]{5,})"
    # …ending its phrase: a noun, where a verb or an adjective would go on ("marche très bien").
    r"(?=\s*(?:[,:;?!)]|$)|\s+(?:et|de|d'|du|des|chez)\b)"
)
_NOT_A_SUBJECT = re.compile(
    r"^(?:national|nationaux|local|locaux|deja|mais|grace|avec|avait|encore|tout|selon|sous|"
    r"depuis|apres|avant|entre|dont|pour|lui-meme|elle-meme|etait|etaient|sont|doit|doivent|"
    r"peut|peuvent|existant|existe|permettant|figurent|issu|regional|hpst|valide|concerne|"
    r"prevu|prevoit|commun)"
    r"|-(?:t-)?(?:il|elle|ils|elles|on)$|(?:ant|er|ir|ait|aient|ent|eurs?)$"
)


_ABOUT = re.compile(rf"\s(?:sur|portant sur|relatifs? a|concernant)\s+(?!{_WHERE_FILED})")


def protocol_subject(question: str) -> list[str]:
    """Word stems of what a protocol or AMI the question names is about (empty when none is)."""
    folded = fold_for_matching(question)
    match = _PROTOCOL_SUBJECT.search(folded) or _SUBJECT_AFTER_DE.search(folded)
    if match is None:
        return _bare_subject(question, folded)
    subject = match.group("subject")
    # « Le protocole de soins non programmés sur l'odynophagie »: the kind of care, then what
    # it is about.
    about = _ABOUT.search(subject) if match.re is _SUBJECT_AFTER_DE else None
    if about:
        subject = subject[about.end() :]
    end = _SUBJECT_END.search(subject)
    tokens = tokenize_fr(subject[: end.start()] if end else subject)
    return [token for token in tokens if token not in _GENERIC_SUBJECT][:_SUBJECT_TOKENS]


def _bare_subject(question: str, folded: str) -> list[str]:
    """The stem of the word that names a protocol right after « protocole », if it is a noun."""
    match = _BARE_SUBJECT.search(folded)
    if match is None or _NOT_A_SUBJECT.search(match.group("subject")):
        return []
    # A participle ends in « é(e)(s) » (folding removed the accent: read it in the question).
    written = question[match.start("subject") : match.end("subject")]
    if len(question) == len(folded) and re.search(r"é(?:e|s|es)?$", written):
        return []
    return [token for token in tokenize_fr(match.group("subject")) if token not in _GENERIC_SUBJECT]


def _subject_missing(
    subject: list[str], evidence_tokens: Iterable[str], idf: Callable[[str], float]
) -> bool:
    """More than half of the subject, its words weighted by their rarity, is not in the evidence.

    "L'AMI sur la coopération médecins-infirmiers aux urgences" against an AMI on palliative
    care: doctors and nurses are everywhere, the emergency services are what it is about.
    """
    found = set(evidence_tokens)
    total = sum(idf(token) for token in subject)
    absent = sum(idf(token) for token in subject if token not in found)
    return 2 * absent > total


def _present(
    entity: str,
    evidence: str,
    acronyms: frozenset[str] = frozenset(),
    evidence_tokens: Sequence[str] = (),
) -> bool:
    if _said_as_words(_fold(entity), evidence):
        return True
    # An acronym or an everyday word is present when the texts' term for it is ("CNCI" →
    # "comité national …", "EHPAD" → "établissements … médico-sociaux"), in any inflection;
    # an acronym of 4 letters or more also when the initials of consecutive words of the
    # evidence spell it ("LFSS" → "loi de financement de la sécurité sociale").
    spelled = ACRONYMS.get(entity.upper())
    if spelled and _said(_short_form(tokenize_fr(spelled)), evidence_tokens):
        return True
    if _YEAR.fullmatch(entity) and _before_a_later_year(int(entity), evidence):
        return True
    if entity in _OVERSEAS and _OVERSEAS_WORDS.search(evidence):
        return True
    # "Dans les DOM": overseas as a whole, covered by what the texts say of it or of one of them.
    if entity in _ALL_OVERSEAS and (
        _OVERSEAS_WORDS.search(evidence)
        or any(re.search(rf"\b{region}\b", evidence) for region in _OVERSEAS)
    ):
        return True
    if entity in _REGION_ALIASES and _REGION_ALIASES[entity] in evidence:
        return True
    # Names joined by a hyphen ("l'évaluation Berland-Bourgueil"), each said on its own
    # ("Professeur Berland – Docteur Bourgueil").
    if _names_said_apart(entity, evidence):
        return True
    return any(
        _said(tokenize_fr(long), evidence_tokens) for long in expansions(entity.upper())
    ) or (entity in acronyms and len(entity) >= 4 and _spelled_out(entity, evidence))


def _said_as_words(phrase: str, evidence: str) -> bool:
    """Whether ``phrase`` stands in ``evidence`` as whole words (not inside a longer word)."""
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", evidence) is not None


def _names_said_apart(entity: str, evidence: str) -> bool:
    """Whether each name of a several-word entity (a region aside) is a word of the evidence."""
    names = [word for word in entity.split() if len(word) >= 3]
    return (
        len(names) >= 2
        and entity not in REGIONS
        and all(_said_as_words(name, evidence) for name in names)
    )


def _short_form(term: list[str]) -> list[str]:
    """The head words a text uses once it has named something ("la maison de santé")."""
    return term[:2] if len(term) >= 3 else term


# "autorisés antérieurement à l'entrée en vigueur de … la loi n° 2019-774": what the texts say
# of everything before a year.
_BEFORE_YEAR = re.compile(
    r"\b(?:avant|anterieurement a|anterieure?s? a|jusqu'(?:au|en|a))\b(?:\W+\w+){0,12}?\W+"
    r"((?:19|20)\d{2})\b"
)


def _before_a_later_year(year: int, evidence: str) -> bool:
    """Whether the evidence speaks of a time before a later year.

    "Un protocole autorisé en 2016" is one of the protocols "autorisés avant la loi de 2019".
    """
    return any(int(later) > year for later in _BEFORE_YEAR.findall(evidence))


# A region known by two names.
_REGION_ALIASES = {"paca": "provence alpes cote d'azur", "provence alpes cote d'azur": "paca"}
# An overseas region is covered by what the texts say of all of them.
_OVERSEAS = frozenset({"guadeloupe", "martinique", "guyane", "la reunion", "mayotte"})
_ALL_OVERSEAS = frozenset({"dom", "drom", "tom", "com", "dom tom"})
_OVERSEAS_WORDS = re.compile(r"\boutre mer\b|\barticle 73 de la constitution\b")


# Words of a term may stand this many words apart in the texts ("établissements et services
# médico-sociaux" says "établissement médico-social").
_TERM_SLACK = 2


def _said(term: Sequence[str], tokens: Sequence[str]) -> bool:
    """Whether the stems of ``term`` occur in order in ``tokens``, close together."""
    if not term:
        return False
    for start, token in enumerate(tokens):
        if token != term[0]:
            continue
        position, window_end = start, start + len(term) + _TERM_SLACK
        for stem in term[1:]:
            try:
                position = tokens.index(stem, position + 1, window_end)
            except ValueError:
                break
        else:
            return True
    return False


# An acronym as typed in a question: 4 to 6 capitals.
_ACRONYM = re.compile(r"\b[A-Z]{4,6}\b")
# Small words an acronym skips ("loi de financement de la sécurité sociale" → LFSS).
_LINK_WORDS = frozenset({"de", "la", "le", "les", "des", "du", "d", "l", "et", "a", "en", "pour"})


def _spelled_out(acronym: str, evidence: str) -> bool:
    """Whether consecutive words of ``evidence`` (link words skipped) start with its letters."""
    words = [w for w in re.findall(r"[a-z]+", evidence) if w not in _LINK_WORDS]
    return acronym in "".join(word[0] for word in words)


def missing_entities(
    question: str,
    evidence: Iterable[str],
    idf: Callable[[str], float] = lambda _token: 1.0,
    *,
    documents: Iterable[str] = (),
) -> list[str]:
    """Entities the questions of ``question`` name that appear nowhere in ``evidence``.

    Evidence is texts and titles. An entity only in the sentences that set the scene (where the
    asker works) is not sought. The subject of a protocol the question names counts as one
    entity, missing when most of its words are absent ("le protocole sur le mal de gorge"
    against passages on other protocols).
    What a protocol is about is a property of the whole document: the subject may also be in
    ``documents`` (every passage of the cited documents, retrieved or not).
    """
    joined = " ".join(evidence)
    text = _fold(joined)
    acronyms = frozenset(a.lower() for a in _ACRONYM.findall(question))
    tokens = tokenize_fr(joined)
    # Where the asker stands (« Je travaille dans un centre de santé en Guadeloupe. ») sets the
    # scene: only what the questions themselves name must be in the evidence.
    asked = set(question_entities(" ".join(question_texts(question))))
    missing = [
        entity
        for entity in question_entities(question)
        if entity in asked and not _present(entity, text, acronyms, tokens)
    ]
    subject = protocol_subject(question)
    if subject and _subject_missing(subject, [*tokens, *tokenize_fr(" ".join(documents))], idf):
        missing.append(" ".join(subject))
    return missing


def unheld_articles(
    question: str, held: Callable[[str], bool], evidence: Iterable[str]
) -> list[str]:
    """Code articles the question names that no indexed passage holds nor the evidence cites.

    « Que prévoyait l'article D. 4011-1 ? » when the corpus lacks that article: passages of the
    décret that created it do not say what it provided.
    """
    unheld = [reference for reference in find_references(question) if not held(reference)]
    if not unheld:
        return []
    cited = {reference for text in evidence for reference in find_references(text)}
    return [reference for reference in unheld if reference not in cited]
