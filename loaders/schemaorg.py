"""schema.org JSON-LD (what ODIS-style nodes and web pages publish) mapped onto our terms.

Reads back what :mod:`web.schemaorg` writes, and what others write in the same vocabulary:

* **Project** / **ResearchProject** → ``tsc:Project``: ``name`` → ``dcterms:title``, ``description``,
  ``url``, ``email``, ``foundingDate``/``startDate`` and ``dissolutionDate``/``endDate`` → ``schema:startDate``
  / ``schema:endDate``, ``member`` (an **OrganizationRole** whose ``roleName`` says "lead" → the
  ``tsc:leadOrganisation``; other members → ``tsc:partner``), ``parentOrganization`` → the lead when no
  member is, ``funder`` / ``sponsor`` → ``tsc:funder``, ``funding`` (MonetaryGrant) → its funder and
  ``tsc:budget``, ``areaServed`` / ``location`` / ``spatialCoverage`` → places, ``keywords`` (DefinedTerm of
  the GBF or the CBD → ``tsc:contributesToTarget`` / ``tsc:implementsArticle``, words → ``dcterms:subject``),
  ``inLanguage`` → ``dcterms:language``.
* **Organization** and subtypes → ``tsc:Actor``, the subtype giving ``tsc:actorType`` (the inverse of
  web.schemaorg's table): ``name`` → ``skos:prefLabel``, ``alternateName`` → ``skos:altLabel``, ``url``,
  ``email``, ``areaServed`` / ``location`` / ``address.addressCountry`` → places, ``identifier`` →
  ``dcterms:identifier``. An organisation only *referred to* (``@id`` with at most a type and a name, as
  in a project's ``member``) is linked, not made a record: its own page describes it.
* ``sameAs`` → ``owl:sameAs`` (what web.schemaorg writes ``sameAs`` from; docs/data-model.md has no
  property for it yet).

Language: schema.org text rarely carries a language, our titles must. A string with no language takes
the document's ``@language``, else ``default_lang`` (an argument, "en" unless the caller knows better).

Identity: a node's ``@id`` is kept (a harvested record keeps its identity); a record without one gets
``{base}id/{kind}/{slug of its name}``, reported. Records whose title starts "Example:" / "Exemple :"
are flagged ``tsc:isExample``. Everything not mapped is reported, counted per type or property.

No network: schema.org contexts (http or https, with or without the slash) are replaced by a local
``{"@vocab": "https://schema.org/"}`` before rdflib reads the document; other remote contexts are
refused; ``http://schema.org/`` IRIs are normalised to ``https://schema.org/``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, SKOS, XSD
from rdflib.term import Node

from graph.iris import is_iri, slugify
from graph.namespaces import CBD, GBF, PLACE, SCHEMA, TSC, VOCAB, bind_prefixes
from graph.rdfio import RdfReadError, parse_rdf
from graph.text import fold
from loaders import Loaded, Problem
from loaders.reading import is_schema_org, read_error
from loaders.resolve import default_resolver

LOCAL_CONTEXT = {"@vocab": str(SCHEMA), "schema": str(SCHEMA)}
HTTP_SCHEMA = "http://schema.org/"

PROJECT_TYPES = {SCHEMA.Project, SCHEMA.ResearchProject}
#: schema.org organisation type → our actor type (web.schemaorg.ACTOR_TYPES read backwards: where two
#: of ours share one schema.org type, the broader one).
ACTOR_TYPES = {
    "GovernmentOrganization": "public-agency",
    "ResearchOrganization": "research-institute",
    "CollegeOrUniversity": "university",
    "NGO": "ngo",
    "FundingAgency": "funder",
    "Corporation": "company",
    "Consortium": "network",
}
ORG_TYPES = {SCHEMA.Organization, SCHEMA.NonprofitOrganization, SCHEMA.EducationalOrganization} | {
    SCHEMA[t] for t in ACTOR_TYPES}
#: Types read as parts of a record (roles, amounts, terms, places), not records of their own.
PART_TYPES = {SCHEMA[t] for t in ("OrganizationRole", "Role", "MonetaryGrant", "MonetaryAmount", "DefinedTerm",
                                  "DefinedTermSet", "Place", "Country", "AdministrativeArea", "PostalAddress",
                                  "PropertyValue")}
#: ``roleName`` values meaning the lead (English, the French of translations/fr, and common variants).
LEAD_ROLES = {"lead organisation", "lead organization", "lead", "coordinator", "lead partner",
              "organisation cheffe de file", "chef de file", "cheffe de file", "coordinateur", "coordinatrice"}
EXAMPLE_TITLE = re.compile(r"^\s*(example|exemple|ejemplo)\s*:", re.I)

NAMES = (SCHEMA.name,)
PLACES = (SCHEMA.areaServed, SCHEMA.location, SCHEMA.spatialCoverage)
PROJECT_PROPERTIES = {RDF.type, SCHEMA.name, SCHEMA.alternateName, SCHEMA.description, SCHEMA.url, SCHEMA.email,
                      SCHEMA.foundingDate, SCHEMA.startDate, SCHEMA.dissolutionDate, SCHEMA.endDate, SCHEMA.member,
                      SCHEMA.parentOrganization, SCHEMA.funder, SCHEMA.sponsor, SCHEMA.funding, SCHEMA.keywords,
                      SCHEMA.identifier, SCHEMA.sameAs, SCHEMA.inLanguage, *PLACES}
ACTOR_PROPERTIES = {RDF.type, SCHEMA.name, SCHEMA.alternateName, SCHEMA.description, SCHEMA.url, SCHEMA.email,
                    SCHEMA.identifier, SCHEMA.sameAs, SCHEMA.address, *PLACES}


class SchemaOrgMapper:
    """Maps one parsed schema.org graph onto ours; pure apart from reading the places vocabulary."""

    def __init__(self, src: Graph, source: str, base_iri: str, lang: str):
        self.src, self.source, self.base, self.lang = src, source, base_iri, lang
        self.out = bind_prefixes(Graph())
        self.problems: list[Problem] = []
        self.ignored_properties: Counter[URIRef] = Counter()
        self.iris: dict[Node, URIRef] = {}
        self.minted: set[str] = set()
        self.records = 0

    # -- helpers -----------------------------------------------------------------------------------
    def problem(self, where: str, message: str, value: object = "") -> None:
        self.problems.append(Problem(self.source, where, message, str(value) if value != "" else ""))

    def types(self, node: Node) -> set[Node]:
        return set(self.src.objects(node, RDF.type))

    def where(self, node: Node) -> str:
        name = self.src.value(node, SCHEMA.name)
        return f"<{node}>" if isinstance(node, URIRef) else f"node {str(name)!r}" if name else "a node without @id"

    def text(self, value: Node) -> Literal | None:
        """A language-tagged literal from a schema.org text (untagged text takes the default language)."""
        if not isinstance(value, Literal) or not str(value).strip():
            return None
        return Literal(" ".join(str(value).split()) if "\n" not in str(value) else str(value).strip(),
                       lang=value.language or self.lang)

    def iri_of(self, node: Node, kind: str) -> URIRef:
        """The node's own IRI, else one minted from its name (reported: the record had no identity)."""
        if node in self.iris:
            return self.iris[node]
        if isinstance(node, URIRef):
            self.iris[node] = node
            return node
        name = next((str(n) for n in self.src.objects(node, SCHEMA.name)), "") or kind
        slug = _slug(name) or kind
        iri, n = f"{self.base}id/{kind}/{slug}", 1
        while iri in self.minted:
            n += 1
            iri = f"{self.base}id/{kind}/{slug}-{n}"
        self.minted.add(iri)
        self.iris[node] = URIRef(iri)
        self.problem(self.where(node), f"no @id: the {kind} was given an IRI made from its name", iri)
        return URIRef(iri)

    def add_texts(self, node: Node, subject: URIRef, source_p: URIRef, target_p: URIRef, what: str) -> None:
        """Texts of ``source_p`` as ``target_p``, at most one per language (extra ones reported)."""
        seen = {lit.language for lit in self.out.objects(subject, target_p) if isinstance(lit, Literal)}
        for value in sorted(self.src.objects(node, source_p), key=str):
            lit = self.text(value)
            if lit is None:
                continue
            if lit.language in seen:
                self.problem(self.where(node), f"a second {what} in the same language ignored", value)
                continue
            seen.add(lit.language)
            self.out.add((subject, target_p, lit))

    def add_common(self, node: Node, subject: URIRef) -> None:
        urls = [u for u in self.src.objects(node, SCHEMA.url) if _web_address(str(u))]
        for bad in set(self.src.objects(node, SCHEMA.url)) - set(urls):
            self.problem(self.where(node), "url is not an http(s) address", bad)
        for extra in sorted(urls, key=str)[1:]:
            self.problem(self.where(node), "a second url ignored", extra)
        if urls:
            self.out.add((subject, SCHEMA.url, URIRef(str(sorted(urls, key=str)[0]))))
        for email in self.src.objects(node, SCHEMA.email):
            address = str(email).removeprefix("mailto:").strip()
            if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
                self.out.add((subject, SCHEMA.email, Literal(address)))
            else:
                self.problem(self.where(node), "not an e-mail address", email)
        for same in self.src.objects(node, SCHEMA.sameAs):
            if _web_address(str(same)):
                self.out.add((subject, OWL.sameAs, URIRef(str(same))))
            else:
                self.problem(self.where(node), "sameAs is not an http(s) IRI", same)
        for ident in self.src.objects(node, SCHEMA.identifier):
            value = self.src.value(ident, SCHEMA.value) if not isinstance(ident, Literal) else ident
            if value is None and isinstance(ident, URIRef):
                value = ident
            if value is not None:
                self.out.add((subject, DCTERMS.identifier, Literal(str(value))))
        for place in (p for prop in PLACES for p in self.src.objects(node, prop)):
            self.add_place(node, subject, place)
        for address in self.src.objects(node, SCHEMA.address):
            for country in self.src.objects(address, SCHEMA.addressCountry):
                self.add_place(node, subject, country)
        self.ignored_properties.update(p for p in set(self.src.predicates(node, None))
                                       if p not in (PROJECT_PROPERTIES if (subject, RDF.type, TSC.Project)
                                                    in self.out else ACTOR_PROPERTIES))

    def add_place(self, node: Node, subject: URIRef, place: Node) -> None:
        candidates = [place] if not isinstance(place, BNode) else []
        for p in (SCHEMA.identifier, SCHEMA.addressCountry, SCHEMA.name):
            candidates += list(self.src.objects(place, p))
        for address in self.src.objects(place, SCHEMA.address):
            candidates += list(self.src.objects(address, SCHEMA.addressCountry))
        for candidate in candidates:
            found = resolve_place(str(candidate))
            if found is not None:
                self.out.add((subject, DCTERMS.spatial, found))
                return
        shown = next((str(c) for c in candidates), "")
        self.problem(self.where(node), "place not found in the places vocabulary (ontology/places.ttl)", shown)

    def organisation(self, node: Node) -> URIRef:
        """The IRI of an organisation a record points to; a described one becomes a record too."""
        if isinstance(node, Literal):
            return self.actor(node)
        if self.is_described(node) or isinstance(node, BNode):
            return self.actor(node)
        return self.iri_of(node, "actor")

    def is_described(self, node: Node) -> bool:
        return any(p not in (RDF.type, SCHEMA.name) for p in self.src.predicates(node, None))

    # -- records -----------------------------------------------------------------------------------
    def actor(self, node: Node) -> URIRef:
        if isinstance(node, Literal):  # an organisation given by its name only
            bnode = BNode()
            self.src.add((bnode, RDF.type, SCHEMA.Organization))
            self.src.add((bnode, SCHEMA.name, node))
            node = bnode
        subject = self.iri_of(node, "actor")
        if (subject, RDF.type, TSC.Actor) in self.out:
            return subject
        self.records += 1
        self.out.add((subject, RDF.type, TSC.Actor))
        self.add_texts(node, subject, SCHEMA.name, SKOS.prefLabel, "name")
        if not any(self.out.objects(subject, SKOS.prefLabel)):
            self.problem(self.where(node), "the organisation has no name")
        for alt in self.src.objects(node, SCHEMA.alternateName):
            if isinstance(alt, Literal) and str(alt).strip():
                self.out.add((subject, SKOS.altLabel, alt))
        self.add_texts(node, subject, SCHEMA.description, DCTERMS.description, "description")
        kinds = [ACTOR_TYPES[str(t).rsplit("/", 1)[-1]] for t in self.types(node)
                 if str(t).rsplit("/", 1)[-1] in ACTOR_TYPES]
        for kind in kinds:
            self.out.add((subject, TSC.actorType, VOCAB[f"actor-type/{kind}"]))
        if not kinds:
            self.problem(self.where(node), "no actor type: give a schema.org subtype of Organization "
                         f"({', '.join(sorted(ACTOR_TYPES))})")
        self.add_common(node, subject)
        self.flag_example(subject, SKOS.prefLabel)
        return subject

    def project(self, node: Node) -> URIRef:
        subject = self.iri_of(node, "project")
        if (subject, RDF.type, TSC.Project) in self.out:
            return subject
        self.records += 1
        self.out.add((subject, RDF.type, TSC.Project))
        self.add_texts(node, subject, SCHEMA.name, DCTERMS.title, "name")
        for alt in self.src.objects(node, SCHEMA.alternateName):
            if isinstance(alt, Literal) and alt.language:
                self.add_texts(node, subject, SCHEMA.alternateName, DCTERMS.title, "name")
                break
        untagged = [a for a in self.src.objects(node, SCHEMA.alternateName) if isinstance(a, Literal) and not a.language]
        if untagged:
            self.problem(self.where(node), f"alternateName without a language ignored ({_times(len(untagged))}): "
                         "give each title its @language")
        if not any(self.out.objects(subject, DCTERMS.title)):
            self.problem(self.where(node), "the project has no name")
        self.add_texts(node, subject, SCHEMA.description, DCTERMS.description, "description")
        self.add_common(node, subject)
        self.add_dates(node, subject)
        self.add_people(node, subject)
        self.add_keywords(node, subject)
        for language in self.src.objects(node, SCHEMA.inLanguage):
            code = str(self.src.value(language, SCHEMA.alternateName) or language)
            if re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]+)*", code):
                self.out.add((subject, DCTERMS.language, Literal(code, datatype=XSD.language)))
            else:
                self.problem(self.where(node), "inLanguage is not a language code", language)
        self.flag_example(subject, DCTERMS.title)
        return subject

    def add_dates(self, node: Node, subject: URIRef) -> None:
        for ours, theirs in ((SCHEMA.startDate, (SCHEMA.foundingDate, SCHEMA.startDate)),
                             (SCHEMA.endDate, (SCHEMA.dissolutionDate, SCHEMA.endDate))):
            values = sorted({str(v) for p in theirs for v in self.src.objects(node, p)})
            for value in values[:1]:
                try:
                    day = date.fromisoformat(value[:10])
                except ValueError:
                    self.problem(self.where(node), f"{ours.removeprefix(str(SCHEMA))} is not a date (YYYY-MM-DD)", value)
                    continue
                self.out.add((subject, ours, Literal(day.isoformat(), datatype=XSD.date)))
            for extra in values[1:]:
                self.problem(self.where(node), f"a second {ours.removeprefix(str(SCHEMA))} ignored", extra)

    def add_people(self, node: Node, subject: URIRef) -> None:
        leads: list[URIRef] = []
        for member in self.src.objects(node, SCHEMA.member):
            role = self.src.value(member, SCHEMA.roleName) if not isinstance(member, Literal) else None
            inner = self.src.value(member, SCHEMA.member) if role is not None or (
                member, RDF.type, SCHEMA.OrganizationRole) in self.src else None
            org = self.organisation(inner if inner is not None else member)
            if role is not None and _norm(str(role)) in LEAD_ROLES:
                leads.append(org)
            else:
                self.out.add((subject, TSC.partner, org))
        if not leads:
            leads = [self.organisation(p) for p in self.src.objects(node, SCHEMA.parentOrganization)]
        for lead in sorted(leads, key=str)[:1]:
            self.out.add((subject, TSC.leadOrganisation, lead))
        for extra in sorted(leads, key=str)[1:]:
            self.problem(self.where(node), "a second lead organisation kept as a partner", extra)
            self.out.add((subject, TSC.partner, extra))
        if not leads:
            self.problem(self.where(node), "no lead organisation: give a member with roleName \"lead organisation\" "
                         "or a parentOrganization")
        for funder in (f for p in (SCHEMA.funder, SCHEMA.sponsor) for f in self.src.objects(node, p)):
            self.out.add((subject, TSC.funder, self.organisation(funder)))
        budgets = []
        for grant in self.src.objects(node, SCHEMA.funding):
            for funder in self.src.objects(grant, SCHEMA.funder):
                self.out.add((subject, TSC.funder, self.organisation(funder)))
            budgets += list(self.src.objects(grant, SCHEMA.amount))
        for amount in budgets[:1]:
            value, currency = self.src.value(amount, SCHEMA.value), self.src.value(amount, SCHEMA.currency)
            try:
                number = Literal(str(value), datatype=XSD.decimal)
                ok = value is not None and number.toPython() > 0 and bool(re.fullmatch(r"[A-Z]{3}", str(currency)))
            except (ArithmeticError, TypeError, ValueError):
                ok = False
            if not ok:
                self.problem(self.where(node), "funding amount needs a positive value and an ISO 4217 currency",
                             f"{value} {currency}")
                continue
            budget = BNode()
            self.out.add((subject, TSC.budget, budget))
            self.out.add((budget, RDF.type, SCHEMA.MonetaryAmount))
            self.out.add((budget, SCHEMA.value, Literal(str(value), datatype=XSD.decimal)))
            self.out.add((budget, SCHEMA.currency, Literal(str(currency))))
        if len(budgets) > 1:
            self.problem(self.where(node), f"{len(budgets) - 1} further funding amount(s) ignored (one budget per project)")

    def add_keywords(self, node: Node, subject: URIRef) -> None:
        for keyword in self.src.objects(node, SCHEMA.keywords):
            if isinstance(keyword, Literal):
                for word in (w.strip() for w in str(keyword).split(",")):
                    if word:
                        self.out.add((subject, DCTERMS.subject, Literal(word, lang=keyword.language or self.lang)))
                continue
            found = framework_term(self.src, keyword)
            if found is not None:
                self.out.add((subject, *found))
            else:
                self.problem(self.where(node), "keyword term is neither a GBF target nor a CBD article",
                             self.src.value(keyword, SCHEMA.name) or keyword)

    def flag_example(self, subject: URIRef, title: URIRef) -> None:
        if any(EXAMPLE_TITLE.match(str(t)) for t in self.out.objects(subject, title)):
            self.out.add((subject, TSC.isExample, Literal(True)))

    # -- the whole document --------------------------------------------------------------------------
    def run(self) -> None:
        referenced = set(self.src.objects())
        for node in sorted(set(self.src.subjects(RDF.type, None)), key=str):
            types = self.types(node)
            if types & PROJECT_TYPES:
                self.project(node)
            elif types & ORG_TYPES and (node not in referenced or self.is_described(node)):
                self.actor(node)
        unknown = Counter(t for n in set(self.src.subjects(RDF.type, None)) for t in self.types(n)
                          if t not in PROJECT_TYPES | ORG_TYPES | PART_TYPES)
        for kind, n in sorted(unknown.items(), key=lambda kv: str(kv[0])):
            self.problem("document", f"a type not loaded ({_times(n)})", _short(kind))
        for prop, n in sorted(self.ignored_properties.items(), key=lambda kv: str(kv[0])):
            self.problem("document", f"a property ignored ({_times(n)})", _short(prop))
        if not self.records:
            self.problem("document", "no schema:Project or schema:Organization found")


