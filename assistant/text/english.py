"""English questions: recognised, and their field words given in the French texts' terms.

The embedder is multilingual, so an English question finds its passages by meaning; the
lexical signals (BM25, the coverage of a sentence) need French words. The field's vocabulary
is small: a bilingual list of its terms gives an English question the French words the texts
use ("nurse" → "infirmier", "regional health agency" → "agence régionale de santé").
"""

from __future__ import annotations

import re

__all__ = ["ENGLISH_TERMS", "asks_several_things", "french_terms", "looks_english"]

_ENGLISH_WORDS = frozenset(
    {
        "the", "what", "who", "how", "which", "when", "where", "why", "is", "are", "does", "do",
        "can", "should", "must", "of", "to", "and", "my", "for", "with", "from", "an", "this",
        "a", "i", "in", "be", "it", "if", "or", "by", "at", "have", "has", "need", "there", "am",
        "we", "you", "our", "your", "was", "were", "did", "will", "would", "could", "many",
        "much", "under", "about", "they", "their", "them", "been", "that", "these", "those",
        "not", "any", "get", "after", "before", "into", "than",
    }
)  # fmt: skip


# French function words: a French question holds more of them than of English ones.
_FRENCH_WORDS = frozenset(
    {
        "le", "la", "les", "des", "du", "de", "d", "l", "et", "est", "un", "une", "pour", "que",
        "qui", "qu", "dans", "sur", "au", "aux", "je", "j", "il", "elle", "ce", "c", "ces", "son",
        "sa", "ses", "pas", "ne", "n", "quel", "quelle", "quels", "quelles", "peut", "faut",
        "mon", "ma", "mes", "nous", "vous", "par", "avec", "sont", "ou", "se", "s", "y", "leur",
        "leurs", "cette", "comment", "combien", "quand",
    }
)  # fmt: skip


def looks_english(question: str) -> bool:
    """Most likely English: two or more English function words, and more than French ones.

    Counted against the French ones, not against all words: a long English question full of
    field words (« calls for expressions of interest… care assistants ») is still English.
    """
    words = re.findall(r"[a-z]+", question.lower())
    english = sum(w in _ENGLISH_WORDS for w in words)
    french = sum(w in _FRENCH_WORDS for w in words)
    return english >= 2 and english > french


# Where an English question asks its next question: « …published, and what was the closing
# date? », « How long does it last? How many funds take part? ». A split that keeps every word.
_QUESTION_BREAK = re.compile(
    r"\?\s+(?=\S)|,?\s+and\s+(?=(?:what|how|when|who|whom|which|where|why|is|are|does|do|did|"
    r"can|could|must|should)\b)",
    re.IGNORECASE,
)


def english_questions(question: str) -> list[str]:
    """The questions of an English compound question, in order (the whole one when single)."""
    return [part for part in _QUESTION_BREAK.split(question.strip()) if part.strip()]


def asks_several_things(question: str) -> bool:
    """Whether an English question asks more than one thing (each may be answered apart)."""
    return len(english_questions(question)) > 1


