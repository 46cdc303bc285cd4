"""schema.org JSON-LD for every page: what search engines and generic clients read about a page's subject.

Built from the resource's RDF description (:func:`graph.describe.describe`, which carries the types
and labels of what the resource points to), in the reader's language. ``@context`` is the string
``"https://schema.org/"``: consumers know it; our tests never fetch it.

Mapping (decided against schema.org's definitions):

* ``tsc:Project`` → **Project** (a subtype of Organization): ``name`` (reader's language) and
  ``alternateName`` (other languages), ``description``, ``foundingDate`` / ``dissolutionDate`` from
  ``schema:startDate`` / ``schema:endDate`` (Organization has no startDate/endDate: those belong to
  Event and CreativeWork), ``member`` = the lead (an **OrganizationRole** with ``roleName``, the
  schema.org way to qualify a membership) and the partners, ``funder``, ``funding`` (a MonetaryGrant
  with the budget), ``areaServed`` (places), ``keywords`` (GBF targets and CBD articles as
  **DefinedTerm** in their **DefinedTermSet**, and the free keywords).
* ``tsc:Actor`` → **Organization**, refined by actor type where schema.org has a subtype
  (GovernmentOrganization, ResearchOrganization, CollegeOrUniversity, NGO, FundingAgency,
  Corporation, Consortium): ``name``, ``alternateName`` (acronyms), ``url``, ``email``,
  ``areaServed``, ``identifier``.
* offers → **Offer** (``offeredBy``; ``itemOffered`` a **Service** with the modalities as
  ``serviceType``) and requests → **Demand** (the requester ``seeks`` it, written ``@reverse``):
  schema.org's Offer/Demand pair is the public announcement of supply and need of a service, which is
  what BioBridge records are. GBF targets and articles go in ``category``.
* commitments (strategies, national targets, international commitments) and knowledge resources →
  **CreativeWork** (``genre`` is the class), with ``about`` (targets, articles), ``creator``,
  ``spatialCoverage``, ``temporalCoverage``, ``isPartOf``, ``isBasedOn`` (the project a lesson comes from).
  Not Legislation (strategies are policy documents, not laws) nor HowTo (it needs steps).
* places → **Country** / **AdministrativeArea** with ``containedInPlace``; other concepts (GBF goals,
  targets, indicators, CBD articles, modalities…) → **DefinedTerm** with ``termCode``
  (``skos:notation``) and ``inDefinedTermSet``; a concept scheme and the ontology → **DefinedTermSet**
  with ``hasDefinedTerm``.
"""

from __future__ import annotations

from typing import Iterable

from flask import request
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS
from rdflib.term import Node

from graph.namespaces import ONTOLOGY_IRI, SCHEMA, TSC, VOCAB
from web.i18n import gettext as _
from web.labels import pick_text

CONTEXT = "https://schema.org/"
NAME_PROPERTIES = (SKOS.prefLabel, DCTERMS.title, RDFS.label)

ACTOR_TYPES = {
    "public-agency": "GovernmentOrganization",
    "ministry": "GovernmentOrganization",
    "local-authority": "GovernmentOrganization",
    "research-institute": "ResearchOrganization",
    "university": "CollegeOrUniversity",
    "ngo": "NGO",
    "foundation": "NGO",
    "funder": "FundingAgency",
    "company": "Corporation",
    "network": "Consortium",
}
PLACE_TYPES = {TSC.Country: "Country", TSC.Region: "AdministrativeArea", TSC.OverseasTerritory: "AdministrativeArea"}
COMMITMENTS = (TSC.NationalStrategy, TSC.NationalTarget, TSC.InternationalCommitment, TSC.Commitment)
KNOWLEDGE = (TSC.BestPractice, TSC.LessonLearned, TSC.CaseStudy, TSC.KnowledgeResource)