def framework_term(src: Graph, term: Node) -> tuple[URIRef, URIRef] | None:
    """A DefinedTerm naming a GBF target or CBD article, as (our property, our concept)."""
    if isinstance(term, URIRef):
        found = re.fullmatch(re.escape(str(GBF)) + r"target/(\d+)|" + re.escape(str(CBD)) + r"article/(\d+)", str(term))
        if found:
            return (TSC.contributesToTarget, term) if found.group(1) else (TSC.implementsArticle, term)
    code = str(src.value(term, SCHEMA.termCode) or "")
    scheme = src.value(term, SCHEMA.inDefinedTermSet)
    scheme_text = _norm(" ".join([str(scheme or "")] + [str(v) for v in src.objects(scheme, SCHEMA.name)])) if scheme else ""
    number = re.search(r"\d+", code)
    if not number:
        return None
    if "gbf" in scheme_text or "global biodiversity framework" in scheme_text or "kunming" in scheme_text:
        if 1 <= int(number.group()) <= 23:
            return TSC.contributesToTarget, GBF[f"target/{int(number.group())}"]
    if "cbd" in scheme_text or "convention on biological diversity" in scheme_text:
        if 1 <= int(number.group()) <= 42:
            return TSC.implementsArticle, CBD[f"article/{int(number.group())}"]
    return None