# English term (lower case, several words before the words they contain) → the texts' terms.
ENGLISH_TERMS: dict[str, str] = {
    "regional health agency": "agence régionale de santé",
    "health insurance": "assurance maladie",
    "national health insurance": "assurance maladie objectif national",
    "expression of interest": "appel à manifestation d'intérêt",
    "call for proposals": "appel à manifestation d'intérêt",
    "palliative care": "soins palliatifs",
    "health care facility": "établissement de santé",
    "healthcare facility": "établissement de santé",
    "health facility": "établissement de santé",
    "nursing home": "établissement médico-social",
    "public health code": "code de la santé publique",
    "high authority": "Haute Autorité de santé",
    "advanced practice": "pratique avancée",
    "official journal": "Journal officiel",
    "unscheduled care": "soins non programmés",
    "urinary tract infection": "cystite",
    "sore throat": "angine",
    "cooperation": "coopération",
    "cooperations": "coopérations",
    "protocol": "protocole",
    "protocols": "protocoles",
    "national": "national",
    "local": "local",
    "nurse": "infirmier infirmière",
    "nurses": "infirmiers infirmières",
    "doctor": "médecin",
    "doctors": "médecins",
    "physician": "médecin",
    "physicians": "médecins",
    "pharmacist": "pharmacien",
    "pharmacists": "pharmaciens",
    "physiotherapist": "masseur-kinésithérapeute",
    "physiotherapists": "masseurs-kinésithérapeutes",
    "midwife": "sage-femme",
    "orthoptist": "orthoptiste",
    "orthoptists": "orthoptistes",
    "ophthalmologist": "ophtalmologiste",
    "occupational therapist": "ergothérapeute",
    "occupational therapists": "ergothérapeutes",
    "patient": "patient",
    "patients": "patients",
    "consent": "consentement",
    "team": "équipe",
    "teams": "équipes",
    "delegate": "délégué",
    "delegated": "délégué délégation",
    "delegating": "délégant",
    "delegation": "délégation",
    "tasks": "actes activités",
    "task": "acte activité",
    "training": "formation",
    "declare": "déclarer déclaration",
    "declaration": "déclaration",
    "declared": "déclaré déclaration",
    "join": "adhérer adhésion",
    "joining": "adhésion",
    "authorise": "autorise autorisation",
    "authorises": "autorise autorisation",
    "authorize": "autorise autorisation",
    "authorizes": "autorise autorisation",
    "authorised": "autorisé",
    "authorized": "autorisé",
    "authorisation": "autorisation",
    "authorization": "autorisation",
    "opinion": "avis",
    "opinions": "avis",
    "committee": "comité",
    "decree": "décret",
    "law": "loi",
    "order": "arrêté",
    "ministerial": "ministériel",
    "minister": "ministre",
    "ministry": "ministère",
    "funding": "financement",
    "financing": "financement",
    "costs": "dépenses coût",
    "cost": "coût",
    "budget": "objectif dépenses",
    "payment": "rémunération",
    "remuneration": "rémunération",
    "bonus": "prime",
    "monitoring": "suivi",
    "indicators": "indicateurs",
    "evaluation": "évaluation",
    "assessment": "évaluation",
    "requirements": "exigences",
    "quality": "qualité",
    "safety": "sécurité",
    "goals": "objectifs",
    "objectives": "objectifs",
    "deadline": "délai date limite",
    "delay": "délai",
    "end": "fin",
    "suspend": "suspendre suspension",
    "withdraw": "retrait",
    "director": "directeur",
    "establishment": "établissement",
    "facility": "établissement",
    "hospital": "établissement de santé",
    "hospitals": "établissements de santé",
    "documents": "documents pièces",
    "form": "formulaire",
    "platform": "plateforme",
    "online": "en ligne",
    "insurance": "assurance",
    "liability": "responsabilité civile",
    "emergency": "urgences",
    "emergencies": "urgences",
    "diagnosis": "diagnostic",
    "prescribe": "prescrire prescription",
    "prescription": "prescription",
    "vaccination": "vaccination",
    "glasses": "lunettes",
    "eye": "visuel",
    "telemedicine": "télémédecine",
    "experiment": "expérimentation",
    "experiments": "expérimentations",
    "sits": "membres composition comprend",
    "sit": "membres composition comprend",
    "members": "membres composition",
    "member": "membre",
    "composed": "composition comprend",
    "chairs": "présidence",
    "chaired": "présidence",
    "writes": "rédige rédaction",
    "written": "rédige rédaction",
    "drafts": "rédige rédaction",
    "chosen": "sélectionne sélection",
    "selected": "sélectionne sélection",
    "start": "mise en œuvre effective",
    "apply": "candidature mise en œuvre",
    "report": "rapport",
    "parliament": "Parlement",
    "years": "ans",
    "files": "dossiers",
    "pharmacies": "pharmacies",
    "region": "région",
    "regions": "régions",
    # Procedure and time words of the questions, in the texts' terms.
    "meet": "réunit réunion",
    "meets": "réunit réunion",
    "meeting": "réunion",
    "majority": "majorité",
    "often": "fois par",
    "annual": "annuel annuellement",
    "annually": "annuellement",
    "yearly": "annuellement",
    "month": "mois",
    "months": "mois",
    "days": "jours",
    "weeks": "semaines",
    "hours": "heures",
    "age": "âge",
    "adverse event": "événement indésirable",
    "adverse events": "événements indésirables",
    "serious": "graves",
    "mandatory": "obligatoires",
    "overseas": "outre-mer",
    "compliance": "conformité",
    "comply": "conformité",
    "health centre": "centre de santé",
    "health center": "centre de santé",
    "primary care": "soins primaires",
    "coordinated practice": "exercice coordonné",
    "register": "enregistrer enregistrement",
    "registered": "enregistré enregistrement",
    "rejected": "rejet",
    "rejection": "rejet",
    "employer": "employeur",
    "published": "publié publication",
    "publication": "publication",
    "signed": "signé",
    "president": "président",
    "representative": "représentant",
    "procedure": "procédure",
    "steps": "étapes",
    "eligible": "éligibles",
    "extended": "extension prorogé",
    "extension": "extension",
    "validity": "validité",
    "valid": "valable validité",
    "terminate": "fin",
    "termination": "fin",
    "observations": "observations",
    "users": "usagers",
    # The field's general vocabulary: legal life of a text, professions, care, money.
    "come into force": "entrée en vigueur",
    "came into force": "entrée en vigueur",
    "comes into force": "entrée en vigueur",
    "enter into force": "entrée en vigueur",
    "entered into force": "entrée en vigueur",
    "in force": "en vigueur",
    "repealed": "abrogé abrogation",
    "repeal": "abrogation",
    "replaced": "remplacé",
    "amended": "modifié",
    "transitional": "transitoire",
    "derogation": "dérogation dérogatoire",
    "exemption": "dérogation dérogatoire",
    "skills": "compétences",
    "competences": "compétences",
    "health professionals": "professionnels de santé",
    "health professional": "professionnel de santé",
    "professionals": "professionnels",
    "professions": "professions",
    "paramedical": "paramédicaux",
    "care assistant": "aide-soignant",
    "care assistants": "aides-soignants",
    "nursing assistant": "aide-soignant",
    "nursing assistants": "aides-soignants",
    "ambulance staff": "ambulanciers",
    "pharmacy technicians": "préparateurs en pharmacie",
    "pharmacy technician": "préparateur en pharmacie",
    "dentist": "chirurgien-dentiste",
    "dentists": "chirurgiens-dentistes",
    "speech therapist": "orthophoniste",
    "speech therapists": "orthophonistes",
    "dietitian": "diététicien",
    "dietitians": "diététiciens",
    "radiographer": "manipulateur en électroradiologie",
    "radiographers": "manipulateurs en électroradiologie",
    "expert nurse": "infirmier expert",
    "expert nurses": "infirmiers experts",
    "expressions of interest": "appel à manifestation d'intérêt",
    "call for applications": "appel à candidatures",
    "applications": "candidatures",
    "application": "candidature",
    "closing date": "date de clôture",
    "selection": "sélection",
    "in place of": "en lieu et place",
    "instead of": "en lieu et place",
    "direct access": "accès direct",
    "referral": "orientation",
    "without a prescription": "sans ordonnance",
    "antibiotics": "antibiotiques",
    "antibiotic": "antibiotique",
    "painkillers": "antalgiques",
    "sick leave": "arrêt de travail",
    "imaging": "imagerie",
    "x-ray": "radiographie",
    "ultrasound": "échographie",
    "renewal": "renouvellement",
    "follow-up": "suivi",
    "home": "domicile",
    "elderly": "personnes âgées",
    "disabled": "handicapées",
    "mainland": "métropole",
    "wound": "plaie",
    "wounds": "plaies",
    "diabetes": "diabète",
    "dialysis": "dialyse",
    "oxygen therapy": "oxygénothérapie",
    "agreement": "accord",
    "fee": "tarif",
    "fees": "tarifs",
    "paid": "rémunéré rémunération",
    "reimbursed": "remboursé remboursement",
    "flat rate": "forfait",
    "lump sum": "forfait",
    "diploma": "diplôme",
    "inform": "informer information",
    "informed": "informé information",
    "notify": "informer information",
    "withdrawal": "retrait",
    "suspension": "suspension",
    "supervision": "encadrement",
    "non-scheduled care": "soins non programmés",
    "billing": "facturation",
    "billed": "facturation facturé",
    "bill": "facturer facturation",
    "consultation": "consultation",
    "consultations": "consultations",
}
_TERM = re.compile(
    r"\b(?:"
    + "|".join(re.escape(term) for term in sorted(ENGLISH_TERMS, key=lambda t: (-len(t), t)))
    + r")\b"
)


def french_terms(question: str) -> str:
    """The French terms of the field words of an English question, in order, space-separated.

    Acronyms (CNCI, ARS, HAS) are kept as typed: they are the same in both languages.
    """
    found = [ENGLISH_TERMS[m.group(0)] for m in _TERM.finditer(question.lower())]
    acronyms = re.findall(r"\b[A-Z]{2,6}\b", question)
    return " ".join(dict.fromkeys([*acronyms, *found]))
