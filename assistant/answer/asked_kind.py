"""What kind of thing a question asks for, and whether a sentence states one.

A question asking for an amount, a date, a duration, a count, a region, a text's number or a
person's name is only answered by a sentence that states one: the lead sentence of an answer
must, or the corpus does not say (the assistant refuses). The same kinds, in a looser form,
give a bonus to the sentences that state what is asked (who, when, which text).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence

from assistant.answer.answerability import REGIONS
from assistant.text.dates import FOLDED_MONTHS_PATTERN, FRENCH_MONTHS
from assistant.text.english import ENGLISH_TERMS
from assistant.text.normalize import fold_accents, fold_for_matching

__all__ = [
    "answer_type_missing",
    "asked_kind_unstated",
    "asks_which_text",
    "answering_sentence",
    "expected_kind_bonus",
]

_NUMBER_WORDS = (
    r"\b(?:un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|douze|quinze|vingt|trente|cent)\b"
)
# Expected answer types: a question asking for an amount, a phone number, a duration in hours or
# a count is only answered by a passage that states one (otherwise the corpus does not say).
# "Combien de protocoles …": the answer must count that very noun.
# A count: "un"/"une" are left out ("d'un protocole" counts nothing), "une dizaine" is kept.
_COUNT_WORDS = (
    r"(?:\b(?:deux|trois|quatre|cinq|six|sept|huit|neuf|dix|douze|quinze|vingt|trente|cent|"
    r"dizaine|vingtaine|trentaine|quarantaine|cinquantaine|soixantaine|centaine|millier)s?\b"
    # "au moins un médecin", "un seul délégant": a count, where a bare "un" is an article.
    r"|\bau (?:moins|plus|minimum|maximum) une?\b|\bune? seule?\b)"
)
# Words that count kinds of a thing: "combien de sortes de protocoles" is answered by "deux
# types de protocoles".
_KINDS_OF = ("sorte", "type", "genre", "categori", "forme", "espece", "modele", "famille")
# Words that may stand between a number and what it counts ("60 le nombre de protocoles").
_QUANTITY_WORDS = frozenset(
    {
        "nombre", "total", "totalite", "dizaine", "dizaines", "vingtaine", "trentaine",
        "quarantaine", "cinquantaine", "soixantaine", "centaine", "centaines", "millier",
        "milliers", "plus", "moins", "pres", "environ",
    }
)  # fmt: skip
# Words that may stand right before what is counted: articles and the adjectives French puts
# before a noun (« 4 nouveaux appels »). Another noun there makes the counted word its adjective
# (« 3 consultations infirmières » counts consultations, not nurses).
_BEFORE_A_NOUN = frozenset(
    {
        "le", "la", "les", "l", "nouveau", "nouveaux", "nouvelle", "nouvelles", "premier",
        "premiers", "premiere", "premieres", "dernier", "derniers", "derniere", "dernieres",
        "autre", "autres", "grand", "grands", "grande", "grandes", "petit", "petits", "petite",
        "petites", "seul", "seuls", "seule", "seules", "meme", "memes", "jeune", "jeunes",
        "principaux", "principales", "differents", "differentes", "futurs", "futures", "vrais",
    }
)  # fmt: skip
# « de » between two words: the first one measures or sorts the second (« le nombre de … »).
_OF = frozenset({"de", "d", "des"})
# Units after a number: it measures a time, an amount or a share, it counts no noun.
_UNITS = frozenset(
    {
        "jour", "jours", "semaine", "semaines", "mois", "an", "ans", "annee", "annees", "heure",
        "heures", "h", "minutes", "euro", "euros", "eur", "ml", "mg", "kg", "km",
    }
    # "le décret du 17 juin 2024, autorisant les pharmaciens": a day of a month counts nothing.
    | {fold_accents(month) for month in FRENCH_MONTHS}
)  # fmt: skip
_ASKS_WHICH = re.compile(r"\blesquel(?:le)?s\b")
_COUNTED_ENGLISH = re.compile(r"\b(?:how many|number of) (\w[\w-]{3,}(?:\s+[\w-]+){0,2})")
_COUNTED_NOUN = re.compile(r"\bcombien d(?:e |')(?!temps\b)(\w{4,})")
_DAY_DATE = (
    rf"\d{{1,2}}(?:er)? (?:{FOLDED_MONTHS_PATTERN})(?: \d{{4}})?|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}"
    rf"|(?:{FOLDED_MONTHS_PATTERN}) \d{{4}}"
)
_DURATION = rf"(?:\d+|{_NUMBER_WORDS})\s+(?:jours?|semaines?|mois|ans|annees?|heures?)"
_UNLIMITED = (
    r"\bsans (?:limit\w*|limite|condition) de (?:duree|temps)\b|\bsans limite dans le temps\b"
    r"|\ba titre (?:permanent|definitif)\b|\bduree (?:indeterminee|illimitee)\b"
)
# A length of time asked in English (the answer type and the sentence bonus alike).
_ENGLISH_LENGTH = (
    r"\bhow long\b|\bhow much (?:time|notice)\b|\b(?:maximum|minimum) (?:time|period)\b"
)
# A length of time asked (« combien de temps », « quelle durée »), and what states one.
_ASKS_LENGTH = re.compile(
    rf"\bquelle duree\b|\bcombien de temps\b|{_ENGLISH_LENGTH}|\b(?:maximum|minimum) length\b"
)
_LENGTH = re.compile(rf"{_DURATION}|{_UNLIMITED}")
# A region or overseas territory, hyphens or spaces between its words, or the whole country.
_REGION = (
    r"\b(?:"
    + "|".join(r"[ -]".join(map(re.escape, r.split())) for r in REGIONS)
    + r"|(?:tout|l'ensemble du) (?:le )?territoire|toutes les regions|au niveau national"
    + r"|a l'echelle nationale)\b"
)
_FREQUENCY = (
    r"\b(?:chaque|tous les|toutes les|annuel(?:le)?(?:ment)?|mensuel(?:le)?|semestriel(?:le)?|"
    r"trimestriel(?:le)?|par (?:an|mois|semaine|trimestre|semestre)|fois)\b"
)
# Events of the calendar: what "quand" asks a date for.
_EVENT = (
    r"(?:publie|paru|signe|adopte|promulgue|entre(?:e|s)? en vigueur|termine|prend fin|"
    r"prendra fin|expire|echeance|ouvert|ouvre|ferme|clos|lance)"
)
# Expected answer types, question form → what the answer must state (both on folded text). An
# English question (answered from the French texts) asks in English: its forms are here too.
# The date in a text's name ("Arrêté du 10 septembre 2020", "JO du 8 mars") dates that text: it
# answers when the text was published or signed, not when something else happens.
_TEXT_NAME_DATE = re.compile(
    r"\b(?:(?:(?:decret|arrete|loi|ordonnance|instruction|circulaire|communique)s?|"
    r"journal officiel|jorf|jo)(?:\s+(?:n°\s*|no\s*)?[\w-]*\d[\w-]*)?\s+du"
    r"|publiee?s? (?:au (?:journal officiel|jorf|jo)\s+)?(?:le|du))\s+"
    rf"(?:{_DAY_DATE})(?:\s+\d{{4}})?",
    re.IGNORECASE,
)
# A question about a text itself (its publication, its entry into force, "le décret …"), which
# the date of its name does answer.
_ABOUT_A_TEXT = re.compile(
    r"\b(?:publie|paru|signe|adopte|promulgue|pris|vigueur|decret|arrete|loi|ordonnance|"
    r"instruction|circulaire|texte|journal officiel|decree|law|order)"
)
# A date given by an event: "le lendemain de sa publication", "à compter de la déclaration".
_RELATIVE_DATE = r"\blendemain\b|\ba compter d|\bdes (?:la|le|sa|son|leur) |\b(?:la|sa) date d"
# A deadline asked, in French or English (an answer type, a sentence bonus, a lead rule).
_DEADLINE = r"date (?:limite|butoir|de cloture)|deadline|closing date|due date"
_ANSWER_TYPES: list[tuple[re.Pattern[str], re.Pattern[str]]] = [
    (
        re.compile(
            rf"\bquelle date\b|\bjusqu'a quand\b|\b(?:{_DEADLINE})\b"
            r"|\b(?:what|which)(?: exact)? date\b|\buntil when\b|\bby when\b"
        ),
        re.compile(rf"{_DAY_DATE}|{_RELATIVE_DATE}"),
    ),
    (
        re.compile(r"\b(?:quelle periode|quel moment) de l'annee\b|\ben quel mois\b|\bquel mois\b"),
        re.compile(
            rf"\b(?:{FOLDED_MONTHS_PATTERN})\b|\b(?:printemps|ete|automne|hiver|trimestre|"
            r"semestre|debut d'annee|fin d'annee|chaque annee)\b"
        ),
    ),
    (
        re.compile(r"\ben quelle annee\b|\b(?:what|which) year\b"),
        re.compile(r"\b(?:19|20)\d{2}\b"),
    ),
    # "Quand a été publié…", "Quand se termine…", "Il est entré en vigueur quand ?": an event
    # of the calendar. Not "Quand faut-il déclarer ?", which a step answers ("avant la mise en
    # œuvre"), nor "quand on s'engage…".
    (
        re.compile(
            rf"\bquand\b(?!.*\bquand\b).*\b{_EVENT}|\b{_EVENT}.*\bquand ?\?$"
            # "De quand date l'arrêté ?", "ça date de quand ?": a day or a year.
            r"|\bde quand date\b|\bdate de quand\b"
            # « When was it published? », not « When the ARS intended to end a protocol, … ».
            r"|\bwhen (?:was|were|is|are|did|does|do|will|would|has|have|had)\b.*"
            r"\b(?:published|signed|adopted|enacted|"
            r"come into force|came into force|"
            r"end|expire|launched)\b"
        ),
        re.compile(rf"{_DAY_DATE}|\b(?:19|20)\d{{2}}\b|{_RELATIVE_DATE}"),
    ),
    (
        re.compile(r"\b(?:dans )?quel (?:delai|preavis)\b|\bwithin what (?:time|period)\b"),
        # A deadline: "sans délai" and "immédiatement" give one.
        re.compile(
            rf"{_DURATION}|{_UNLIMITED}|\bsans delai\b|\bimmediatement\b|\bmeilleurs delais\b"
        ),
    ),
    # A length: "sans limite de durée" gives one, "immédiatement" does not.
    (_ASKS_LENGTH, _LENGTH),
    (
        re.compile(r"\b(?:adresse (?:electronique|e-?mail|mail)|courriel|e-?mail address)\b"),
        re.compile(r"[\w.-]+@[\w-]+\.\w+"),
    ),
    (
        re.compile(r"\bquel (?:taux|pourcentage)\b|\b(?:what|which) (?:rate|percentage|share)\b"),
        re.compile(r"\d\s*%|pour ?cent"),
    ),
    (
        re.compile(
            r"montant|tarif|prix|salaire|euros"
            r"|\bcombien (?!de |d')[^?]*\b(?:verse|rembourse|paie|paye|facture|touche|gagne|"
            r"percoi|coute|remunere|indemnise)"
            # "Elle touche la prime : ça représente combien par mois ?"
            r"|\b(?:touche|gagne|percoi|remunere|indemnise)\w*\b[^?]*\bcombien\b(?! de | d')"
            r"|\bcombien (?!de |d')[^?]*\bpar (?:mois|an|jour|semaine|heure|acte|patient)\b"
            r"|\bquel(?:le)? (?:budget|amende|somme|remuneration|prime|forfait)\b"
            r"|\bhow much\b(?! time\b| notice\b)"
            r"|\b(?:what|which)(?: \w+)? (?:amount|budget|fine|price|fee|salary)\b"
        ),
        re.compile(r"\d[\d .,]*\s?(?:(?:millions?|milliards?) (?:d.)?)?(?:€|euros?)"),
    ),
    (re.compile(r"telephone|\bphone\b"), re.compile(r"(?:\d{2}[ .]?){5}")),
    # A dose: an amount of a medicine, or how many times a day it is taken.
    (
        re.compile(r"\bposologie\b|\b(?:quelle|a quelle) dose\b|\bdosage\b|\bwhat dose\b"),
        re.compile(
            r"\d[\d,.]*\s*(?:mg|g|ml|µg|ui|comprimes?|gelules?|sachets?)\b"
            r"|\b(?:\d+|une|deux|trois|quatre) fois par (?:jour|semaine)\b|\bdose unique\b"
        ),
    ),
    (
        re.compile(r"\b(?:taille|poids) (?:maximale?|max|limite)\b|\bfile size\b"),
        re.compile(r"\d+\s*(?:mo|ko|go|mb|kb|gb|megaoctets?)\b"),
    ),
    (re.compile(r"\bquelles? regions?\b|\b(?:which|what) regions?\b"), re.compile(_REGION)),
    (
        re.compile(
            # "le numéro (exact) du décret", a few words between.
            r"\bnumero\b(?:\W+\w+){0,3}?\W+(?:du |de la |de l'|d')?"
            r"(?:decret|loi|arrete|instruction|circulaire)"
            r"|\bnumber of the (?:[\w']+ )*?(?:decree|law|order|instruction|circular)\b"
        ),
        re.compile(r"\b(?:19|20)?\d{2}-\d{1,5}\b|\bn°\s*\d"),
    ),
    (
        # Not "quelles sanctions ?" alone: a suspension of the protocol answers it.
        re.compile(r"\bsanctions? (?:penales?|financieres?)\b|\bquelle peine\b|\bquelle amende\b"),
        re.compile(r"\bamendes?\b|\bemprisonnement\b|\bpeines? d|\d\s*(?:€|euros?)"),
    ),
    # Who sits on a body: its members (« composé de », « représentant de… »), not what it does.
    (
        re.compile(
            r"\bqui (?:siege|siegeait|siegent|siegeaient|compos\w*)\b|\bquels membres\b"
            r"|\bcomposition (?:du|de la|de l')\b|\bwho sits\b"
        ),
        re.compile(r"\b(?:compos|membre|represent|president|siege)\w*"),
    ),
    # What a report or an evaluation found: a text that only orders it (« le Gouvernement remet
    # au Parlement un rapport ») does not say.
    (
        re.compile(
            r"\bconclusions?\b|\bconclu(?:t|ait|aient|ent)?\b"
            r"|\bresultats? (?:du |de l'|de la |des )(?:rapport|evaluation|experimentation)"
            r"|\bconclud(?:e|ed)\b|\b(?:conclusions|findings|results) of\b"
        ),
        re.compile(
            r"\b(?:conclu|resultat|montr|constat|recommand|preconis|revel|faisabilit|efficac)\w*"
            r"|\bmis(?:e|es)? en evidence\b|\bmet en evidence\b"
        ),
    ),
    (re.compile(r"\ba quelle frequence\b|\bcombien de fois\b"), re.compile(_FREQUENCY)),
    (re.compile(r"combien d'heures"), re.compile(rf"(?:\d+\s*h|{_NUMBER_WORDS}\s+heure)")),
    (re.compile(r"\bcombien de\b|\bhow many\b"), re.compile(rf"\d|{_NUMBER_WORDS}")),
    # "Quelle sanction risque-t-il ?": a penalty the text states, or a suspension of the
    # protocol (the penal ones are asked above).
    (
        re.compile(
            r"\bquel(?:le)?s? (?:sanction|amende|peine)s?\b"
            r"|\bwhat (?:penalt(?:y|ies)|sanctions?|fines?)\b"
        ),
        re.compile(
            r"\b(?:sanction|amende|peine|emprisonnement|penal|disciplinaire|interdi|"
            r"radiation|suspen|retrait|retir|met(?:tre)? fin)\w*"
        ),
    ),
]
# The kinds above that ask for a date, a month or a year (the first four): the date in a text's
# name answers them only about that text.
_DATE_KINDS = frozenset(question for question, _ in _ANSWER_TYPES[:4])
# A person asked for by name: the answer must name someone (two capitalised words, or a title).
_ASKS_NAME = re.compile(
    r"\bcomment s'appel|\bquel est le nom\b|\bqui est (?:[\w']+ )?(?:le|la) (?:ministre|"
    r"representante?|president|directeur|directrice|personne|referente?|interlocut\w*|correspondante?|"
    r"contact)\b|\bquel(?:le)? (?:depute|senateur|ministre|premiere? ministre)\b"
)
# "Qui préside le comité ?": a person, or the office that holds the chair ("la présidence est
# assurée par le directeur général de l'offre de soins").
_ASKS_HEAD = re.compile(r"\bqui (?:preside|dirige)\b")
_OFFICE = re.compile(
    r"\b(?:directeur|directrice|president|presidente|ministre|secretaire|chef)s? "
    r"(?:generale? )?(?:de |du |des |d'|charge)"
)
# "Quelle équipe a été retenue ?": the answer names a team or a place (capitalised words).
_SELECTABLE = r"(?:equipe|structure|etablissement|candidat|candidature|caisse|site|territoire)s?"
_ASKS_SELECTED = re.compile(
    rf"\bquel(?:le)?s? {_SELECTABLE}\b.*"
    r"\b(?:a|ont)(?:-t-(?:il|elle|ils|elles))? (?:\w+ )?(?:ete )?"
    r"(?:retenu|selectionne|choisi|designe)e?s?\b"
    # "Quelles sont les (quatre) caisses départementales retenues ?"
    rf"|\bquel(?:le)?s? sont (?:les )?(?:\w+ )?{_SELECTABLE}\b[^?]*\b"
    r"(?:retenu|selectionne|choisi|designe)e?s?\b"
)
_NAMED_PLACE = re.compile(
    r"\b(?:CHU|CHRU|CH|GHT|CPTS|centre hospitalier|h[oô]pital|clinique|maison de sant[eé])\b"
    r"|\b(?:de|du|d')\s*[A-ZÀ-Ý][a-zà-ÿ]+(?:[- ][A-ZÀ-Ý][a-zà-ÿ]+)*\b"
)
_PERSON_NAME = re.compile(
    r"\b(?:M\.|Mme|Dr|Pr)\s+[A-Z]|\b[A-Z][a-zà-ÿ]+(?:-[A-Z][a-zà-ÿ]+)? [A-ZÀ-Ý]{2,}"
)


_DATE = rf"\d{{1,2}}(?:er)? (?:{FOLDED_MONTHS_PATTERN}) \d{{4}}|\d{{2}}/\d{{2}}/\d{{4}}"
# « Quel décret fixe… ? »: a question asking which text (its title answers it).
_ASKS_WHICH_TEXT = re.compile(
    r"\bquel(?:le)?s? (?:decret|loi|arrete|texte)|\bwhich (?:decree|law|order|text)"
)
_NAMES_A_TEXT = re.compile(r"\b(?:decret|arrete|loi|decree|order|law)\b")
# What kind of sentence answers a kind of question (folded text): a text's reference, a date, a
# duration, an actor, a place. Such sentences get a bonus when the answer is composed.
_EXPECTED_KINDS: list[tuple[re.Pattern[str], re.Pattern[str]]] = [
    (
        _ASKS_WHICH_TEXT,
        re.compile(rf"(?:decret|loi|arrete)\s+(?:n°\s*)?\d{{2,4}}-\d+|{_DATE}"),
    ),
    (
        re.compile(
            rf"\b(?:quand|depuis quand|quelle date|a quelle date|publie|{_DEADLINE})"
            # « When was it published? », « and when did it start? » (not « when the ARS… »).
            r"|\bwhen (?:was|were|is|are|did|does|do|will|would|has|have|had)\b|\bsince when\b"
        ),
        re.compile(rf"{_DATE}|\b(?:19|20)\d{{2}}\b"),
    ),
    (
        re.compile(
            rf"\b(?:quel delai|dans quel delai|combien de temps|duree)|{_ENGLISH_LENGTH}"
            r"|\bwithin what (?:time|period)\b|\bdeadline\b"
        ),
        re.compile(
            rf"\b(?:\d+|{_NUMBER_WORDS})\s+(?:jours?|mois|ans|semaines?)|\bsans delai\b"
            rf"|\bimmediatement\b|{_UNLIMITED}"
        ),
    ),
    (
        re.compile(
            r"^(?:et )?qui\b|\bpar qui\b|\bquel(?:le)? (?:instance|autorite|organisme)|"
            r"\bqui (?:doit|peut|valide|autorise|decide|declare|recoit|siege|selectionn)"
            r"|^(?:\W*)who\b|\bwhich (?:body|authority|committee|agency)\b"
        ),
        re.compile(
            r"\b(?:directeur|directrice|agence regionale|ars|comite|cnci|haute autorite|has|"
            r"ministres?|commission|chef d'etablissement|responsable|conseil)\b"
        ),
    ),
    (
        re.compile(r"^(?:et )?ou\b|\bou (?:trouver|deposer|declarer|envoyer)"),
        re.compile(r"\b(?:site|plateforme|en ligne|demarches|application)\b"),
    ),
    # « Quels indicateurs… ? », « quelles pièces… ? », « lesquels ? »: several things, which a
    # list states (its items joined by « ; »).
    (
        re.compile(
            r"\bquel(?:le)?s\b|\blesquel(?:le)?s\b"
            # « What documents », not « what is », « which was », « what does ».
            r"|\b(?:what|which) (?!(?:is|was|has|does|this)\b)\w+s\b"
        ),
        re.compile(r";[^;]+;"),
    ),
]
_EXPECTED_KIND_BONUS = 0.15


def asks_which_text(question: str) -> bool:
    """Whether a text's title may answer: the question asks which text, or the date of one.

    « Quel décret fixe… ? », « le décret…, il date de quand ? »: « Décret n° … du … ».
    """
    folded = fold_for_matching(question)
    if _ASKS_WHICH_TEXT.search(folded):
        return True
    return _NAMES_A_TEXT.search(folded) is not None and any(
        kind.search(folded) for kind in _DATE_KINDS
    )


def expected_kind_bonus(question: str) -> Callable[[str], float] | None:
    """Bonus for sentences of the kind the question asks for (who, when, which text…), if any."""
    asked = fold_for_matching(question)
    patterns = [answer for ask, answer in _EXPECTED_KINDS if ask.search(asked)]
    # "Combien de patientes ?": a sentence that counts them ("plus de 100 patientes").
    counted = _counted_noun(asked)
    if not patterns and not counted:
        return None

    def bonus(sentence: str) -> float:
        folded = fold_for_matching(sentence)
        of_kind = any(p.search(folded) for p in patterns) or bool(
            counted and _counts(counted, fold_accents(sentence))
        )
        return _EXPECTED_KIND_BONUS if of_kind else 0.0

    return bonus


def answer_type_missing(question: str, answer_text: str) -> bool:
    """True when the question asks for a figure that the chosen sentences do not contain."""
    asked = fold_for_matching(question)
    answer = fold_accents(answer_text)
    counted = _counted_noun(asked)
    # "Combien d'indicateurs, et lesquels ?": the list of them answers too.
    if counted and not _ASKS_WHICH.search(asked) and not _counts(counted, answer):
        return True
    if _ASKS_NAME.search(asked):
        return not _PERSON_NAME.search(answer_text)
    if _ASKS_HEAD.search(asked):
        return not (
            _PERSON_NAME.search(answer_text) or _OFFICE.search(fold_for_matching(answer_text))
        )
    if _ASKS_SELECTED.search(asked):
        return not (_PERSON_NAME.search(answer_text) or _NAMED_PLACE.search(answer_text))
    for question_pattern, answer_pattern in _ANSWER_TYPES:
        if question_pattern.search(asked):
            if question_pattern in _DATE_KINDS and _dated_thing_unsaid(asked, answer):
                return True
            if question_pattern in _DATE_KINDS and not _ABOUT_A_TEXT.search(asked):
                answer = _TEXT_NAME_DATE.sub(" ", answer)
            return not answer_pattern.search(answer)
    return False


# What a date is asked of: a kind of text, or a meeting. "À quelle date l'arrêté a-t-il été
# publié ?" is not answered by the date of the AMI's publication.
_DATED_THINGS = ("arrete", "decret", "loi", "instruction", "ordonnance", "circulaire", "reuni")
_OTHER_DATED = (*_DATED_THINGS, "ami", "appel", "candidature", "selection", "communique")


def _dated_thing_unsaid(asked: str, answer: str) -> bool:
    """Whether the question dates a kind of text or a meeting, and the answer dates another.

    An answer that names nothing ("Publié au JO le 21 novembre 2021") may be the text's own.
    """
    asked_things = [thing for thing in _DATED_THINGS if re.search(rf"\b{thing}", asked)]
    named = [thing for thing in _OTHER_DATED if re.search(rf"\b{thing}", answer)]
    return bool(asked_things) and bool(named) and not set(asked_things) & set(named)


def asked_kind_unstated(
    question: str, answer_sentences: Sequence[str], *, several: bool = False
) -> bool:
    """True when the answer does not state the kind of thing asked where it should.

    The lead sentence must state it; a question that asks several things ("Faut-il attendre
    l'ARS ? Et combien de médecins doivent accepter ?", "Qui le préside, et à quelle
    fréquence se réunit-il ?": ``several``, or more than one question mark) may have its figure
    in a later sentence.
    """
    several = several or question.count("?") > 1
    stated = answer_sentences if several else answer_sentences[:1]
    if answer_sentences and _done_asked_duty_quoted(question, answer_sentences[0]):
        return True
    if not several and answer_sentences and _only_a_title(question, answer_sentences[0]):
        return True
    return answer_type_missing(question, " ".join(stated))


# "Le rapport a-t-il (bien / finalement) été remis ?", "le Gouvernement l'a remis quand ?": whether
# or when an act was done. Not what a text did ("la loi a-t-elle demandé…"): its content says it.
_MANNER = r"(?:(?:effectivement|finalement|bien|deja|vraiment) )*"
_DONE = re.compile(
    rf"\b(?:(?:a|ont)-t-(?:il|elle|ils|elles|on)|(?:l'|les |il |elle |ils |elles |on )(?:a|ont))"
    rf" {_MANNER}(?:ete )?{_MANNER}([a-z]+(?:e|i|is|it|u)e?s?)\b"
)
_WHAT_A_TEXT_DOES = re.compile(
    r"^(?:demand|prev|fix|defini|modifi|cre|institu|autoris|precis|pos|ouvert|introdui|"
    r"supprim|abrog|remplac|etend|etendu|dit|prescrit|impos)"
)
# A duty with a deadline: « dans un délai de six mois…, le Gouvernement remet un rapport ».
_DUTY_DEADLINE = re.compile(r"\bdans un delai (?:de|d'un|maximal)|\bau plus tard\b")


def _done_asked_duty_quoted(question: str, lead: str) -> bool:
    """The question asks whether or when an act was done; the lead only sets its deadline.

    A text that prescribes an act within a delay does not say that it was done, nor when.
    """
    done = _DONE.search(fold_for_matching(question))
    return (
        done is not None
        and not _WHAT_A_TEXT_DOES.match(done.group(1))
        and _DUTY_DEADLINE.search(fold_for_matching(lead)) is not None
    )


# A quoted name alone: « Réalisation de sutures de plaies simples par un infirmier… ».
_QUOTED_NAME = re.compile(r"^\s*«[^»]+»\s*$")
# Questions a name answers: whether something exists, which one, what it is called.
_ASKS_A_NAME = re.compile(
    r"\b(?:existe|y a-t-il|y-a-t-il|ya t il|quels? (?:sont les )?(?:protocoles?|ami|appels?)|"
    r"lesquel\w*|lequel|laquelle|nom|intitule|titre|s'appelle|does|is there|are there|which)\b"
)


def _only_a_title(question: str, lead: str) -> bool:
    """The lead is only a quoted name (a protocol's title in a list), and the question asks more.

    « Quels médicaments l'infirmière peut-elle prescrire dans le protocole Alzheimer ? » is not
    answered by the protocol's title; « Existe-t-il un protocole pour les sutures ? » is.
    """
    return bool(_QUOTED_NAME.match(lead)) and not _ASKS_A_NAME.search(fold_for_matching(question))


# « Quelle est la date limite ? », « what was the deadline? »: a day answers it.
_ASKS_DEADLINE = re.compile(rf"\b(?:{_DEADLINE})\b")
_DAY_DATE_FOUND = re.compile(_DAY_DATE)


def answering_sentence(question: str, sentences: Sequence[str]) -> int:
    """Which sentence leads: the first stating the quantity asked, when the best one does not.

    For a count (« combien de protocoles ? »: a sentence that counts protocols) and a length of
    time (« pour combien de temps ? »: « sans limite de durée », « un mois ») or a deadline
    (« date limite », « deadline »: a day), which the best sentence on the right subject often
    leaves out. 0 (the best sentence stays first) for
    other questions, for « combien d'indicateurs, et lesquels ? », or when none states it.
    """
    asked = fold_for_matching(question)
    counted = _counted_noun(asked)
    if counted and not _ASKS_WHICH.search(asked):
        states = [_counts(counted, fold_accents(text)) for text in sentences]
    elif _ASKS_LENGTH.search(asked):
        states = [bool(_LENGTH.search(fold_for_matching(text))) for text in sentences]
    elif _ASKS_DEADLINE.search(asked):
        states = [bool(_DAY_DATE_FOUND.search(fold_accents(text))) for text in sentences]
    else:
        return 0
    return states.index(True) if any(states) else 0


def _counted_noun(asked: str) -> str | None:
    """What "combien de …" counts; for "how many …", the texts' French word for it."""
    french = _COUNTED_NOUN.search(asked)
    if french:
        return french.group(1)
    english = _COUNTED_ENGLISH.search(asked)
    if english is None:
        return None
    # « how many cooperation protocols had… »: the last of the field's terms is the noun counted,
    # the words before it qualify it.
    words = english.group(1).split()
    known = [word for word in words if word in ENGLISH_TERMS]
    noun = known[-1] if known else words[0]
    terms = ENGLISH_TERMS.get(noun, noun).split()
    return fold_accents(terms[0]).lower() if len(terms) == 1 else None


def _counts(noun: str, answer: str) -> bool:
    """Whether the answer gives a number of ``noun`` ("près de 60 le nombre de protocoles").

    "deux modèles de protocoles" counts models, not protocols: a word followed by "de" may
    only stand between the number and the noun when it is itself a quantity ("nombre"). A year
    is no count, nor a measure ("4 semaines par le masseur-kinésithérapeute" counts weeks).
    """
    stem = noun[: max(4, len(noun) - 2)]
    counted_noun = "|".join(map(re.escape, _KINDS_OF if noun.startswith(_KINDS_OF) else (stem,)))
    # A year ("Ma santé 2022, les protocoles") counts nothing.
    number = r"(?<![\d-])(?!(?:19|20)\d{2}\b)\d+"
    # Separated from what it counts by a space: "0-PROTOCOLES" (a folder's name) counts nothing.
    # A lookahead: every number is tried, not only those after the end of an earlier match.
    pattern = rf"(?=(?:{number}|{_COUNT_WORDS})\s+\W*((?:[\w']+\W+){{0,4}}?)(?:{counted_noun}))"
    for match in re.finditer(pattern, answer):
        words = [w.lower() for w in re.findall(r"[\w]+", match.group(1))]
        if words and words[0] in _UNITS:
            continue
        pairs = list(itertools.pairwise([*words, ""]))
        counted = [word for word, after in pairs if after in _OF]
        between = [word for word, after in pairs if word not in _OF and after not in _OF]
        if all(word in _QUANTITY_WORDS for word in counted) and all(
            word in _BEFORE_A_NOUN or word in _QUANTITY_WORDS for word in between
        ):
            return True
    return False
