"""Synthetic clearing-house data for benchmarks: N-Triples of a given size, seeded and byte-reproducible.

``python -m bench.generate --triples 100000 --seed 42 [--defects] --out PATH``

Every record follows ``docs/data-model.md`` and conforms to ``shapes/`` (the tests validate a 10k
data set): actors, projects, cooperation offers and requests, commitments and knowledge resources,
with absolute IRIs ``{base_iri}id/{kind}/{n}`` (``n`` from 1). All records are illustrative:
``tsc:isExample true`` and titles (actor names) starting "Example: " / "Exemple : ". Web sites and
e-mail addresses are under example.org.

Proportions, per 100 projects: 30 actors, 15 offers, 15 requests, 5 commitments (one national
strategy per ~1000 projects, national targets part of it, international commitments under a CBD
instrument or COP decision) and 10 knowledge resources derived from projects. References are skewed
as in real registries: a few actors lead many projects, a few GBF targets and CBD articles (16, 17,
18) are cited far more than others, and GBF targets 16 and 23 are never cited by a project, so the
gap query (``queries/targets-without-projects.rq``) has answers at every scale.

Vocabulary IRIs (GBF targets, CBD articles and instruments, places, modalities, actor types) are read
from ``ontology/*.ttl`` and the statuses allowed for each kind of record from the ``sh:in`` lists of
``shapes/*.ttl``, once, at import: nothing is spelled twice, so nothing drifts.

``defects=True`` plants about one defect per 200 records (at least one of each kind) that the shapes
catch, and returns each one's focus record in :attr:`GenerationSummary.defects`. Planting draws from a
second random stream, so a data set with defects differs from the one without only in those records.

Speed: lines are built as strings from one ``random.Random(seed)``, never as rdflib terms; 1M triples
take a few seconds.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from bisect import bisect
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from random import Random

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH, SKOS

from graph.settings import ROOT

DEFAULT_BASE_IRI = "https://chm.example.org/"

TSC = "https://w3id.org/tscgraph/ontology#"
TSCSH = "https://w3id.org/tscgraph/shapes#"
XSD = "http://www.w3.org/2001/XMLSchema#"

# ------------------------------------------------------------------ predicates and datatypes, as N-Triples

A = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
P_PREF = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
P_ALT = "<http://www.w3.org/2004/02/skos/core#altLabel>"
P_TITLE = "<http://purl.org/dc/terms/title>"
P_DESC = "<http://purl.org/dc/terms/description>"
P_SPATIAL = "<http://purl.org/dc/terms/spatial>"
P_LANGUAGE = "<http://purl.org/dc/terms/language>"
P_SUBJECT = "<http://purl.org/dc/terms/subject>"
P_CREATED = "<http://purl.org/dc/terms/created>"
P_ISSUED = "<http://purl.org/dc/terms/issued>"
P_CREATOR = "<http://purl.org/dc/terms/creator>"
P_PART_OF = "<http://purl.org/dc/terms/isPartOf>"
P_URL = "<https://schema.org/url>"
P_EMAIL = "<https://schema.org/email>"
P_START = "<https://schema.org/startDate>"
P_END = "<https://schema.org/endDate>"
P_VALUE = "<https://schema.org/value>"
P_CURRENCY = "<https://schema.org/currency>"
P_DERIVED = "<http://www.w3.org/ns/prov#wasDerivedFrom>"
P_ACTOR_TYPE = f"<{TSC}actorType>"
P_BIOBRIDGE = f"<{TSC}bioBridgeMember>"
P_EXAMPLE = f"<{TSC}isExample>"
P_LEAD = f"<{TSC}leadOrganisation>"
P_PARTNER = f"<{TSC}partner>"
P_FUNDER = f"<{TSC}funder>"
P_BUDGET = f"<{TSC}budget>"
P_TARGET = f"<{TSC}contributesToTarget>"
P_ARTICLE = f"<{TSC}implementsArticle>"
P_MODALITY = f"<{TSC}modality>"
P_STATUS = f"<{TSC}status>"
P_COMMITMENT = f"<{TSC}implementsCommitment>"
P_OFFERED_BY = f"<{TSC}offeredBy>"
P_REQUESTED_BY = f"<{TSC}requestedBy>"
P_MATCHES = f"<{TSC}matches>"
P_INSTRUMENT = f"<{TSC}underInstrument>"

C_ACTOR = f"<{TSC}Actor>"
C_PROJECT = f"<{TSC}Project>"
C_OFFER = f"<{TSC}CooperationOffer>"
C_REQUEST = f"<{TSC}CooperationRequest>"
C_STRATEGY = f"<{TSC}NationalStrategy>"
C_NATIONAL_TARGET = f"<{TSC}NationalTarget>"
C_INTERNATIONAL = f"<{TSC}InternationalCommitment>"
C_RESOURCES = (f"<{TSC}BestPractice>", f"<{TSC}LessonLearned>", f"<{TSC}CaseStudy>")
C_MONEY = "<https://schema.org/MonetaryAmount>"

TRUE = f'"true"^^<{XSD}boolean>'
FALSE = f'"false"^^<{XSD}boolean>'
DT_DATE = f"^^<{XSD}date>"
DT_DECIMAL = f"^^<{XSD}decimal>"
DT_LANGUAGE = f"^^<{XSD}language>"

# ------------------------------------------------------------------ sizes

#: Triples written per "unit" of one project and its share of the other records (0.3 actor, 0.15 offer,
#: 0.15 request, 0.05 commitment, 0.1 resource), measured on this generator; ``tests/test_generate.py``
#: checks that the sizes it yields stay within ±10% of the target.
TRIPLES_PER_UNIT = 38.7
PER_100_PROJECTS = {"actor": 30, "offer": 15, "request": 15, "commitment": 5, "resource": 10}
PROJECTS_PER_STRATEGY = 1000
RECORDS_PER_DEFECT = 200
#: Reference date for statuses (a fixed date, so the output does not depend on the day it is made).
TODAY = date(2026, 6, 1).toordinal()

# ------------------------------------------------------------------ skews (by number / slug; checked against the ontology)

#: GBF targets never cited by a generated project (the gap query's guaranteed answers).
UNUSED_TARGETS = (16, 23)
#: Popularity of the other GBF targets, most cited first (weight ~ 1 / rank).
TARGET_POPULARITY = (3, 2, 21, 20, 6, 4, 8, 1, 10, 11, 14, 19, 22, 15, 5, 7, 9, 12, 13, 17, 18)
#: Weights of the CBD articles projects implement; 16, 17 and 18 (technology transfer, information
#: exchange, technical and scientific cooperation) dominate, institutional articles never appear.
ARTICLE_WEIGHTS = {18: 12, 17: 9, 16: 7, 12: 4, 8: 4, 7: 3, 13: 3, 6: 2, 10: 2, 15: 2, 19: 2, 5: 1, 9: 1, 11: 1, 14: 1, 20: 1}
MODALITY_WEIGHTS = {"training": 10, "knowledge-exchange": 8, "technical-assistance": 7, "data-sharing": 6,
                    "joint-research": 6, "expert-exchange": 5, "networking": 5, "technology-transfer": 4,
                    "financial-support": 3, "twinning": 2}
ACTOR_TYPE_WEIGHTS = {"ngo": 18, "research-institute": 14, "public-agency": 12, "university": 12, "local-authority": 10,
                      "company": 8, "funder": 6, "network": 5, "ministry": 4, "foundation": 4,
                      "international-organisation": 4, "iplc-organisation": 3}
FUNDER_TYPES = ("funder", "foundation", "international-organisation")
CURRENCIES = (("EUR", 70, 1), ("USD", 12, 1), ("XOF", 5, 650), ("XPF", 5, 120), ("XAF", 2, 650), ("BRL", 2, 5),
              ("MGA", 2, 4800), ("CAD", 2, 1))  # code, weight, units per euro (rough)
#: Partner countries favoured among the non-French places (ISO 3166-1 alpha-2).
PARTNER_COUNTRIES = ("MG", "KM", "SC", "MU", "SR", "BR", "SN", "CI", "BJ", "BF", "CM", "MA", "TN", "VU", "FJ", "CA",
                     "ES", "DE", "BE", "CH", "CR", "CO", "PE", "VN", "KH", "LA")
#: Statuses by slug (the allowed ones are read from the shapes): projects get theirs from their dates.
COOPERATION_STATUS_WEIGHTS = {"open": 60, "matched": 25, "closed": 15}
COMMITMENT_STATUS_WEIGHTS = {"adopted": 30, "in-progress": 55, "achieved": 15}
PROJECT_STATUSES = ("planned", "ongoing", "completed", "cancelled")
LANGUAGES = (("fr", 0.9), ("en", 0.55), ("es", 0.12), ("pt", 0.05))

# ------------------------------------------------------------------ words (en, fr)

#: Themes: English, French (with article), GBF targets they serve first, keyword en, keyword fr.
THEMES = (
    ("mangrove restoration", "la restauration des mangroves", (2, 3, 8), "mangroves", "mangroves"),
    ("coral reef monitoring", "le suivi des récifs coralliens", (3, 21), "coral reefs", "récifs coralliens"),
    ("early detection of invasive alien species", "la détection précoce des espèces exotiques envahissantes", (6,),
     "invasive alien species", "espèces exotiques envahissantes"),
    ("protected area management", "la gestion des aires protégées", (3, 1), "protected areas", "aires protégées"),
    ("sea turtle conservation", "la conservation des tortues marines", (4, 5), "sea turtles", "tortues marines"),
    ("pollinator monitoring", "le suivi des pollinisateurs", (7, 10, 21), "pollinators", "pollinisateurs"),
    ("agroforestry", "l'agroforesterie", (10, 8), "agroforestry", "agroforesterie"),
    ("biodiversity data publishing", "la publication de données de biodiversité", (21, 20), "open data", "données ouvertes"),
    ("wetland restoration", "la restauration des zones humides", (2, 11), "wetlands", "zones humides"),
    ("sustainable lagoon fisheries", "la pêche lagonaire durable", (5, 10, 22), "fisheries", "pêche"),
    ("urban green spaces", "les espaces verts urbains", (12, 11), "urban nature", "nature en ville"),
    ("pesticide reduction", "la réduction des pesticides", (7,), "pesticides", "pesticides"),
    ("dry forest restoration", "la restauration de la forêt sèche", (2, 8), "dry forest", "forêt sèche"),
    ('accounting for "blue carbon"', "la comptabilité du « carbone bleu »", (8, 11), "blue carbon", "carbone bleu"),
    ("traditional knowledge of medicinal plants", "les savoirs traditionnels sur les plantes médicinales", (13, 22, 9),
     "traditional knowledge", "savoirs traditionnels"),
    ("biodiversity-friendly business practices", "les pratiques d'entreprise favorables à la biodiversité", (15, 14),
     "business and biodiversity", "entreprises et biodiversité"),
    ("biodiversity finance", "le financement de la biodiversité", (19, 14), "biodiversity finance",
     "financement de la biodiversité"),
    ("citizen science", "les sciences participatives", (21, 22), "citizen science", "sciences participatives"),
    ("access to genetic resources and benefit-sharing", "l'accès aux ressources génétiques et le partage des avantages",
     (13,), "access and benefit-sharing", "accès et partage des avantages"),
    ("red lists of threatened species", "les listes rouges des espèces menacées", (4, 21), "red lists", "listes rouges"),
    ("sustainable use of wild species", "l'utilisation durable des espèces sauvages", (9, 5), "wild species",
     "espèces sauvages"),
    ("biosafety of living modified organisms", "la biosécurité des organismes vivants modifiés", (17,), "biosafety",
     "biosécurité"),
)
#: What is done, per modality slug: English (before the theme), French (before the theme).
ACTIVITIES = {
    "twinning": ("twinning on", "jumelage sur"),
    "training": ("training in", "formation sur"),
    "expert-exchange": ("expert exchange on", "échange d'experts sur"),
    "technology-transfer": ("technology transfer for", "transfert de technologie pour"),
    "data-sharing": ("data sharing on", "partage de données sur"),
    "joint-research": ("joint research on", "recherche conjointe sur"),
    "technical-assistance": ("technical assistance for", "assistance technique pour"),
    "knowledge-exchange": ("knowledge exchange on", "échange de connaissances sur"),
    "financial-support": ("financial support for", "appui financier pour"),
    "networking": ("a network for", "réseau pour"),
}
#: Names of organisations, per actor-type slug: English, French.
ORGANISATIONS = {
    "public-agency": ("Biodiversity Agency", "Agence de la biodiversité"),
    "ministry": ("Ministry of the Environment", "Ministère de l'Environnement"),
    "research-institute": ("Institute for Ecological Research", "Institut de recherche en écologie"),
    "university": ("University of Natural Sciences", "Université des sciences de la nature"),
    "ngo": ("Nature Alliance", "Alliance pour la nature"),
    "funder": ("Conservation Fund", "Fonds pour la conservation"),
    "company": ("Ecological Engineering Company", "Société d'ingénierie écologique"),
    "local-authority": ("Regional Council", "Conseil régional"),
    "network": ("Network of Protected Area Managers", "Réseau des gestionnaires d'aires protégées"),
    "foundation": ("Foundation for Biodiversity", "Fondation pour la biodiversité"),
    "international-organisation": ("Regional Environment Programme", "Programme régional pour l'environnement"),
    "iplc-organisation": ("Council of Indigenous Peoples and Local Communities",
                          "Conseil des peuples autochtones et communautés locales"),
}
AIMS = (
    ("It builds local skills and shares its results openly.", "Il renforce les compétences locales et partage ses résultats librement."),
    ("Field teams and researchers work side by side.", "Les équipes de terrain et les chercheurs travaillent côte à côte."),
    ("Local communities take part in every step.", "Les communautés locales participent à chaque étape."),
    ("It links managers across the region.", "Il met en relation les gestionnaires de toute la région."),
    ("Methods are tested on pilot sites first.", "Les méthodes sont d'abord testées sur des sites pilotes."),
)
OUTPUTS = (
    ("Outputs: a field guide, a shared dataset and a final workshop.",
     "Résultats : un guide de terrain, un jeu de données partagé et un atelier final."),
    ("Outputs: a training kit in two languages and a network of trainers.",
     "Résultats : un kit de formation en deux langues et un réseau de formateurs."),
)
RESOURCE_WORDS = (  # per resource class, in the order of C_RESOURCES
    ("best practice", "bonne pratique", "Illustrative best practice, not a real one", "Bonne pratique illustrative, qui n'est pas réelle"),
    ("lessons learned", "enseignements tirés", "Illustrative lesson learned, not a real one", "Enseignement illustratif, qui n'est pas réel"),
    ("case study", "étude de cas", "Illustrative case study, not a real one", "Étude de cas illustrative, qui n'est pas réelle"),
)

# ------------------------------------------------------------------ defects

#: Kinds of planted defect, each caught by the shapes (the violation's source shape in brackets):
#: end-before-start [startDate-order], target-24 [contributesToTarget-in], missing-title [*-title-minCount],
#: negative-budget [MonetaryAmount-value-positive on the budget node, Project-budget-node on the project],
#: bad-currency [MonetaryAmount-currency-code, Project-budget-node], bad-email [email-pattern],
#: two-leads [Project-leadOrganisation-count].
DEFECT_KINDS = ("end-before-start", "target-24", "missing-title", "negative-budget", "bad-currency", "bad-email", "two-leads")
DEFECT_RECORDS = {  # the kinds of record each defect may be planted in
    "end-before-start": ("project",), "target-24": ("project",), "negative-budget": ("project",),
    "bad-currency": ("project",), "two-leads": ("project",),
    "missing-title": ("project", "offer", "request", "commitment", "resource"),
    "bad-email": ("actor", "project", "offer", "request"),
}
BAD_EMAILS = ("contact.{kind}{n}.example.org", "contact-{kind}{n}@example", "contact {kind}{n}@example.org")


# ------------------------------------------------------------------ the vocabularies, read once


@dataclass(frozen=True)
class Vocabulary:
    """IRIs (N-Triples form, ``<…>``) and labels read from ``ontology/`` and ``shapes/``."""

    targets: dict[int, str]  # number → IRI
    articles: dict[int, str]
    modalities: dict[str, str]  # slug → IRI
    actor_types: dict[str, str]
    regions: tuple[str, ...]
    territories: tuple[str, ...]
    countries: tuple[str, ...]
    france: str
    instruments: tuple[str, ...]  # legal instruments and decisions
    labels: dict[str, tuple[str, str]]  # IRI → (en, fr) for places and instruments
    statuses: dict[str, tuple[str, ...]]  # "project" / "cooperation" / "commitment" → allowed status IRIs
    currencies: frozenset[str]


def _slug(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def _typed(graph: Graph, cls: str) -> list[str]:
    return sorted(str(s) for s in graph.subjects(RDF.type, URIRef(TSC + cls)) if isinstance(s, URIRef))


def _in_list(shapes: Graph, shape: str) -> list:
    head = shapes.value(URIRef(TSCSH + shape), SH["in"])
    if head is None:
        raise RuntimeError(f"shape tscsh:{shape} has no sh:in list")
    return list(Collection(shapes, head))


def load_vocabulary(ontology_dir: Path = ROOT / "ontology", shapes_dir: Path = ROOT / "shapes") -> Vocabulary:
    """Parse the ontology and the shapes; fail loudly when the word lists above no longer fit them."""
    onto = Graph()
    for path in sorted(Path(ontology_dir).glob("*.ttl")):
        onto.parse(path, format="turtle")
    shapes = Graph()
    for path in sorted(Path(shapes_dir).glob("*.ttl")):
        shapes.parse(path, format="turtle")

    def label(iri: str) -> tuple[str, str]:
        names = {lit.language: str(lit) for lit in onto.objects(URIRef(iri), SKOS.prefLabel) if isinstance(lit, Literal)}
        return names.get("en", _slug(iri)), names.get("fr", names.get("en", _slug(iri)))

    targets = {int(str(onto.value(URIRef(t), URIRef(TSC + "targetNumber")))): f"<{t}>" for t in _typed(onto, "GBFTarget")}
    # The 42 numbered articles (Article 8(j), a concept of its own below Article 8, is not drawn here).
    articles = {int(_slug(a)): f"<{a}>" for a in _typed(onto, "CBDArticle") if _slug(a).isdigit()}
    modalities = {_slug(m): f"<{m}>" for m in _typed(onto, "Modality")}
    actor_types = {_slug(t): f"<{t}>" for t in _typed(onto, "ActorType")}
    places = {cls: _typed(onto, cls) for cls in ("Region", "OverseasTerritory", "Country")}
    instruments = _typed(onto, "LegalInstrument") + _typed(onto, "Decision")
    statuses = {
        kind: tuple(f"<{s}>" for s in _in_list(shapes, shape))
        for kind, shape in (("project", "Project-status-in"), ("cooperation", "CooperationRecord-status-in"),
                            ("commitment", "Commitment-status-in"))
    }
    status_concepts = {f"<{s}>" for s in _typed(onto, "Status")}
    france = next(f"<{c}>" for c in places["Country"] if _slug(c) == "FR")
    vocabulary = Vocabulary(
        targets=dict(sorted(targets.items())),
        articles=dict(sorted(articles.items())),
        modalities=modalities,
        actor_types=actor_types,
        regions=tuple(f"<{r}>" for r in places["Region"]),
        territories=tuple(f"<{t}>" for t in places["OverseasTerritory"]),
        countries=tuple(f"<{c}>" for c in places["Country"] if f"<{c}>" != france),
        france=france,
        instruments=tuple(f"<{i}>" for i in instruments),
        labels={f"<{iri}>": label(iri) for iri in [*sum(places.values(), []), *instruments]},
        statuses=statuses,
        currencies=frozenset(str(c) for c in _in_list(shapes, "MonetaryAmount-currency-code")),
    )
    _check_words(vocabulary, status_concepts)
    return vocabulary


def _check_words(vocab: Vocabulary, status_concepts: set[str]) -> None:
    problems = []
    if set(ACTIVITIES) != set(vocab.modalities) or set(MODALITY_WEIGHTS) != set(vocab.modalities):
        problems.append(f"modalities of the ontology {sorted(vocab.modalities)} differ from ACTIVITIES / MODALITY_WEIGHTS")
    if set(ORGANISATIONS) != set(vocab.actor_types) or set(ACTOR_TYPE_WEIGHTS) != set(vocab.actor_types):
        problems.append(f"actor types of the ontology {sorted(vocab.actor_types)} differ from ORGANISATIONS / ACTOR_TYPE_WEIGHTS")
    if not set(FUNDER_TYPES) <= set(vocab.actor_types):
        problems.append("FUNDER_TYPES names unknown actor types")
    cited = set(TARGET_POPULARITY) | set(UNUSED_TARGETS) | {t for theme in THEMES for t in theme[2]}
    if not cited <= set(vocab.targets) or set(TARGET_POPULARITY) & set(UNUSED_TARGETS):
        problems.append("TARGET_POPULARITY / UNUSED_TARGETS / THEMES name targets the ontology lacks, or overlap")
    if any(t in UNUSED_TARGETS for theme in THEMES for t in theme[2]):
        problems.append("a theme cites an unused target")
    if 24 in vocab.targets:
        problems.append("the ontology has a GBF target 24: the target-24 defect would not be one")
    if not set(ARTICLE_WEIGHTS) <= set(vocab.articles):
        problems.append("ARTICLE_WEIGHTS names articles the ontology lacks")
    if not {code for code, _w, _r in CURRENCIES} <= vocab.currencies or "EURO" in vocab.currencies:
        problems.append("CURRENCIES are not all ISO 4217 codes of the budget shape")
    codes = {_slug(c.strip("<>")) for c in vocab.countries}
    if not set(PARTNER_COUNTRIES) <= codes:
        problems.append(f"PARTNER_COUNTRIES not in the place vocabulary: {sorted(set(PARTNER_COUNTRIES) - codes)}")
    for kind, slugs in (("project", PROJECT_STATUSES), ("cooperation", COOPERATION_STATUS_WEIGHTS),
                        ("commitment", COMMITMENT_STATUS_WEIGHTS)):
        allowed = vocab.statuses[kind]
        if not set(allowed) <= status_concepts or {_slug(a.strip("<>")) for a in allowed} != set(slugs):
            problems.append(f"statuses allowed for {kind} by the shapes differ from the ones used here: {allowed}")
    if not (vocab.regions and vocab.territories and vocab.countries and vocab.instruments):
        problems.append("the place or instrument vocabularies are empty")
    if problems:
        raise RuntimeError("bench.generate no longer fits the ontology/shapes: " + "; ".join(problems))


VOCAB = load_vocabulary()

# ------------------------------------------------------------------ helpers

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def literal(text: str) -> str:
    """The quoted body of an N-Triples literal (backslash, quote, newline and carriage return escaped)."""
    return '"' + text.translate(_ESCAPES) + '"'


def lang(text: str, tag: str) -> str:
    return literal(text) + "@" + tag


ACTOR_DESC_EN = lang("Illustrative actor, not a real organisation.", "en")
ACTOR_DESC_FR = lang("Acteur illustratif, qui n'est pas une organisation réelle.", "fr")
STRATEGY_DESC_EN = lang("Illustrative national strategy, not a real one, aligned with every GBF target.", "en")
STRATEGY_DESC_FR = lang("Stratégie nationale illustrative, qui n'est pas réelle, alignée sur toutes les cibles du Cadre mondial.", "fr")


def iso_date(ordinal: int) -> str:
    return '"' + date.fromordinal(ordinal).isoformat() + '"' + DT_DATE


class _Weighted:
    """A fast weighted choice (cumulative weights + bisect), drawing one ``random()`` per pick."""

    def __init__(self, items, weights) -> None:
        self.items = list(items)
        self.cumulative = []
        total = 0.0
        for weight in weights:
            total += weight
            self.cumulative.append(total)
        self.total = total

    def pick(self, rng: Random):
        return self.items[min(bisect(self.cumulative, rng.random() * self.total), len(self.items) - 1)]

    def distinct(self, rng: Random, k: int) -> list:
        """``k`` different items (fewer if there are not that many), by repeated picks."""
        k = min(k, len(self.items))
        out: list = []
        while len(out) < k:
            item = self.pick(rng)
            if item not in out:
                out.append(item)
        return out


# ------------------------------------------------------------------ the summary


@dataclass
class GenerationSummary:
    """What :func:`write_dataset` wrote."""

    path: str
    target_triples: int
    seed: int
    base_iri: str
    triples: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # class (prefixed name) → records
    defects: list[tuple[str, str]] = field(default_factory=list)  # (focus record IRI, defect kind)
    targets_without_projects: list[str] = field(default_factory=list)  # GBF target IRIs no project cites
    seconds: float = 0.0

    def to_text(self) -> str:
        lines = [f"wrote {self.triples:,} triples (target {self.target_triples:,}, seed {self.seed}) "
                 f"to {self.path} in {self.seconds:.2f} s"]
        lines += [f"  {name}: {count:,}" for name, count in self.counts.items()]
        numbers = ", ".join(_slug(t) for t in self.targets_without_projects)
        lines.append(f"  GBF targets without a project: {numbers or 'none'}")
        if self.defects:
            by_kind: dict[str, int] = {}
            for _focus, kind in self.defects:
                by_kind[kind] = by_kind.get(kind, 0) + 1
            lines.append(f"  defects planted: {len(self.defects)} ("
                         + ", ".join(f"{kind} {n}" for kind, n in sorted(by_kind.items())) + ")")
        return "\n".join(lines)


# ------------------------------------------------------------------ the generator


def plan_counts(target_triples: int) -> dict[str, int]:
    """How many records of each kind make about ``target_triples`` triples."""
    projects = max(1, round(target_triples / TRIPLES_PER_UNIT))
    counts = {"project": projects}
    for kind, per_100 in PER_100_PROJECTS.items():
        counts[kind] = max(1, round(projects * per_100 / 100))
    counts["actor"] = max(2, counts["actor"])  # two leads need two actors
    counts["strategy"] = max(1, round(projects / PROJECTS_PER_STRATEGY))
    counts["commitment"] = max(counts["commitment"], counts["strategy"] + 1)
    return counts


class _Generator:
    def __init__(self, target_triples: int, seed: int, defects: bool, base_iri: str) -> None:
        self.rng = Random(seed)
        self.drng = Random(f"defects-{seed}")  # a separate stream: defects leave the other records as they are
        self.base = base_iri
        self.vocab = VOCAB
        self.n = plan_counts(target_triples)
        self.counts: dict[str, int] = {}
        self.defects: list[tuple[str, str]] = []
        self.used_targets: set[int] = set()
        v = self.vocab
        self.target_pick = _Weighted([v.targets[t] for t in TARGET_POPULARITY],
                                     [1.0 / rank for rank in range(1, len(TARGET_POPULARITY) + 1)])
        self.target_number = {iri: number for number, iri in v.targets.items()}
        self.any_target_pick = _Weighted(list(v.targets.values()), [1.0] * len(v.targets))
        self.article_pick = _Weighted([v.articles[a] for a in ARTICLE_WEIGHTS], list(ARTICLE_WEIGHTS.values()))
        slugs = sorted(MODALITY_WEIGHTS)
        self.modality_pick = _Weighted(slugs, [MODALITY_WEIGHTS[s] for s in slugs])
        types = sorted(ACTOR_TYPE_WEIGHTS)
        self.actor_type_pick = _Weighted(types, [ACTOR_TYPE_WEIGHTS[t] for t in types])
        self.currency_pick = _Weighted(CURRENCIES, [w for _c, w, _r in CURRENCIES])
        partner_codes = set(PARTNER_COUNTRIES)
        self.partner_countries = [c for c in v.countries if _slug(c.strip("<>")) in partner_codes]
        n_actors = self.n["actor"]
        # A few actors take part in much more than the others (weight ~ 1/(rank+5)); actor 1 is the busiest.
        self.actor_pick = _Weighted(range(1, n_actors + 1), [1.0 / (i + 5) for i in range(n_actors)])
        self.plan = self._plan_defects() if defects else {}

    # -------------------------------------------------------------- IRIs and picks

    def iri(self, kind: str, n: int) -> str:
        return f"<{self.base}id/{kind}/{n}>"

    def place(self) -> str:
        rng, v = self.rng, self.vocab
        r = rng.random()
        if r < 0.25:
            return v.regions[rng.randrange(len(v.regions))]
        if r < 0.55:
            return v.territories[rng.randrange(len(v.territories))]
        if r < 0.65:
            return v.france
        if r < 0.85:
            return self.partner_countries[rng.randrange(len(self.partner_countries))]
        return v.countries[rng.randrange(len(v.countries))]

    def places(self, k: int) -> list[str]:
        out: list[str] = []
        for _ in range(k):
            p = self.place()
            if p not in out:
                out.append(p)
        return out

    def languages(self) -> list[str]:
        rng = self.rng
        out = [code for code, p in LANGUAGES if rng.random() < p]
        return out or ["fr"]

    def targets(self, theme: tuple, k: int) -> list[str]:
        rng, v = self.rng, self.vocab
        first = v.targets[theme[2][rng.randrange(len(theme[2]))]]
        out = [first]
        for _ in range(k - 1):
            t = self.target_pick.pick(rng)
            if t not in out:
                out.append(t)
        return out

    def _plan_defects(self) -> dict[tuple[str, int], str]:
        """Which records get which defect: ~1 per 200 records, every kind at least once when there is room."""
        drng, n = self.drng, self.n
        records = {kind: n[kind] for kind in ("actor", "project", "offer", "request", "commitment", "resource")}
        wanted = max(len(DEFECT_KINDS), sum(records.values()) // RECORDS_PER_DEFECT)
        plan: dict[tuple[str, int], str] = {}
        kinds = list(DEFECT_KINDS)
        drng.shuffle(kinds)
        for i in range(wanted):
            defect = kinds[i % len(kinds)]
            eligible = DEFECT_RECORDS[defect]
            room = sum(records[k] for k in eligible)
            for _attempt in range(100):  # bounded: gives up on a record kind too small to hold more defects
                pick = drng.randrange(room)
                for kind in eligible:
                    if pick < records[kind]:
                        key = (kind, pick + 1)
                        break
                    pick -= records[kind]
                if key not in plan:
                    plan[key] = defect
                    break
        return plan

    # -------------------------------------------------------------- records

    def actors(self, add) -> list[list[str]]:
        """Write the actors; returns the actor-type slugs of each (index 0 = actor 1)."""
        rng, v = self.rng, self.vocab
        types_of: list[list[str]] = []
        for n in range(1, self.n["actor"] + 1):
            s = self.iri("actor", n)
            defect = self.plan.get(("actor", n))
            types = [self.actor_type_pick.pick(rng)]
            if rng.random() < 0.2:
                other = self.actor_type_pick.pick(rng)
                if other not in types:
                    types.append(other)
            types_of.append(types)
            home = self.place()
            en_place, fr_place = v.labels[home]
            en_org, fr_org = ORGANISATIONS[types[0]]
            add(f"{s} {A} {C_ACTOR} .\n")
            add(f"{s} {P_EXAMPLE} {TRUE} .\n")
            add(f"{s} {P_PREF} {lang(f'Example: {en_org} of {en_place} #{n}', 'en')} .\n")
            add(f"{s} {P_PREF} {lang(f'Exemple : {fr_org} — {fr_place} (n° {n})', 'fr')} .\n")
            acronym = "".join(w[0] for w in en_org.split() if w[0].isupper()) + f"-{n}"
            add(f"{s} {P_ALT} {literal(acronym)} .\n")
            for t in types:
                add(f"{s} {P_ACTOR_TYPE} {v.actor_types[t]} .\n")
            add(f"{s} {P_SPATIAL} {home} .\n")
            if rng.random() < 0.3:
                elsewhere = self.place()
                if elsewhere != home:
                    add(f"{s} {P_SPATIAL} {elsewhere} .\n")
            if rng.random() < 0.5:
                add(f"{s} {P_DESC} {ACTOR_DESC_EN} .\n")
                add(f"{s} {P_DESC} {ACTOR_DESC_FR} .\n")
            if rng.random() < 0.8:
                add(f"{s} {P_URL} <https://example.org/actor/{n}> .\n")
            add(f"{s} {P_BIOBRIDGE} {TRUE if rng.random() < 0.2 else FALSE} .\n")
            has_email = rng.random() < 0.4
            self._email(add, s, "actor", n, has_email, defect)
            self._count("tsc:Actor")
        return types_of

    def _email(self, add, s: str, kind: str, n: int, has_email: bool, defect: str | None) -> None:
        if defect == "bad-email":
            bad = BAD_EMAILS[self.drng.randrange(len(BAD_EMAILS))].format(kind=kind, n=n)
            add(f"{s} {P_EMAIL} {literal(bad)} .\n")
            self.defects.append((s.strip("<>"), defect))
        elif has_email:
            add(f"{s} {P_EMAIL} {literal(f'contact.{kind}{n}@example.org')} .\n")

    def _titles(self, add, s: str, kind: str, n: int, en: str, fr: str) -> None:
        if self.plan.get((kind, n)) == "missing-title":
            self.defects.append((s.strip("<>"), "missing-title"))
            return
        add(f"{s} {P_TITLE} {lang(en, 'en')} .\n")
        add(f"{s} {P_TITLE} {lang(fr, 'fr')} .\n")

    def _count(self, name: str) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1

    def commitments(self, add) -> None:
        rng, v = self.rng, self.vocab
        n_strategies = self.n["strategy"]
        n_total = self.n["commitment"]
        n_international = max(0, min(n_total - n_strategies - 1, round((n_total - n_strategies) * 0.2)))
        countries = [v.france]
        for _ in range(n_strategies - 1):
            countries.append(v.countries[rng.randrange(len(v.countries))])
        status = {_slug(a.strip("<>")): a for a in v.statuses["commitment"]}
        status_pick = _Weighted(list(COMMITMENT_STATUS_WEIGHTS), list(COMMITMENT_STATUS_WEIGHTS.values()))
        for n in range(1, n_total + 1):
            s = self.iri("commitment", n)
            add(f"{s} {P_EXAMPLE} {TRUE} .\n")
            if n <= n_strategies:
                country = countries[n - 1]
                en_c, fr_c = v.labels[country]
                add(f"{s} {A} {C_STRATEGY} .\n")
                self._count("tsc:NationalStrategy")
                self._titles(add, s, "commitment", n, f"Example: national biodiversity strategy of {en_c} #{n}",
                             f"Exemple : stratégie nationale pour la biodiversité — {fr_c} (n° {n})")
                add(f"{s} {P_DESC} {STRATEGY_DESC_EN} .\n")
                add(f"{s} {P_DESC} {STRATEGY_DESC_FR} .\n")
                add(f"{s} {P_SPATIAL} {country} .\n")
                for target in v.targets.values():
                    add(f"{s} {P_TARGET} {target} .\n")
                add(f"{s} {P_INSTRUMENT} {v.instruments[0]} .\n")
                start = date(2022 + rng.randrange(3), 1, 1).toordinal()
                add(f"{s} {P_START} {iso_date(start)} .\n")
                add(f"{s} {P_END} {iso_date(date(2030, 12, 31).toordinal())} .\n")
            elif n <= n_strategies + n_international:
                instruments = [v.instruments[rng.randrange(len(v.instruments))]]
                if rng.random() < 0.4:
                    other = v.instruments[rng.randrange(len(v.instruments))]
                    if other not in instruments:
                        instruments.append(other)
                en_i, fr_i = v.labels[instruments[0]]
                country = self.place() if rng.random() < 0.3 else v.france
                add(f"{s} {A} {C_INTERNATIONAL} .\n")
                self._count("tsc:InternationalCommitment")
                self._titles(add, s, "commitment", n, f"Example: commitment under the {en_i} #{n}",
                             f"Exemple : engagement au titre de « {fr_i} » (n° {n})")
                add(f"{s} {P_SPATIAL} {country} .\n")
                for instrument in instruments:
                    add(f"{s} {P_INSTRUMENT} {instrument} .\n")
                for target in self.any_target_pick.distinct(rng, 1 + rng.randrange(3)):
                    add(f"{s} {P_TARGET} {target} .\n")
            else:
                strategy = 1 + rng.randrange(n_strategies)
                theme = THEMES[rng.randrange(len(THEMES))]
                country = countries[strategy - 1]
                if country == v.france and rng.random() < 0.5:
                    country = self.place()
                add(f"{s} {A} {C_NATIONAL_TARGET} .\n")
                self._count("tsc:NationalTarget")
                self._titles(add, s, "commitment", n, f"Example: national target on {theme[0]} #{n}",
                             f"Exemple : cible nationale sur {theme[1]} (n° {n})")
                add(f"{s} {P_PART_OF} {self.iri('commitment', strategy)} .\n")
                add(f"{s} {P_SPATIAL} {country} .\n")
                for target in self.targets(theme, 1 + rng.randrange(2)):
                    add(f"{s} {P_TARGET} {target} .\n")
            if rng.random() < 0.8:
                add(f"{s} {P_LEAD} {self.iri('actor', self.actor_pick.pick(rng))} .\n")
            add(f"{s} {P_STATUS} {status[status_pick.pick(rng)]} .\n")

    def projects(self, add, types_of: list[list[str]]) -> list[tuple]:
        """Write the projects; returns, per project, what its knowledge resources reuse."""
        rng, drng, v = self.rng, self.drng, self.vocab
        n_actors = self.n["actor"]
        funders = [i + 1 for i, types in enumerate(types_of) if any(t in FUNDER_TYPES for t in types)] or [1]
        funder_pick = _Weighted(funders, [1.0 / (i + 3) for i in range(len(funders))])
        n_commitments, n_strategies = self.n["commitment"], self.n["strategy"]
        status = {_slug(s.strip("<>")): s for s in v.statuses["project"]}
        memory: list[tuple] = []
        for n in range(1, self.n["project"] + 1):
            s = self.iri("project", n)
            defect = self.plan.get(("project", n))
            theme = THEMES[rng.randrange(len(THEMES))]
            modalities = self.modality_pick.distinct(rng, 1 + (rng.random() < 0.5) + (rng.random() < 0.2))
            places = self.places(1 + (rng.random() < 0.5) + (rng.random() < 0.3))
            en_act, fr_act = ACTIVITIES[modalities[0]]
            en_place, fr_place = v.labels[places[0]]
            add(f"{s} {A} {C_PROJECT} .\n")
            add(f"{s} {P_EXAMPLE} {TRUE} .\n")
            self._titles(add, s, "project", n, f"Example: {en_act} {theme[0]} in {en_place} #{n}",
                         f"Exemple : {fr_act} {theme[1]} — {fr_place} (n° {n})")
            aim_en, aim_fr = AIMS[rng.randrange(len(AIMS))]
            en_desc = f"Illustrative project, not a real one: {en_act} {theme[0]} in {en_place}. {aim_en}"
            fr_desc = f"Projet illustratif, qui n'est pas réel : {fr_act} {theme[1]} — {fr_place}. {aim_fr}"
            if rng.random() < 0.15:  # a second paragraph
                out_en, out_fr = OUTPUTS[rng.randrange(len(OUTPUTS))]
                en_desc, fr_desc = en_desc + "\n" + out_en, fr_desc + "\n" + out_fr
            add(f"{s} {P_DESC} {lang(en_desc, 'en')} .\n")
            add(f"{s} {P_DESC} {lang(fr_desc, 'fr')} .\n")
            # people
            lead = self.actor_pick.pick(rng)
            add(f"{s} {P_LEAD} {self.iri('actor', lead)} .\n")
            if defect == "two-leads":
                second = lead % n_actors + 1
                add(f"{s} {P_LEAD} {self.iri('actor', second)} .\n")
                self.defects.append((s.strip("<>"), defect))
            partners: list[int] = []
            for _ in range(rng.randrange(5)):
                p = self.actor_pick.pick(rng) if rng.random() < 0.5 else 1 + rng.randrange(n_actors)
                if p != lead and p not in partners:
                    partners.append(p)
                    add(f"{s} {P_PARTNER} {self.iri('actor', p)} .\n")
            for f in funder_pick.distinct(rng, rng.choice((0, 1, 1, 1, 2))):
                add(f"{s} {P_FUNDER} {self.iri('actor', f)} .\n")
            # dates and status
            start = date(2015, 1, 1).toordinal() + rng.randrange(13 * 365)
            end = start + 180 + rng.randrange(5 * 365)
            has_dates = rng.random() < 0.9
            if defect == "end-before-start":
                has_dates, end = True, start - 1 - drng.randrange(400)
                self.defects.append((s.strip("<>"), defect))
            if has_dates:
                add(f"{s} {P_START} {iso_date(start)} .\n")
                add(f"{s} {P_END} {iso_date(end)} .\n")
            if rng.random() < 0.03:
                state = "cancelled"
            else:
                state = "planned" if start > TODAY else "completed" if end < TODAY else "ongoing"
            add(f"{s} {P_STATUS} {status[state]} .\n")
            # budget
            has_budget = rng.random() < 0.8
            code, _weight, rate = self.currency_pick.pick(rng)
            amount = (int(rng.lognormvariate(12.3, 1.0)) // 100 + 1) * 100 * rate
            if defect in ("negative-budget", "bad-currency") and not has_budget:
                has_budget = True
            if has_budget:
                b = f"_:budget{n}"
                value = f"{amount}.00"
                if defect == "negative-budget":
                    value = f"-{amount}.00"
                    self.defects.append((s.strip("<>"), defect))
                elif defect == "bad-currency":
                    code = ("EURO", "Euro", "€", "US$")[drng.randrange(4)]
                    self.defects.append((s.strip("<>"), defect))
                add(f"{s} {P_BUDGET} {b} .\n")
                add(f"{b} {A} {C_MONEY} .\n")
                add(f"{b} {P_VALUE} {literal(value)}{DT_DECIMAL} .\n")
                add(f"{b} {P_CURRENCY} {literal(code)} .\n")
                self._count("schema:MonetaryAmount")
            # scope
            for place in places:
                add(f"{s} {P_SPATIAL} {place} .\n")
            targets = self.targets(theme, 1 + (rng.random() < 0.6) + (rng.random() < 0.35) + (rng.random() < 0.15))
            for target in targets:
                self.used_targets.add(self.target_number[target])
                add(f"{s} {P_TARGET} {target} .\n")
            if defect == "target-24":
                bad = v.targets[1].rsplit("/", 1)[0] + "/24>"
                add(f"{s} {P_TARGET} {bad} .\n")
                self.defects.append((s.strip("<>"), defect))
            for article in self.article_pick.distinct(rng, rng.choice((0, 1, 1, 2, 2, 3))):
                add(f"{s} {P_ARTICLE} {article} .\n")
            for m in modalities:
                add(f"{s} {P_MODALITY} {v.modalities[m]} .\n")
            if rng.random() < 0.25:
                commitments: list[int] = []
                for _ in range(1 + (rng.random() < 0.3)):
                    c = n_strategies + 1 + rng.randrange(n_commitments - n_strategies)
                    if c not in commitments:
                        commitments.append(c)
                        add(f"{s} {P_COMMITMENT} {self.iri('commitment', c)} .\n")
            for code in self.languages():
                add(f"{s} {P_LANGUAGE} {literal(code)}{DT_LANGUAGE} .\n")
            add(f"{s} {P_SUBJECT} {lang(theme[3], 'en')} .\n")
            add(f"{s} {P_SUBJECT} {lang(theme[4], 'fr')} .\n")
            if rng.random() < 0.5:
                add(f"{s} {P_URL} <https://example.org/project/{n}> .\n")
            self._email(add, s, "project", n, rng.random() < 0.3, defect)
            memory.append((lead, theme, places[0], targets, start))
            self._count("tsc:Project")
        return memory

    def cooperation(self, add, kind: str) -> None:
        rng, v = self.rng, self.vocab
        offer = kind == "offer"
        cls, by = (C_OFFER, P_OFFERED_BY) if offer else (C_REQUEST, P_REQUESTED_BY)
        other_kind = "request" if offer else "offer"
        status = {_slug(a.strip("<>")): a for a in v.statuses["cooperation"]}
        status_pick = _Weighted(list(COOPERATION_STATUS_WEIGHTS), list(COOPERATION_STATUS_WEIGHTS.values()))
        n_actors = self.n["actor"]
        for n in range(1, self.n[kind] + 1):
            s = self.iri(kind, n)
            defect = self.plan.get((kind, n))
            theme = THEMES[rng.randrange(len(THEMES))]
            modalities = self.modality_pick.distinct(rng, 1 + (rng.random() < 0.4))
            places = self.places(1 + (rng.random() < 0.5) + (rng.random() < 0.2))
            en_act, fr_act = ACTIVITIES[modalities[0]]
            en_place, fr_place = v.labels[places[0]]
            add(f"{s} {A} {cls} .\n")
            add(f"{s} {P_EXAMPLE} {TRUE} .\n")
            if offer:
                self._titles(add, s, kind, n, f"Example: offer of {en_act} {theme[0]} #{n}",
                             f"Exemple : offre de {fr_act} {theme[1]} (n° {n})")
                en_desc = f"Illustrative offer, not a real one: {en_act} {theme[0]}, for partners in {en_place}."
                fr_desc = f"Offre illustrative, qui n'est pas réelle : {fr_act} {theme[1]}, pour des partenaires — {fr_place}."
            else:
                self._titles(add, s, kind, n, f"Example: request for {en_act} {theme[0]} in {en_place} #{n}",
                             f"Exemple : demande de {fr_act} {theme[1]} — {fr_place} (n° {n})")
                en_desc = f"Illustrative request, not a real one: {en_act} {theme[0]} in {en_place}."
                fr_desc = f"Demande illustrative, qui n'est pas réelle : {fr_act} {theme[1]} — {fr_place}."
            add(f"{s} {P_DESC} {lang(en_desc, 'en')} .\n")
            add(f"{s} {P_DESC} {lang(fr_desc, 'fr')} .\n")
            who = self.actor_pick.pick(rng) if offer else 1 + rng.randrange(n_actors)
            add(f"{s} {by} {self.iri('actor', who)} .\n")
            for target in self.targets(theme, 1 + (rng.random() < 0.5) + (rng.random() < 0.2)):
                add(f"{s} {P_TARGET} {target} .\n")
            for article in self.article_pick.distinct(rng, rng.choice((0, 1, 1, 2))):
                add(f"{s} {P_ARTICLE} {article} .\n")
            for m in modalities:
                add(f"{s} {P_MODALITY} {v.modalities[m]} .\n")
            for place in places:
                add(f"{s} {P_SPATIAL} {place} .\n")
            for code in self.languages():
                add(f"{s} {P_LANGUAGE} {literal(code)}{DT_LANGUAGE} .\n")
            add(f"{s} {P_SUBJECT} {lang(theme[3], 'en')} .\n")
            add(f"{s} {P_SUBJECT} {lang(theme[4], 'fr')} .\n")
            state = status_pick.pick(rng)
            add(f"{s} {P_STATUS} {status[state]} .\n")
            if state == "matched":
                add(f"{s} {P_MATCHES} {self.iri(other_kind, 1 + rng.randrange(self.n[other_kind]))} .\n")
            created = date(2019, 1, 1).toordinal() + rng.randrange(TODAY - date(2019, 1, 1).toordinal())
            add(f"{s} {P_CREATED} {iso_date(created)} .\n")
            self._email(add, s, kind, n, rng.random() < 0.35, defect)
            self._count("tsc:CooperationOffer" if offer else "tsc:CooperationRequest")

    def resources(self, add, projects: list[tuple]) -> None:
        rng, v = self.rng, self.vocab
        for n in range(1, self.n["resource"] + 1):
            s = self.iri("resource", n)
            which = rng.randrange(len(C_RESOURCES))
            en_word, fr_word, en_intro, fr_intro = RESOURCE_WORDS[which]
            p = 1 + rng.randrange(len(projects))
            lead, theme, place, targets, start = projects[p - 1]
            en_place, fr_place = v.labels[place]
            add(f"{s} {A} {C_RESOURCES[which]} .\n")
            add(f"{s} {P_EXAMPLE} {TRUE} .\n")
            self._titles(add, s, "resource", n, f"Example: {en_word} from {theme[0]} in {en_place} #{n}",
                         f"Exemple : {fr_word} — {theme[1]}, {fr_place} (n° {n})")
            en_desc = f"{en_intro}: what a project on {theme[0]} in {en_place} learned."
            fr_desc = f"{fr_intro} : ce qu'un projet sur {theme[1]} — {fr_place} a appris."
            add(f"{s} {P_DESC} {lang(en_desc, 'en')} .\n")
            add(f"{s} {P_DESC} {lang(fr_desc, 'fr')} .\n")
            add(f"{s} {P_CREATOR} {self.iri('actor', lead)} .\n")
            add(f"{s} {P_DERIVED} {self.iri('project', p)} .\n")
            for target in targets[: 1 + rng.randrange(len(targets))]:
                add(f"{s} {P_TARGET} {target} .\n")
            for article in self.article_pick.distinct(rng, rng.choice((0, 1, 2))):
                add(f"{s} {P_ARTICLE} {article} .\n")
            for code in self.languages():
                add(f"{s} {P_LANGUAGE} {literal(code)}{DT_LANGUAGE} .\n")
            add(f"{s} {P_SUBJECT} {lang(theme[3], 'en')} .\n")
            add(f"{s} {P_SUBJECT} {lang(theme[4], 'fr')} .\n")
            add(f"{s} {P_ISSUED} {iso_date(start + 365 + rng.randrange(4 * 365))} .\n")
            self._count(("tsc:BestPractice", "tsc:LessonLearned", "tsc:CaseStudy")[which])


def write_dataset(
    path: Path | str,
    target_triples: int,
    seed: int = 42,
    defects: bool = False,
    base_iri: str = DEFAULT_BASE_IRI,
) -> GenerationSummary:
    """Write about ``target_triples`` triples (±10%) of synthetic records to ``path`` as N-Triples (UTF-8).

    The same arguments give the same bytes. ``defects=True`` plants defects the shapes catch and lists
    them (focus record, kind) in the summary.
    """
    if target_triples < 1:
        raise ValueError("target_triples must be positive")
    if not base_iri.endswith("/") or "://" not in base_iri or _IRI_FORBIDDEN.search(base_iri):
        raise ValueError(f"base_iri must be an absolute IRI ending with '/', got {base_iri!r}")
    started = time.perf_counter()
    path = Path(path)
    gen = _Generator(target_triples, seed, defects, base_iri)
    summary = GenerationSummary(path=str(path), target_triples=target_triples, seed=seed, base_iri=base_iri)
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        writer = _Writer(out)
        add = writer.add
        types_of = gen.actors(add)
        gen.commitments(add)
        projects = gen.projects(add, types_of)
        gen.cooperation(add, "offer")
        gen.cooperation(add, "request")
        gen.resources(add, projects)
        writer.flush()
    written = writer.lines
    summary.triples = written
    summary.counts = dict(sorted(gen.counts.items()))
    summary.defects = gen.defects
    summary.targets_without_projects = [
        iri.strip("<>") for number, iri in gen.vocab.targets.items() if number not in gen.used_targets
    ]
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


class _Writer:
    """Lines are gathered and written 20,000 at a time; ``lines`` counts them (one triple each)."""

    def __init__(self, out, size: int = 20_000) -> None:
        self.out, self.size, self.buffer, self.lines = out, size, [], 0

    def add(self, line: str) -> None:
        self.buffer.append(line)
        if len(self.buffer) >= self.size:
            self.flush()

    def flush(self) -> None:
        self.lines += len(self.buffer)
        self.out.write("".join(self.buffer))
        self.buffer = []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=100_000, help="about how many triples (default 100000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--defects", action="store_true", help="plant defects that the shapes catch")
    parser.add_argument("--base-iri", default=DEFAULT_BASE_IRI, help=f"base of the record IRIs (default {DEFAULT_BASE_IRI})")
    parser.add_argument("--out", type=Path, required=True, help="N-Triples file to write")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON (with every defect)")
    args = parser.parse_args(argv)
    try:
        summary = write_dataset(args.out, args.triples, seed=args.seed, defects=args.defects, base_iri=args.base_iri)
    except (ValueError, OSError) as exc:
        print(f"bench.generate: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(asdict(summary), ensure_ascii=False, indent=2) if args.json else summary.to_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