class Describer:
    """schema.org nodes for the terms of one description graph, in one language."""

    def __init__(self, graph: Graph, lang: str):
        self.graph = graph
        self.lang = lang

    def values(self, subject: Node, *predicates: URIRef) -> list[Node]:
        return [o for p in predicates for o in self.graph.objects(subject, p)]

    def text(self, subject: Node, *predicates: URIRef) -> str | None:
        return pick_text([v for v in self.values(subject, *predicates) if isinstance(v, Literal)], self.lang)

    def name(self, subject: Node) -> str | None:
        return self.text(subject, *NAME_PROPERTIES)

    def other_names(self, subject: Node, chosen: str | None) -> list[str]:
        names = [str(v) for v in self.values(subject, *NAME_PROPERTIES, SKOS.altLabel) if isinstance(v, Literal)]
        return list(dict.fromkeys(n for n in names if n != chosen))

    def linked(self, subject: Node, *predicates: URIRef) -> list[Node]:
        """The IRIs ``subject`` points to, in a stable order (by code, then IRI)."""
        found = {o for o in self.values(subject, *predicates) if isinstance(o, URIRef)}
        return sorted(found, key=lambda o: (str(o).rsplit("/", 2)[0], str(self.graph.value(o, SKOS.notation) or "").zfill(8), str(o)))

    def literal(self, subject: Node, predicate: URIRef) -> str | None:
        value = self.graph.value(subject, predicate)
        return str(value) if value is not None else None

    def ref(self, term: Node, schema_type: str) -> dict:
        node: dict = {"@type": schema_type, "@id": str(term)}
        name = self.name(term)
        if name:
            node["name"] = name
        return node

    def organisation(self, term: Node) -> dict:
        return self.ref(term, "Organization")

    def place(self, term: Node) -> dict:
        types = set(self.graph.objects(term, RDF.type))
        return self.ref(term, next((t for c, t in PLACE_TYPES.items() if c in types), "Place"))

    def defined_term(self, term: Node) -> dict:
        node = self.ref(term, "DefinedTerm")
        code = self.literal(term, SKOS.notation)
        if code:
            node["termCode"] = code
        scheme = self.graph.value(term, SKOS.inScheme)
        if scheme is not None:
            node["inDefinedTermSet"] = self.ref(scheme, "DefinedTermSet")
        return node

    def common(self, subject: URIRef, schema_type: str | list[str]) -> dict:
        node: dict = {"@context": CONTEXT, "@type": schema_type, "@id": str(subject)}
        name = self.name(subject)
        if name:
            node["name"] = name
        others = self.other_names(subject, name)
        if others:
            node["alternateName"] = others
        description = self.text(subject, DCTERMS.description, SKOS.definition, RDFS.comment)
        if description:
            node["description"] = description
        url = self.graph.value(subject, SCHEMA.url)
        if url is not None:
            node["url"] = str(url)
        identifiers = [str(v) for v in self.values(subject, DCTERMS.identifier, SKOS.notation)]
        if identifiers:
            node["identifier"] = identifiers[0] if len(identifiers) == 1 else identifiers
        same = [str(v) for v in self.values(subject, OWL.sameAs, SKOS.exactMatch) if isinstance(v, URIRef)]
        if same:
            node["sameAs"] = same
        return node

    def keywords(self, subject: Node) -> list:
        terms = [self.defined_term(t) for t in self.linked(subject, TSC.contributesToTarget, TSC.implementsArticle)]
        words = [str(w) for w in self.values(subject, DCTERMS.subject) if isinstance(w, Literal)
                 and (w.language or self.lang) == self.lang]
        return terms + words

    def put(self, node: dict, key: str, items: Iterable) -> None:
        items = list(items)
        if items:
            node[key] = items


def _date(value: Node | None) -> str | None:
    return str(value) if value is not None else None


def resource_jsonld(graph: Graph, subject: URIRef, lang: str) -> dict:
    """The schema.org JSON-LD of ``subject`` from its description ``graph``."""
    d = Describer(graph, lang)
    types = set(graph.objects(subject, RDF.type))
    if str(subject) == ONTOLOGY_IRI or OWL.Ontology in types:
        return _ontology(d, subject)
    if TSC.Project in types:
        return _project(d, subject)
    if TSC.Actor in types:
        return _actor(d, subject)
    if TSC.CooperationOffer in types or TSC.CooperationRequest in types:
        return _cooperation(d, subject, offer=TSC.CooperationOffer in types)
    if types & set(COMMITMENTS + KNOWLEDGE):
        return _creative_work(d, subject, types)
    if types & set(PLACE_TYPES) or TSC.Place in types:
        return _place(d, subject, types)
    if SKOS.ConceptScheme in types:
        return _scheme(d, subject)
    if SKOS.Concept in types or str(subject).startswith(str(VOCAB)):
        node = d.common(subject, "DefinedTerm")
        node.pop("identifier", None)
        code = d.literal(subject, SKOS.notation)
        if code:
            node["termCode"] = code
        scheme = graph.value(subject, SKOS.inScheme)
        if scheme is not None:
            node["inDefinedTermSet"] = d.ref(scheme, "DefinedTermSet")
        return node
    return d.common(subject, "Thing")


