"""The field's vocabulary: acronyms spelled out, and everyday words in the texts' own terms.

A question using an acronym or a word of everyday speech ("malade", "kiné", "hôpital") finds the
text that spells it out or says it the legal way ("patient", "masseur-kinésithérapeute",
"établissement de santé").
"""

from __future__ import annotations

import re

from assistant.text.normalize import fold_accents

ACRONYMS: dict[str, str] = {
    "ACI": "accord conventionnel interprofessionnel",
    "AMI": "appel à manifestation d'intérêt",
    "ARS": "agence régionale de santé",
    "ASAP": "accélération et de simplification de l'action publique",
    "CDS": "centre de santé",
    "CME": "commission médicale d'établissement",
    "CNCI": "comité national des coopérations interprofessionnelles",
    "CPTS": "communauté professionnelle territoriale de santé",
    "CSIRMT": "commission des soins infirmiers, de rééducation et médico-techniques",
    "DGOS": "direction générale de l'offre de soins",
    "DSS": "direction de la sécurité sociale",
    "ESMS": "établissements et services médico-sociaux",
    "ESP": "équipe de soins primaires",
    "GHT": "groupement hospitalier de territoire",
    "HAS": "Haute Autorité de santé",
    "HPST": "loi Hôpital, patients, santé et territoires",
    "IDE": "infirmier diplômé d'État",
    "IPA": "infirmier en pratique avancée",
    "JORF": "Journal officiel de la République française",
    "LFSS": "financement de la sécurité sociale",
    "MSP": "maison de santé pluriprofessionnelle",
    "ONDAM": "objectif national de dépenses d'assurance maladie",
    "OTSS": "organisation et à la transformation du système de santé",
    "RCP": "responsabilité civile professionnelle",
    "SNP": "soins non programmés",
    "URPS": "union régionale des professionnels de santé",
}
_ACRONYM = re.compile(r"\b[A-Z]{2,6}\b")

# Everyday word (lowercase, accents folded) → the terms the texts use for it.
SYNONYMS: dict[str, str] = {
    "malade": "patient",
    "malades": "patients",
    "kine": "masseur-kinésithérapeute",
    "kines": "masseurs-kinésithérapeutes",
    "hopital": "établissement de santé",
    "hopitaux": "établissements de santé",
    "clinique": "établissement de santé privé",
    "ehpad": "établissement médico-social",
    "ssiad": "service médico-social",
    "chu": "établissement de santé",
    "cpam": "assurance maladie",
    "cnam": "assurance maladie",
    "idel": "infirmier exercice libéral",
    "officine": "pharmacien",
    "ordre": "ordinale",
    # Laws known by an acronym: their number, which the texts cite.
    "hpst": "2009-879",
    "asap": "2020-1525",
    "otss": "2019-774",
    # … or by the name of their rapporteur or of the minister who carried them.
    "rist": "2021-502",
    "buzyn": "2019-774",
    "ordres": "ordinales",
    "candidater": "candidature équipes candidates",
    "postuler": "candidature équipes candidates",
    "choisie": "sélectionne sélection",
    "choisi": "sélectionne sélection",
    "ecrit": "rédige rédaction",
    "preside": "présidence",
    "siege": "membres composition comprend",
    "compose": "membres composition comprend",
    "adoptes": "approuvés majorité",
    "commencer": "mise en œuvre effective",
    "demarrer": "mise en œuvre effective",
    "incident": "événement indésirable",
    "assureur": "assurance responsabilité civile professionnelle",
    "salarie": "employeur",
    # Who represents the people cared for: the residents of a médico-social establishment in
    # its conseil de la vie sociale, the patients of a hospital in its commission des usagers.
    "residents": "conseil de la vie sociale",
    "resident": "conseil de la vie sociale",
    "representants": "commission des usagers conseil de la vie sociale",
}


def expansions(text: str) -> list[str]:
    """Acronyms of ``text`` (in capitals) spelled out, then the texts' terms for its words."""
    found = dict.fromkeys(m.group(0) for m in _ACRONYM.finditer(text))
    spelled = [ACRONYMS[a] for a in found if a in ACRONYMS]
    words = dict.fromkeys(re.findall(r"\w+", fold_accents(text)))
    return spelled + [SYNONYMS[w] for w in words if w in SYNONYMS]


# Kinds of structure, and the article of law that defines them, by which the Code's own articles
# name them: « les dispositifs mentionnés aux articles L. 1411-11-1 ou L. 1434-12 » are the
# primary care teams (a maison or a centre de santé may be one) and the CPTS.
LEGAL_DEFINITIONS: dict[str, str] = {
    "cpts": "L. 1434-12",
    "communaute professionnelle territoriale": "L. 1434-12",
    "esp": "L. 1411-11-1",
    "equipe de soins primaires": "L. 1411-11-1",
    "msp": "L. 1411-11-1",
    "maison de sante": "L. 1411-11-1",
    "maisons de sante": "L. 1411-11-1",
    "centre de sante": "L. 1411-11-1",
    "centres de sante": "L. 1411-11-1",
    "ght": "L. 6132-1",
    "groupement hospitalier": "L. 6132-1",
    "esms": "L. 312-1",
    "ehpad": "L. 312-1",
}
_DEFINED = re.compile(
    r"\b(?:" + "|".join(sorted(map(re.escape, LEGAL_DEFINITIONS), key=len, reverse=True)) + r")\b"
)


def legal_references(text: str) -> list[str]:
    """The articles defining the kinds of structure ``text`` names (« CPTS » → « L. 1434-12 »)."""
    found = _DEFINED.findall(fold_accents(text).lower())
    return list(dict.fromkeys(LEGAL_DEFINITIONS[name] for name in found))


def expand_vocabulary(text: str) -> str:
    """``text`` with its acronyms spelled out, its words' terms and its structures' articles.

    For lexical search: « CPTS » also finds « les dispositifs mentionnés à l'article L. 1434-12 ».
    """
    extra = expansions(text) + legal_references(text)
    return f"{text} {' '.join(extra)}" if extra else text
