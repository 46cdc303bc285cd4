"""IATI activity XML (IATI Standard 2.03 activity files) → tsc:Project and tsc:Actor records.

IATI is how development-cooperation funders publish their projects, so it is the cheapest way to
bring a partner's portfolio into the clearing-house. :func:`load_iati` is pure (bytes in, RDF and
problems out); :func:`read_iati` is the thin I/O shell. Partner files are untrusted: they are parsed
with ``defusedxml``, which refuses entity declarations (billion laughs) and external references,
so a hostile file becomes one Problem instead of a hang or a read of local files.

The mapping rules (documented in docs/loaders.md, "IATI activity XML"):

* record IRI ``{base}id/project/iati-<slug of iati-identifier>``; the identifier itself in
  ``dcterms:identifier``. An activity with no identifier or no usable title is skipped (reported).
* narratives keep their ``xml:lang``; a narrative without one takes the activity's ``xml:lang``,
  else the ``iati-activities`` element's; a language other than en/fr/es is reported and left out
  (our shapes accept those three).
* lead organisation (our shapes need exactly one): the first usable participating-org with role 4
  (Implementing), else role 2 (Accountable), else role 3 (Extending), else the reporting-org; the
  other role 2/3/4 organisations are partners; role 1 (Funding) organisations are funders. No
  usable candidate → the activity is skipped (reported).
* participating organisations become tsc:Actor records ``{base}id/actor/<slug of @ref, else of the
  name>``, named by their first narrative, typed from @type by :data:`ACTOR_TYPES`; an unknown or
  missing @type, or no name, leaves the organisation out (reported).
* recipient-country/@code → ``…/vocab/place/{code}`` when our place vocabulary has it.
* activity-date: actual (2, 4) wins over planned (1, 3) → schema:startDate / schema:endDate.
* activity-status: 1 → planned, 2 → ongoing, 3 and 4 → completed, 5 → cancelled; 6 (Suspended)
  has no concept (reported).
* budget: the sum of the activity's budget periods — the revised ones (@type 2) when it has any,
  else the original ones — in one currency (value/@currency, else @default-currency); mixed
  currencies or a malformed value give no budget (reported).
* sector (@vocabulary 1 DAC 5-digit, the default, or 2 DAC 3-digit) → keyword "DAC <code>"@en; the
  Rio marker for biodiversity (policy-marker @vocabulary 1, @code 5, significance 1 or 2) → keyword
  "Rio marker: biodiversity"@en. We hold no sector vocabulary, so the codes stay text. Other policy
  markers are outside the clearing-house's scope and are not mapped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS, XSD

from graph.iris import slugify
from graph.namespaces import PLACE, SCHEMA, TSC, VOCAB, bind_prefixes
from loaders import Loaded, Problem

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
LANGUAGES = ("en", "fr", "es")  # the languages our shapes accept on titles, names and keywords

#: IATI OrganisationType code → our actor type (``…/vocab/actor-type/…``). Codes not listed here
#: (30 Public Private Partnership, 90 Other, anything new) have no sure match and are reported.
ACTOR_TYPES: dict[str, str] = {
    "10": "public-agency",               # Government
    "11": "local-authority",             # Local Government
    "15": "public-agency",               # Other Public Sector
    "21": "ngo",                         # International NGO
    "22": "ngo",                         # National NGO
    "23": "ngo",                         # Regional NGO
    "24": "ngo",                         # Partner Country based NGO
    "40": "international-organisation",  # Multilateral
    "60": "foundation",                  # Foundation
    "70": "company",                     # Private Sector
    "71": "company",                     # Private Sector in Provider Country
    "72": "company",                     # Private Sector in Aid Recipient Country
    "73": "company",                     # Private Sector in Third Country
    "80": "university",                  # Academic, Training and Research
}

#: IATI ActivityStatus code → our project status.
STATUSES = {"1": "planned", "2": "ongoing", "3": "completed", "4": "completed", "5": "cancelled"}

#: IATI OrganisationRole codes, in the order they are preferred as lead organisation.
LEAD_ROLES = ("4", "2", "3")
FUNDING_ROLE = "1"


def read_iati(path: str | Path, *, base_iri: str, ontology_graph: Graph, example: bool = False) -> Loaded:
    """Read an IATI activity file from disk and load it (the I/O shell around :func:`load_iati`)."""
    return load_iati(Path(path).read_bytes(), str(path), base_iri=base_iri, ontology_graph=ontology_graph,
                     example=example)


def load_iati(data: bytes | str, source: str, *, base_iri: str, ontology_graph: Graph,
              example: bool = False) -> Loaded:
    """Map an IATI activities document onto projects and actors.

    ``ontology_graph`` holds our vocabularies (to know which country codes we have a place for).
    ``example`` marks every record made with ``tsc:isExample true`` — for illustrative files only:
    IATI itself has no such flag, and a real file must not be marked.
    """
    graph = bind_prefixes(Graph())
    loaded = Loaded(graph)
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        loaded.problems.append(Problem(source, "document", "refused: the file declares a DOCTYPE, XML entities or "
                                       f"external references, which partner files may not ({type(exc).__name__})"))
        return loaded
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        loaded.problems.append(Problem(source, f"line {line}, column {column}", "not well-formed XML", str(exc)))
        return loaded
    except (LookupError, ValueError) as exc:  # an encoding declared that Python does not know, bytes not in it
        loaded.problems.append(Problem(source, "document", "not readable XML", " ".join(str(exc).split())))
        return loaded
    if root.tag != "iati-activities":
        loaded.problems.append(Problem(source, root.tag, "not an IATI activities file (root is not <iati-activities>)"))
        return loaded
    places = {s for s in ontology_graph.subjects(RDF.type, TSC.Country) if isinstance(s, URIRef)}
    mapper = _Mapper(graph, loaded.problems, source, base_iri, places, example, root.get(XML_LANG))
    for index, activity in enumerate(root.findall("iati-activity"), start=1):
        if mapper.activity(activity, f"iati-activity[{index}]"):
            loaded.records += 1
    loaded.records += len(mapper.actors)
    return loaded


def slug(text: str) -> str:
    """Not cut: two long IATI identifiers must not collide."""
    return slugify(text, limit=None, empty="unnamed")


def _children(element: Element, tag: str, where: str) -> list[tuple[Element, str]]:
    """The ``tag`` children of ``element`` with their element paths (``where/tag[n]``, 1-based as XPath)."""
    return [(child, f"{where}/{tag}[{n}]") for n, child in enumerate(element.findall(tag), start=1)]


def _text(element: Element | None) -> str:
    return " ".join((element.text or "").split()) if element is not None else ""


@dataclass
class _Org:
    iri: URIRef
    role: str


class _Mapper:
    """Turns one activity at a time into triples, collecting problems; remembers the actors made."""

    def __init__(self, graph: Graph, problems: list[Problem], source: str, base_iri: str,
                 places: set[URIRef], example: bool, document_lang: str | None) -> None:
        self.graph, self.problems, self.source, self.base = graph, problems, source, base_iri
        self.places, self.example, self.document_lang = places, example, document_lang
        self.actors: set[URIRef] = set()

    def problem(self, where: str, message: str, value: str = "") -> None:
        self.problems.append(Problem(self.source, where, message, value))

    def narratives(self, element: Element, where: str, default_lang: str | None) -> list[Literal]:
        """The narratives of an element as language-tagged literals, one per language (the first)."""
        out: dict[str, Literal] = {}
        for narrative, path in _children(element, "narrative", where):
            text = _text(narrative)
            if not text:
                continue
            lang = (narrative.get(XML_LANG) or default_lang or "").lower()
            if not lang:
                self.problem(path, "narrative has no language (no xml:lang on it, its activity or the file)", text)
            elif lang not in LANGUAGES:
                self.problem(path, "narrative language is not one we publish (en, fr, es); left out", lang)
            elif lang in out:
                self.problem(path, f"second narrative in the same language ({lang}); the first is kept", text)
            else:
                out[lang] = Literal(text, lang=lang)
        return list(out.values())

    def activity(self, activity: Element, where: str) -> bool:
        """Add one activity's project (and its actors); False when it had to be skipped."""
        lang = activity.get(XML_LANG) or self.document_lang
        identifier = _text(activity.find("iati-identifier"))
        if not identifier:
            self.problem(where, "activity skipped: it has no iati-identifier")
            return False
        titles = [t for e, p in _children(activity, "title", where) for t in self.narratives(e, p, lang)]
        if not titles:
            self.problem(where, "activity skipped: it has no title in en, fr or es", identifier)
            return False
        orgs = self.organisations(activity, where, lang)
        lead = next((o for role in LEAD_ROLES for o in orgs if o.role == role), None)
        if lead is None:
            reporting = activity.find("reporting-org")
            if reporting is not None:
                lead = self.actor(reporting, f"{where}/reporting-org[1]", lang, "")
        if lead is None:
            self.problem(where, "activity skipped: no implementing, accountable, extending or reporting "
                         "organisation can be its lead organisation", identifier)
            return False
        g = self.graph
        project = URIRef(f"{self.base}id/project/iati-{slug(identifier)}")
        g.add((project, RDF.type, TSC.Project))
        g.add((project, DCTERMS.identifier, Literal(identifier)))
        for title in titles:
            g.add((project, DCTERMS.title, title))
        seen: set[str] = set()
        for element, path in _children(activity, "description", where):
            for text in self.narratives(element, path, lang):
                if text.language in seen:  # several descriptions (general, objectives…): the first per language
                    continue
                seen.add(text.language or "")
                g.add((project, DCTERMS.description, text))
        g.add((project, TSC.leadOrganisation, lead.iri))
        for org in orgs:
            if org.role == FUNDING_ROLE:
                g.add((project, TSC.funder, org.iri))
            elif org.iri != lead.iri:
                g.add((project, TSC.partner, org.iri))
        self.countries(activity, where, project)
        self.dates(activity, where, project)
        self.status(activity, where, project)
        self.budget(activity, where, project)
        self.keywords(activity, where, project)
        if self.example:
            g.add((project, TSC.isExample, Literal(True)))
        return True

    def organisations(self, activity: Element, where: str, lang: str | None) -> list[_Org]:
        orgs = []
        for element, path in _children(activity, "participating-org", where):
            role = element.get("role", "")
            if role not in (FUNDING_ROLE, *LEAD_ROLES):
                self.problem(path, "unknown participating-org role (1 Funding, 2 Accountable, 3 Extending, "
                             "4 Implementing); organisation left out", role)
                continue
            org = self.actor(element, path, lang, role)
            if org is not None:
                orgs.append(org)
        return orgs

    def actor(self, element: Element, where: str, lang: str | None, role: str) -> _Org | None:
        """The actor record for a participating (or reporting) organisation, or None (reported)."""
        names = self.narratives(element, where, lang)
        ref = element.get("ref", "").strip()
        if not names:
            self.problem(where, "organisation left out: it has no name in en, fr or es", ref)
            return None
        code = element.get("type", "")
        if code not in ACTOR_TYPES:
            self.problem(where, "organisation left out: its @type has no actor type of ours "
                         "(see the table in docs/loaders.md)", code)
            return None
        iri = URIRef(f"{self.base}id/actor/{slug(ref or str(names[0]))}")
        g = self.graph
        if iri not in self.actors:
            self.actors.add(iri)
            g.add((iri, RDF.type, TSC.Actor))
            if ref:
                g.add((iri, DCTERMS.identifier, Literal(ref)))
            if self.example:
                g.add((iri, TSC.isExample, Literal(True)))
        named = {n.language: n for n in g.objects(iri, SKOS.prefLabel) if isinstance(n, Literal)}
        for name in names:
            if name.language not in named:
                g.add((iri, SKOS.prefLabel, name))
            elif named[name.language] != name:
                self.problem(where, f"organisation already named differently in {name.language}; the first "
                             "name is kept", f"{named[name.language]} / {name}")
        g.add((iri, TSC.actorType, VOCAB[f"actor-type/{ACTOR_TYPES[code]}"]))
        return _Org(iri, role)

    def countries(self, activity: Element, where: str, project: URIRef) -> None:
        for element, path in _children(activity, "recipient-country", where):
            code = element.get("code", "").strip().upper()
            if PLACE[code] in self.places:
                self.graph.add((project, DCTERMS.spatial, PLACE[code]))
            else:
                self.problem(path, "country code not in our place vocabulary (ISO 3166-1 alpha-2)", code)
        for _element, path in _children(activity, "recipient-region", where):
            self.problem(path, "recipient-region is not mapped (we hold no region codelist); name the countries")

    def dates(self, activity: Element, where: str, project: URIRef) -> None:
        found: dict[str, date] = {}
        for element, path in _children(activity, "activity-date", where):
            kind, raw = element.get("type", ""), element.get("iso-date", "")
            if kind not in ("1", "2", "3", "4"):
                self.problem(path, "unknown activity-date @type (1-4)", kind)
                continue
            try:
                found[kind] = date.fromisoformat(raw)
            except ValueError:
                self.problem(path, "@iso-date is not a date (YYYY-MM-DD)", raw)
        start, end = found.get("2") or found.get("1"), found.get("4") or found.get("3")
        if start and end and end < start:
            self.problem(f"{where}/activity-date", "end date before start date; end date left out", end.isoformat())
            end = None
        if start:
            self.graph.add((project, SCHEMA.startDate, Literal(start.isoformat(), datatype=XSD.date)))
        if end:
            self.graph.add((project, SCHEMA.endDate, Literal(end.isoformat(), datatype=XSD.date)))

    def status(self, activity: Element, where: str, project: URIRef) -> None:
        for element, path in _children(activity, "activity-status", where)[:1]:
            code = element.get("code", "")
            if code in STATUSES:
                self.graph.add((project, TSC.status, VOCAB[f"status/{STATUSES[code]}"]))
            else:
                self.problem(path, "activity-status code has no project status of ours "
                             "(1 planned, 2 ongoing, 3/4 completed, 5 cancelled)", code)

    def budget(self, activity: Element, where: str, project: URIRef) -> None:
        budgets = _children(activity, "budget", where)
        revised = [(e, p) for e, p in budgets if e.get("type") == "2"]
        total, currencies = Decimal(0), set()
        for element, path in revised or [(e, p) for e, p in budgets if e.get("type", "1") == "1"]:
            value = element.find("value")
            raw = _text(value)
            currency = ((value.get("currency") if value is not None else None)
                        or activity.get("default-currency") or "").strip()
            try:
                amount = Decimal(raw)
            except InvalidOperation:
                self.problem(f"{path}/value", "budget value is not a number; no budget recorded", raw)
                return
            if not re.fullmatch(r"[A-Z]{3}", currency):
                self.problem(f"{path}/value", "budget has no ISO 4217 currency (value/@currency or "
                             "@default-currency); no budget recorded", currency)
                return
            total += amount
            currencies.add(currency)
        if not currencies:
            return
        if len(currencies) > 1:
            self.problem(f"{where}/budget", "budget periods in several currencies; no budget recorded",
                         ", ".join(sorted(currencies)))
            return
        if total <= 0:
            self.problem(f"{where}/budget", "budget total is not positive; no budget recorded", str(total))
            return
        amount_node = BNode()
        self.graph.add((project, TSC.budget, amount_node))
        self.graph.add((amount_node, RDF.type, SCHEMA.MonetaryAmount))
        self.graph.add((amount_node, SCHEMA.value, Literal(total, datatype=XSD.decimal)))
        self.graph.add((amount_node, SCHEMA.currency, Literal(currencies.pop())))

    def keywords(self, activity: Element, where: str, project: URIRef) -> None:
        for element, path in _children(activity, "sector", where):
            vocabulary, code = element.get("vocabulary", "1"), element.get("code", "").strip()
            if vocabulary not in ("1", "2"):
                self.problem(path, "sector vocabulary not mapped (only 1, DAC 5-digit, and 2, DAC 3-digit)", vocabulary)
            elif not re.fullmatch(r"\d{5}" if vocabulary == "1" else r"\d{3}", code):
                self.problem(path, f"malformed DAC {'5' if vocabulary == '1' else '3'}-digit sector code", code)
            else:
                self.graph.add((project, DCTERMS.subject, Literal(f"DAC {code}", lang="en")))
        for element, _path in _children(activity, "policy-marker", where):
            if (element.get("vocabulary", "1"), element.get("code")) == ("1", "5") and \
                    element.get("significance") in ("1", "2"):
                self.graph.add((project, DCTERMS.subject, Literal("Rio marker: biodiversity", lang="en")))