# ---------------------------------------------------------------- places
def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", fold(text)).split())


def _slug(text: str) -> str:
    return slugify(text, limit=60, empty="")


def _web_address(text: str) -> bool:
    """An http(s) IRI the store takes: a text value (``"url": "https://{x"``) is not checked by the JSON-LD parser."""
    return text.startswith(("http://", "https://")) and is_iri(text)


def resolve_place(value: str) -> URIRef | None:
    """A place concept from its IRI, ISO 3166-1 alpha-2 code or name (English or French): the spreadsheet
    loaders' resolver (:mod:`loaders.resolve`), so every loader reads place names alike."""
    if value.startswith(("http://", "https://")):  # one of ours (the shapes check it is a tsc:Place) or none
        return URIRef(value) if value.startswith(str(PLACE)) and is_iri(value) else None
    return default_resolver().resolve("place", value)


# ---------------------------------------------------------------- I/O shell
def localise_contexts(doc: object, problems: list[str]) -> object:
    """The document with every schema.org ``@context`` replaced by the local one; other remote ones dropped."""
    if isinstance(doc, list):
        return [localise_contexts(item, problems) for item in doc]
    if not isinstance(doc, dict):
        return doc
    out = {}
    for key, value in doc.items():
        if key == "@context":
            items = value if isinstance(value, list) else [value]
            local: list = []
            for item in items:
                if isinstance(item, str) and is_schema_org(item):
                    local.append(LOCAL_CONTEXT)
                elif isinstance(item, str):
                    problems.append(item)
                else:
                    local.append(item)
            out[key] = local if len(local) != 1 else local[0]
        else:
            out[key] = localise_contexts(value, problems)
    return out