def _project(d: Describer, s: URIRef) -> dict:
    node = d.common(s, "Project")
    start, end = d.graph.value(s, SCHEMA.startDate), d.graph.value(s, SCHEMA.endDate)
    if start is not None:
        node["foundingDate"] = _date(start)
    if end is not None:
        node["dissolutionDate"] = _date(end)
    members: list = [
        {"@type": "OrganizationRole", "roleName": _("lead organisation"), "member": d.organisation(lead)}
        for lead in d.linked(s, TSC.leadOrganisation)
    ]
    members += [d.organisation(p) for p in d.linked(s, TSC.partner)]
    d.put(node, "member", members)
    d.put(node, "funder", (d.organisation(f) for f in d.linked(s, TSC.funder)))
    budget = d.graph.value(s, TSC.budget)
    if budget is not None and d.graph.value(budget, SCHEMA.value) is not None:
        amount = {"@type": "MonetaryAmount", "value": str(d.graph.value(budget, SCHEMA.value))}
        if d.graph.value(budget, SCHEMA.currency) is not None:
            amount["currency"] = str(d.graph.value(budget, SCHEMA.currency))
        node["funding"] = {"@type": "MonetaryGrant", "amount": amount}
    d.put(node, "areaServed", (d.place(p) for p in d.linked(s, DCTERMS.spatial)))
    d.put(node, "keywords", d.keywords(s))
    d.put(node, "email", (str(e) for e in d.values(s, SCHEMA.email)))
    return node


def _actor(d: Describer, s: URIRef) -> dict:
    kinds = [str(t).rsplit("/", 1)[-1] for t in d.linked(s, TSC.actorType)]
    types = list(dict.fromkeys(ACTOR_TYPES[k] for k in kinds if k in ACTOR_TYPES)) or ["Organization"]
    node = d.common(s, types[0] if len(types) == 1 else types)
    d.put(node, "email", (str(e) for e in d.values(s, SCHEMA.email)))
    d.put(node, "areaServed", (d.place(p) for p in d.linked(s, DCTERMS.spatial)))
    return node


def _cooperation(d: Describer, s: URIRef, offer: bool) -> dict:
    node = d.common(s, "Offer" if offer else "Demand")
    service: dict = {"@type": "Service"}
    if "name" in node:
        service["name"] = node["name"]
    d.put(service, "serviceType", (d.name(m) or str(m) for m in d.linked(s, TSC.modality)))
    node["itemOffered"] = service
    if offer:
        d.put(node, "offeredBy", (d.organisation(a) for a in d.linked(s, TSC.offeredBy)))
    else:
        requesters = [d.organisation(a) for a in d.linked(s, TSC.requestedBy)]
        if requesters:
            node["@reverse"] = {"seeks": requesters}
    d.put(node, "areaServed", (d.place(p) for p in d.linked(s, DCTERMS.spatial)))
    d.put(node, "category", (d.defined_term(t) for t in d.linked(s, TSC.contributesToTarget, TSC.implementsArticle)))
    created = d.graph.value(s, DCTERMS.created)
    if created is not None:
        node["validFrom"] = _date(created)
    return node


def _creative_work(d: Describer, s: URIRef, types: set) -> dict:
    node = d.common(s, "CreativeWork")
    kind = next((t for t in COMMITMENTS + KNOWLEDGE if t in types), None)
    if kind is not None:
        node["genre"] = str(kind)
    d.put(node, "about", (d.defined_term(t) for t in d.linked(s, TSC.contributesToTarget, TSC.implementsArticle)))
    d.put(node, "keywords", (str(w) for w in d.values(s, DCTERMS.subject)
                             if isinstance(w, Literal) and (w.language or d.lang) == d.lang))
    d.put(node, "creator", (d.organisation(a) for a in d.linked(s, DCTERMS.creator, TSC.leadOrganisation)))
    d.put(node, "spatialCoverage", (d.place(p) for p in d.linked(s, DCTERMS.spatial)))
    d.put(node, "isPartOf", (d.ref(w, "CreativeWork") for w in d.linked(s, DCTERMS.isPartOf)))
    d.put(node, "isBasedOn", (d.ref(p, "Project") for p in d.linked(s, PROV.wasDerivedFrom)))
    start, end = d.graph.value(s, SCHEMA.startDate), d.graph.value(s, SCHEMA.endDate)
    if start is not None or end is not None:
        node["temporalCoverage"] = f"{_date(start) or '..'}/{_date(end) or '..'}"
    issued = d.graph.value(s, DCTERMS.issued)
    if issued is not None:
        node["datePublished"] = _date(issued)
    d.put(node, "inLanguage", (str(v) for v in d.values(s, DCTERMS.language)))
    return node


def _place(d: Describer, s: URIRef, types: set) -> dict:
    node = d.common(s, next((t for c, t in PLACE_TYPES.items() if c in types), "Place"))
    d.put(node, "containedInPlace", (d.place(b) for b in d.values(s, SKOS.broader)))
    return node