def https_schema(graph: Graph) -> Graph:
    """``http://schema.org/…`` IRIs as ``https://schema.org/…`` (schema.org's own preferred form)."""
    def fix(term: Node) -> Node:
        return URIRef("https://" + str(term)[len("http://"):]) if isinstance(term, URIRef) and str(term).startswith(HTTP_SCHEMA) else term

    fixed = Graph()
    for s, p, o in graph:
        fixed.add((fix(s), fix(p), fix(o)))
    return fixed


def load_schemaorg(data: str | bytes, source: str, base_iri: str, default_lang: str = "en") -> Loaded:
    """Read schema.org JSON-LD (a page's block or an ODIS-style document) into our terms."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        return Loaded(Graph(), [Problem(source, f"byte {exc.start}", "the file is not UTF-8 text")])
    remote: list[str] = []
    try:
        doc = localise_contexts(json.loads(text), remote)
    except json.JSONDecodeError as exc:
        return Loaded(Graph(), [Problem(source, f"line {exc.lineno}, column {exc.colno}", f"not valid JSON: {exc.msg}")])
    except RecursionError:
        return Loaded(Graph(), [Problem(source, "document", "not valid JSON: nested too deeply to read")])
    problems = [Problem(source, "@context", "remote JSON-LD context not fetched (only schema.org's is known)", c)
                for c in remote]
    lang = default_lang
    contexts = [d.get("@context") for d in (doc if isinstance(doc, list) else [doc]) if isinstance(d, dict)]
    for context in contexts:
        for item in context if isinstance(context, list) else [context]:
            if isinstance(item, dict) and isinstance(item.get("@language"), str):
                lang = item["@language"]
    try:  # through graph.rdfio, which refuses the remote contexts left (an @import, a scoped context)
        src = parse_rdf(json.dumps(doc), "json-ld", base_iri, source=source)
    except RecursionError:
        return Loaded(Graph(), problems + [Problem(source, "document", "not valid JSON-LD: nested too deeply to read")])
    except RdfReadError as exc:  # classified: the parser's words, which quote the input, are only the value
        reason = str(exc).removeprefix(f"{source}: ").removeprefix("not valid json-ld: ")
        where, message = read_error(exc, "JSON-LD", source)
        return Loaded(Graph(), problems + [Problem(source, where, message, reason)])
    mapper = SchemaOrgMapper(https_schema(src), source, base_iri, lang)
    mapper.run()
    return Loaded(mapper.out, problems + mapper.problems, mapper.records)


def load_schemaorg_file(path: Path | str, base_iri: str, default_lang: str = "en") -> Loaded:
    """:func:`load_schemaorg` on a file."""
    path = Path(path)
    return load_schemaorg(path.read_bytes(), str(path), base_iri, default_lang)


def _short(term: Node) -> str:
    return "schema:" + str(term)[len(str(SCHEMA)):] if str(term).startswith(str(SCHEMA)) else f"<{term}>"


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"