def _scheme(d: Describer, s: URIRef) -> dict:
    node = d.common(s, "DefinedTermSet")
    concepts = sorted(set(d.graph.subjects(SKOS.inScheme, s)), key=str)
    d.put(node, "hasDefinedTerm", (_short_term(d, c) for c in concepts))
    return node


def _ontology(d: Describer, s: URIRef) -> dict:
    node = d.common(s, "DefinedTermSet")
    version = d.literal(s, OWL.versionInfo)
    if version:
        node["version"] = version
    licence = d.graph.value(s, DCTERMS.license)
    if licence is not None:
        node["license"] = str(licence)
    terms = sorted({t for t in d.graph.subjects(RDFS.label, None) if str(t).startswith(str(TSC))}, key=str)
    d.put(node, "hasDefinedTerm", (_short_term(d, t) for t in terms))
    return node


def _short_term(d: Describer, term: Node) -> dict:
    node = d.ref(term, "DefinedTerm")
    code = d.literal(term, SKOS.notation) or (str(term).split("#", 1)[1] if "#" in str(term) else None)
    if code:
        node["termCode"] = code
    return node


#: Schemes' and terms' JSON-LD a reader keeps across writes that did not change what they were made of.
KEPT_JSONLD = 256


def jsonld_of(iri: URIRef) -> dict:
    """The schema.org JSON-LD of ``iri`` as its own page would embed it (for section pages about a scheme).

    Kept across writes that changed none of the IRIs its description holds nor any scheme's members
    (:class:`web.context.SubjectTable`): the GBF scheme's took 70 % of ``/gbf``, which every harvest of a project
    with a target makes the readers compute again."""
    from graph.describe import describe, description_reads
    from web import context
    from web.i18n import current_lang

    lang = current_lang()

    def compute() -> context.About:
        graph = describe(context.store(), iri, context.settings().ontology_graph)
        return context.About(resource_jsonld(graph, iri, lang), *description_reads(graph, iri))

    if str(iri) == ONTOLOGY_IRI:  # the ontology document reads every term of the ontology graph, new ones too
        return compute().value  # type: ignore[return-value]
    return context.subject_table("jsonld", KEPT_JSONLD).get((iri, lang), compute)  # type: ignore[return-value]


def webpage_jsonld() -> dict:
    """For pages with no subject of their own (the analysts' tools): a WebPage that is part of the dataset."""
    from flask import request

    from web import context

    return {"@context": CONTEXT, "@type": "WebPage", "url": request.url,
            "isPartOf": {"@type": "Dataset", "@id": context.settings().base_iri + "dataset",
                         "name": _("Technical and scientific cooperation for biodiversity")}}


def item_list_jsonld(name: str, items: Iterable[tuple[Node, str]], total: int | None = None, start: int = 0) -> dict:
    """A listing page as a schema.org CollectionPage whose ItemList holds this page's items
    (``(iri, name)`` pairs) at their positions in the whole selection (``start`` = items before this page)."""
    from flask import request

    from web.links import href

    root = request.host_url.rstrip("/")
    elements = [{"@type": "ListItem", "position": start + n, "url": root + href(URIRef(str(iri))), "name": label}
                for n, (iri, label) in enumerate(items, start=1)]
    item_list: dict = {"@type": "ItemList", "itemListElement": elements}
    if total is not None:
        item_list["numberOfItems"] = total
    return {"@context": CONTEXT, "@type": "CollectionPage", "name": name, "mainEntity": item_list}


def dataset_jsonld() -> dict:
    """The schema.org Dataset of the whole clearing-house (for the home page): downloads and endpoint."""
    from web import context
    from web.dumps import DUMPS

    root = request.url_root.rstrip("/")
    return {
        "@context": CONTEXT,
        "@type": "Dataset",
        "@id": context.settings().base_iri + "dataset",
        "name": _("Technical and scientific cooperation for biodiversity"),
        "description": _(
            "Biodiversity actors, projects contributing to the Kunming-Montreal Global Biodiversity Framework, "
            "commitments, cooperation offers and requests, and shared knowledge of this clearing-house, as linked data."
        ),
        "url": root + "/",
        "isAccessibleForFree": True,
        "inLanguage": list(context.settings().languages),
        "keywords": ["biodiversity", "Convention on Biological Diversity", "GBF", "technical and scientific cooperation"],
        "distribution": [
            {"@type": "DataDownload", "name": dump.name, "contentUrl": f"{root}/dumps/{dump.name}",
             "encodingFormat": dump.media_type, "description": _("gzip-compressed")}
            for dump in DUMPS
        ],
        "potentialAction": {
            "@type": "SearchAction",
            "target": {"@type": "EntryPoint", "urlTemplate": root + "/sparql?query={query}",
                       "contentType": ["application/sparql-results+json", "text/turtle"]},
            "query-input": "required name=query",
        },
    }
