"""Submissions and moderation (graph/submissions.py) on a real store: submitting, superseding, approving,
rejecting and editing never lose data. Every step checks the graphs themselves (triples, fingerprints),
not only what the functions answer."""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, RDFS, SH, SKOS, XSD

from graph import submissions as subs
from graph.loading import setup_store
from graph.namespaces import GBF, SCHEMA, TSC, VOCAB
from graph.reports import validation_graph
from graph.settings import ROOT
from graph.store.view import PublicView
from graph.submissions import SubmissionError, SubmissionRefused, Submitter
from graph.validation import Validator
from tests.conftest import BASE

OFB = URIRef(BASE + "id/actor/ofb")
BIODIVERSA = URIRef(BASE + "id/project/biodiversa-plus")
ADA = Submitter("Ada Lovelace", "ada@example.org")
GRACE = Submitter("Grace Hopper", "grace+chm@example.org")


@pytest.fixture
def ready(store, settings, validator):
    """A store as `tscgraph setup` leaves it: ontology and the bundled records in the local graph."""
    setup_store(store, settings, validator)
    return store


def project(slug: str, title: str = "Example: wetlands", budget: str | None = "1500.5", **extra) -> Graph:
    g = Graph()
    iri = URIRef(BASE + "id/project/" + slug)
    g.add((iri, RDF.type, TSC.Project))
    g.add((iri, DCTERMS.title, Literal(title, lang="en")))
    g.add((iri, DCTERMS.title, Literal(title.replace("Example:", "Exemple :"), lang="fr")))
    g.add((iri, DCTERMS.description, Literal("An illustrative project.", lang="en")))
    g.add((iri, TSC.leadOrganisation, OFB))
    g.add((iri, TSC.contributesToTarget, GBF["target/3"]))
    if budget is not None:
        amount = BNode()
        g.add((iri, TSC.budget, amount))
        g.add((amount, RDF.type, SCHEMA.MonetaryAmount))
        g.add((amount, SCHEMA.value, Literal(budget, datatype=XSD.decimal)))
        g.add((amount, SCHEMA.currency, Literal("EUR")))
    for p, o in extra.items():
        g.add((iri, SCHEMA[p], o))
    return g


def graph_of(triples) -> Graph:
    g = Graph()
    for triple in triples:
        g.add(triple)
    return g


def record(slug: str) -> URIRef:
    return URIRef(BASE + "id/project/" + slug)


def description(graph: Graph, node) -> set:
    """The triples of ``node`` and of the blank nodes it reaches (its budget…)."""
    out, todo, seen = set(), [node], set()
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        for p, o in graph.predicate_objects(n):
            out.add((n, p, o))
            if isinstance(o, BNode):
                todo.append(o)
    return out


def local(store, settings) -> Graph:
    return store.read_graph(settings.local_graph)


def moderation(store, settings) -> Graph:
    return store.read_graph(settings.moderation_graph)


def statuses(submission) -> list[str]:
    return [e.status for e in submission.history]


def unchanged_except(before: dict, after: dict, graphs: set[str]) -> bool:
    keys = (set(before) | set(after)) - graphs
    return all(before.get(k) == after.get(k) for k in keys)


# ------------------------------------------------------------------ submit


def test_submit_stores_the_content_and_its_provenance_and_publishes_nothing(ready, settings, validator):
    before = ready.fingerprints()
    content = project("sub-a")
    sub = subs.submit(ready, validator, settings, content, ADA, "form")

    assert sub.status == "pending" and sub.channel == "form" and sub.submitter == ADA
    assert sub.records == (record("sub-a"),) and sub.edits is None
    assert sub.iri == URIRef(f"{BASE}id/submission/{sub.id}") and sub.graph == settings.submission_graph(sub.id)
    assert len(sub.id) >= 16 and set(sub.id) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
    assert sub.created.tzinfo is not None and abs((datetime.now(timezone.utc) - sub.created).total_seconds()) < 600
    assert [(e.status, e.at, e.by, e.reason) for e in sub.history] == [("pending", sub.created, "Ada Lovelace", None)]
    assert subs.get(ready, settings, sub.id) == sub

    assert isomorphic(ready.read_graph(sub.graph), content)
    assert isomorphic(subs.content(ready, settings, sub.id), content)
    after = ready.fingerprints()
    for graph in (settings.local_graph, settings.log_graph, settings.ontology_graph):
        assert after[graph] == before[graph], graph
    assert set(after) - set(before) == {sub.graph, settings.moderation_graph}

    m = moderation(ready, settings)
    agent = m.value(sub.iri, PROV.wasAttributedTo)
    assert (sub.iri, RDF.type, TSC.Submission) in m
    assert (sub.iri, TSC.contentGraph, URIRef(sub.graph)) in m
    assert (sub.iri, TSC.channel, Literal("form")) in m
    assert (sub.iri, TSC.submissionStatus, subs.status_concept("pending")) in m
    assert (sub.iri, TSC.aboutRecord, record("sub-a")) in m
    assert m.value(sub.iri, DCTERMS.created).datatype == XSD.dateTime
    assert (agent, RDF.type, PROV.Agent) in m and m.value(agent, FOAF.name) == Literal("Ada Lovelace")
    assert m.value(agent, FOAF.mbox) == URIRef("mailto:ada@example.org")
    event = m.value(sub.iri, PROV.wasGeneratedBy)
    assert (sub.iri, TSC.moderationEvent, event) in m and (event, RDF.type, TSC.ModerationEvent) in m
    assert (event, PROV.wasAssociatedWith, agent) in m


def test_submission_and_submitter_are_invisible_to_the_public(ready, settings, validator):
    sub = subs.submit(ready, validator, settings, project("hidden", title="Example: hidden marsh"), ADA, "api")
    public = PublicView(ready, settings.is_public_graph)
    names = {str(g) for g in public.graph_names()}
    assert sub.graph not in names and settings.moderation_graph not in names and settings.local_graph in names
    for term in (record("hidden"), sub.iri, URIRef("mailto:ada@example.org")):
        for pattern in ("?t ?p ?o", "?s ?p ?t"):
            assert not public.query(f"ASK {{ {{ {pattern} }} UNION {{ GRAPH ?g {{ {pattern} }} }} }}",
                                    bindings={"t": term}).boolean, (term, pattern)
    assert not public.query('ASK { { ?s ?p "Example: hidden marsh"@en } UNION { GRAPH ?g { ?s ?p "Example: hidden marsh"@en } } }').boolean
    assert ready.query('ASK { ?s ?p "Example: hidden marsh"@en }').boolean  # the raw store does hold it


def test_warnings_do_not_refuse_a_submission(ready, settings, validator):
    bare = Graph()
    bare.add((record("bare"), RDF.type, TSC.Project))
    bare.add((record("bare"), DCTERMS.title, Literal("Example: bare", lang="en")))
    bare.add((record("bare"), TSC.leadOrganisation, OFB))
    assert validator.validate(bare).warnings > 0
    assert subs.submit(ready, validator, settings, bare, ADA, "form").status == "pending"


def test_someone_elses_submission_of_the_same_record_is_not_superseded_both_wait(ready, settings, validator):
    """Issue 23, F6: a second submission about a record used to cancel the first, whoever sent it. Now both
    wait, and each lists the other as a conflict — even when the addresses match (an address is typed by anyone)."""
    first = subs.submit(ready, validator, settings, project("contested", title="Example: first"), ADA, "form")
    before = moderation(ready, settings)
    second = subs.submit(ready, validator, settings, project("contested", title="Example: second"), GRACE, "api")
    third = subs.submit(ready, validator, settings, project("contested", title="Example: third"), ADA, "form")
    other = subs.submit(ready, validator, settings, project("elsewhere"), ADA, "form")
    first, second, third = (subs.get(ready, settings, s.id) for s in (first, second, third))
    assert [s.status for s in (first, second, third)] == ["pending"] * 3
    assert statuses(first) == ["pending"]
    assert set(before) <= set(moderation(ready, settings))  # nothing of the first was changed
    assert [c.id for c in subs.conflicts(ready, settings, first)] == [third.id, second.id]
    assert [c.id for c in subs.conflicts(ready, settings, second)] == [third.id, first.id]
    assert subs.conflicts(ready, settings, other) == []
    subs.approve(ready, validator, settings, second.id, "editor")  # the editor chose one: the others still wait
    assert [c.id for c in subs.conflicts(ready, settings, first)] == [third.id]


def test_the_sender_supersedes_their_own_pending_submission_by_naming_it(ready, settings, validator):
    first_content, second_content = project("twice", title="Example: first"), project("twice", title="Example: second")
    first = subs.submit(ready, validator, settings, first_content, ADA, "form")
    other = subs.submit(ready, validator, settings, project("elsewhere"), ADA, "form")
    second = subs.submit(ready, validator, settings, second_content, Submitter("Ada L.", "ADA@example.org"), "api",
                         supersedes=first.id)

    first = subs.get(ready, settings, first.id)
    assert first.status == "superseded" and second.status == "pending"
    assert statuses(first) == ["pending", "superseded"]
    assert second.id in first.history[-1].reason and first.history[-1].by is None
    assert first.history[-1].at == second.created
    assert subs.get(ready, settings, other.id).status == "pending"  # another record: untouched
    assert isomorphic(ready.read_graph(first.graph), first_content)  # both contents kept
    assert isomorphic(ready.read_graph(second.graph), second_content)
    m = moderation(ready, settings)
    assert (first.iri, DCTERMS.isReplacedBy, second.iri) in m
    assert m.value(first.iri, PROV.invalidatedAtTime) is not None
    assert list(m.objects(first.iri, TSC.submissionStatus)) == [subs.status_concept("superseded")]
    assert [s.id for s in subs.list_submissions(ready, settings)] == [second.id, other.id, first.id]
    assert [s.id for s in subs.list_submissions(ready, settings, "pending")] == [second.id, other.id]
    assert [s.id for s in subs.list_submissions(ready, settings, "superseded")] == [first.id]
    assert subs.conflicts(ready, settings, second) == []
    with pytest.raises(SubmissionError):
        subs.approve(ready, validator, settings, first.id, "editor")


def test_naming_a_submission_supersedes_it_only_if_pending_of_the_same_records_and_the_same_address(
        ready, settings, validator):
    ada = subs.submit(ready, validator, settings, project("mine"), ADA, "form")
    two = graph_of(list(project("pair-a")) + list(project("pair-b")))
    pair = subs.submit(ready, validator, settings, two, ADA, "api")
    decided = subs.submit(ready, validator, settings, project("decided"), ADA, "form")
    subs.reject(ready, settings, decided.id, "editor", "no")
    before = ready.fingerprints()
    for content, submitter, named in [
        (project("mine"), GRACE, ada.id),  # the id alone, from another address: a leaked status link
        (project("pair-a"), ADA, pair.id),  # would drop pair-b, which this one does not hold
        (project("decided"), ADA, decided.id),  # no longer pending
        (project("mine"), ADA, "unknown-id"), (project("mine"), ADA, "../bad id"),
    ]:
        with pytest.raises(subs.SupersedeRefused):
            subs.submit(ready, validator, settings, content, submitter, "api", supersedes=named)
    assert ready.fingerprints() == before  # nothing written
    assert subs.get(ready, settings, ada.id).status == subs.get(ready, settings, pair.id).status == "pending"
    both = subs.submit(ready, validator, settings, two, ADA, "api", supersedes=pair.id)  # the same records, or more
    assert subs.get(ready, settings, pair.id).status == "superseded" and both.status == "pending"


# ------------------------------------------------------------------ approve and reject


def test_approve_publishes_exactly_the_submitted_triples(ready, settings, validator):
    before = local(ready, settings)
    sub = subs.submit(ready, validator, settings, project("approved"), ADA, "form")
    done = subs.approve(ready, validator, settings, sub.id, "editor-1")

    after = local(ready, settings)
    submitted = set(ready.read_graph(sub.graph))  # as stored: the budget's blank node is the store's own
    assert description(after, record("approved")) == submitted  # the same blank node, its triples included
    assert any(isinstance(o, BNode) for _s, _p, o in submitted)
    assert set(after) == set(before) | submitted and len(after) == len(before) + len(submitted)
    assert isomorphic(ready.read_graph(sub.graph), project("approved"))  # the submission graph stays

    assert done.status == "approved" and statuses(done) == ["pending", "approved"]
    assert done.history[-1].by == "editor-1" and done.history[-1].reason is None
    logged = ready.select("SELECT ?log ?r ?d WHERE { GRAPH ?log { ?r <http://purl.org/dc/terms/dateAccepted> ?d } }",
                          bindings={"log": URIRef(settings.log_graph), "r": record("approved")})
    assert len(logged) == 1
    m = moderation(ready, settings)
    event = next(e for e in m.objects(sub.iri, TSC.moderationEvent)
                 if (e, TSC.submissionStatus, subs.status_concept("approved")) in m)
    assert (event, PROV.used, sub.iri) in m
    editor = m.value(event, PROV.wasAssociatedWith)
    assert m.value(editor, FOAF.name) == Literal("editor-1") and (editor, RDF.type, PROV.Agent) in m
    # the report of the approval is public data about the record; the submission's is private
    verdict = ready.select("SELECT ?g ?r ?v WHERE { GRAPH ?g { ?r <https://w3id.org/tscgraph/ontology#conformance> ?v } }",
                           bindings={"g": URIRef(validation_graph(settings)), "r": record("approved")})
    assert [str(r["v"]).rsplit("/", 1)[-1] for r in verdict] == ["conforms"]


def test_reject_publishes_nothing_and_keeps_the_content_with_its_reason(ready, settings, validator):
    content = project("rejected")
    sub = subs.submit(ready, validator, settings, content, ADA, "form")
    before = ready.fingerprints()
    done = subs.reject(ready, settings, sub.id, "editor-2", 'Duplicate of "wetlands" <b>')
    after = ready.fingerprints()
    assert unchanged_except(before, after, {settings.moderation_graph})
    assert not ready.query("ASK { GRAPH ?g { ?r ?p ?o } }",
                           bindings={"g": URIRef(settings.local_graph), "r": record("rejected")}).boolean
    assert done.status == "rejected" and statuses(done) == ["pending", "rejected"]
    assert done.history[-1].by == "editor-2" and done.history[-1].reason == 'Duplicate of "wetlands" <b>'
    assert isomorphic(ready.read_graph(sub.graph), content)
    with pytest.raises(SubmissionError):
        subs.reject(ready, settings, sub.id, "editor-2", "  ")  # rejected already; and no reason


def test_a_decided_submission_cannot_be_decided_again(ready, settings, validator):
    approved = subs.submit(ready, validator, settings, project("decided-a"), ADA, "form")
    rejected = subs.submit(ready, validator, settings, project("decided-r"), ADA, "form")
    subs.approve(ready, validator, settings, approved.id, "ed")
    subs.reject(ready, settings, rejected.id, "ed", "not relevant")
    before = ready.fingerprints()
    for attempt in (
        lambda: subs.approve(ready, validator, settings, approved.id, "ed"),
        lambda: subs.reject(ready, settings, approved.id, "ed", "too late"),
        lambda: subs.approve(ready, validator, settings, rejected.id, "ed"),
        lambda: subs.reject(ready, settings, rejected.id, "ed", "again"),
    ):
        with pytest.raises(SubmissionError, match="only a pending submission"):
            attempt()
    assert ready.fingerprints() == before
    assert statuses(subs.get(ready, settings, approved.id)) == ["pending", "approved"]
    assert statuses(subs.get(ready, settings, rejected.id)) == ["pending", "rejected"]


def test_two_editors_approving_at_once_publish_once(ready, settings, validator):
    sub = subs.submit(ready, validator, settings, project("race"), ADA, "form")
    outcomes: list[str] = []

    def decide(editor: str) -> None:
        try:
            subs.approve(ready, validator, settings, sub.id, editor)
            outcomes.append("approved")
        except SubmissionError:
            outcomes.append("refused")

    threads = [threading.Thread(target=decide, args=(f"ed-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["approved", "refused"]
    assert statuses(subs.get(ready, settings, sub.id)) == ["pending", "approved"]
    assert description(local(ready, settings), record("race")) == set(ready.read_graph(sub.graph))


def test_unknown_or_malformed_ids(ready, settings, validator):
    for bad in ("nope", "../graph/local", "a b", "", "x" * 200):
        assert subs.get(ready, settings, bad) is None
        with pytest.raises(SubmissionError):
            subs.approve(ready, validator, settings, bad, "ed")
        with pytest.raises(SubmissionError):
            subs.reject(ready, settings, bad, "ed", "why")
        with pytest.raises(SubmissionError):
            subs.content(ready, settings, bad)


# ------------------------------------------------------------------ edits


def test_an_approved_edit_replaces_the_published_description(ready, settings, validator):
    before = local(ready, settings)
    old = description(before, BIODIVERSA)
    old_budget = before.value(BIODIVERSA, TSC.budget)
    assert isinstance(old_budget, BNode) and len(old) > 20
    edit = project("unused", title="Biodiversa+, edited", budget="900000000")
    edit = graph_of([(BIODIVERSA if s == record("unused") else s, p, o) for s, p, o in edit])
    sub = subs.submit(ready, validator, settings, edit, GRACE, "form", edits=BIODIVERSA)
    assert sub.edits == BIODIVERSA and sub.records == (BIODIVERSA,)
    assert set(local(ready, settings)) == set(before)  # nothing published yet

    subs.approve(ready, validator, settings, sub.id, "ed")
    after = local(ready, settings)
    new = description(after, BIODIVERSA)
    assert new == set(ready.read_graph(sub.graph))
    assert set(after) - new == set(before) - old  # every other record untouched, the old budget gone
    assert len(after) == len(before) - len(old) + len(new)
    assert not list(after.triples((old_budget, None, None)))
    assert (BIODIVERSA, DCTERMS.title, Literal("Biodiversa+, edited", lang="en")) in after
    assert not list(after.triples((BIODIVERSA, DCTERMS.title, Literal("Biodiversa+, le partenariat européen pour la biodiversité", lang="fr"))))
    assert statuses(subs.get(ready, settings, sub.id)) == ["pending", "approved"]


def test_submit_then_edit_then_edit_again_keeps_every_version(ready, settings, validator):
    v1 = subs.submit(ready, validator, settings, project("versions", title="Example: v1", budget="10"), ADA, "form")
    subs.approve(ready, validator, settings, v1.id, "ed")
    v2 = subs.submit(ready, validator, settings, project("versions", title="Example: v2", budget="20"), ADA, "form",
                     edits=record("versions"))
    v3 = subs.submit(ready, validator, settings, project("versions", title="Example: v3", budget=None), ADA, "api",
                     edits=record("versions"), supersedes=v2.id)
    assert subs.get(ready, settings, v2.id).status == "superseded"
    subs.approve(ready, validator, settings, v3.id, "ed")
    published = description(local(ready, settings), record("versions"))
    assert published == set(ready.read_graph(v3.graph))
    assert not any(p == TSC.budget for _s, p, _o in published)
    assert not ready.query("ASK { GRAPH ?g { ?b <https://schema.org/value> ?v } }",
                           bindings={"g": URIRef(settings.local_graph), "v": Literal("10", datatype=XSD.decimal)}).boolean
    for version in (v1, v2, v3):  # every version is kept, private
        assert ready.count(version.graph) > 0
    assert [statuses(subs.get(ready, settings, v.id)) for v in (v1, v2, v3)] == [
        ["pending", "approved"], ["pending", "superseded"], ["pending", "approved"]]


def test_approve_removes_blank_nodes_two_levels_deep(ready, settings, validator):
    iri = record("nested")
    amount, inner = BNode(), BNode()
    ready.add_graphs({settings.local_graph: graph_of([
        (iri, RDF.type, TSC.Project), (iri, DCTERMS.title, Literal("Example: nested", lang="en")),
        (iri, TSC.leadOrganisation, OFB), (iri, TSC.budget, amount), (amount, SCHEMA.value, Literal("5", datatype=XSD.decimal)),
        (amount, SCHEMA.currency, Literal("EUR")), (amount, RDFS.seeAlso, inner), (inner, RDFS.label, Literal("deep")),
    ])})
    before = len(local(ready, settings))
    sub = subs.submit(ready, validator, settings, project("nested", budget=None), ADA, "form", edits=iri)
    subs.approve(ready, validator, settings, sub.id, "ed")
    after = local(ready, settings)
    assert not list(after.triples((None, RDFS.label, Literal("deep"))))
    assert len(after) == before - 8 + len(project("nested", budget=None))


def test_edit_rules(ready, settings, validator):
    before = ready.fingerprints()
    with pytest.raises(SubmissionError, match="must describe that record"):
        subs.submit(ready, validator, settings, project("not-it"), ADA, "form", edits=BIODIVERSA)
    with pytest.raises(SubmissionError, match="not a published record"):
        subs.submit(ready, validator, settings, project("new-one"), ADA, "form", edits=record("new-one"))
    biodiversa = graph_of([(BIODIVERSA if s == record("x") else s, p, o) for s, p, o in project("x")])
    with pytest.raises(SubmissionRefused) as refused:  # a published record changes only through an edit
        subs.submit(ready, validator, settings, biodiversa, ADA, "form")
    assert [r.focus_node for r in refused.value.report.results if r.severity == SH.Violation] == [BIODIVERSA]
    assert ready.fingerprints() == before


# ------------------------------------------------------------------ refusals: nothing written


def refused(store, settings, validator, content: Graph, **kwargs) -> SubmissionRefused:
    before = store.fingerprints()
    with pytest.raises(SubmissionRefused) as caught:
        subs.submit(store, validator, settings, content, ADA, "form", **kwargs)
    assert store.fingerprints() == before, "a refused submission wrote something"
    report = caught.value.report
    assert not report.conforms and report.violations >= 1
    assert all(set(r.messages) >= {"en", "fr"} for r in report.results if r.source_shape is None)
    return caught.value


def test_non_conforming_content_is_refused_with_its_report(ready, settings, validator):
    content = project("bad")
    content.remove((record("bad"), TSC.leadOrganisation, None))
    content.add((record("bad"), TSC.contributesToTarget, URIRef(VOCAB + "gbf/target/24")))
    error = refused(ready, settings, validator, content)
    paths = {r.path for r in error.report.results if r.severity == SH.Violation}
    assert {TSC.leadOrganisation, TSC.contributesToTarget} <= paths
    assert "violation" in error.report.to_text("en") and "violation" in error.report.to_text("fr")


def test_content_about_the_vocabularies_is_refused(ready, settings, validator):
    content = project("gbf-rewrite")
    content.add((GBF["target/3"], SKOS.prefLabel, Literal("Rewritten", lang="en")))
    error = refused(ready, settings, validator, content)
    focus = [r for r in error.report.results if r.focus_node == GBF["target/3"]]
    assert focus and "ontology" in focus[0].message("en") and "ontologie" in focus[0].message("fr")


@pytest.mark.parametrize("case", ["commitment", "untyped-iri", "outside-base", "no-record", "orphan-blank", "bad-iri"])
def test_content_breaking_the_submission_rules_is_refused(ready, settings, validator, case):
    content = project("rules")
    if case == "commitment":
        iri = URIRef(BASE + "id/commitment/mine")
        content += [(iri, RDF.type, TSC.NationalTarget), (iri, DCTERMS.title, Literal("Mine", lang="en")),
                    (iri, DCTERMS.spatial, URIRef(VOCAB + "place/FR"))]
    elif case == "untyped-iri":  # would slip a label into a published actor
        content.add((OFB, SKOS.altLabel, Literal("Hijacked", lang="en")))
    elif case == "outside-base":
        content = graph_of([(URIRef("https://elsewhere.example/p") if s == record("rules") else s, p, o)
                             for s, p, o in content])
    elif case == "no-record":
        content = graph_of([(URIRef(BASE + "id/project/untyped"), DCTERMS.title, Literal("Untyped", lang="en"))])
    elif case == "orphan-blank":
        content.add((BNode(), RDFS.label, Literal("floating")))
    elif case == "bad-iri":
        content.add((record("rules"), SCHEMA.url, URIRef("https://example.org/a b>{x}")))
    refused(ready, settings, validator, content)


def test_bad_arguments(ready, settings, validator):
    before = ready.fingerprints()
    with pytest.raises(SubmissionError, match="channel"):
        subs.submit(ready, validator, settings, project("args"), ADA, "email")
    with pytest.raises(SubmissionError, match="e-mail"):
        subs.submit(ready, validator, settings, project("args"), Submitter("X", "not an address"), "form")
    with pytest.raises(SubmissionError, match="status"):
        subs.list_submissions(ready, settings, "lost")
    assert ready.fingerprints() == before
    anonymous = subs.submit(ready, validator, settings, project("args"), Submitter("Partner system", ""), "api")
    assert anonymous.submitter == Submitter("Partner system", "")


def test_text_is_stored_verbatim_never_as_sparql(ready, settings, validator):
    nasty = 'Example: "quoted" \\ back } ; DROP ALL ; <script>alert(1)</script>\nline two\r\n\ttab'
    content = project("nasty", title=nasty)
    sub = subs.submit(ready, validator, settings, content, Submitter('O"Brien } ;\nDROP ALL', "o'brien@example.org"), "form")
    assert subs.get(ready, settings, sub.id).submitter == Submitter('O"Brien } ;\nDROP ALL', "o'brien@example.org")
    assert isomorphic(ready.read_graph(sub.graph), content)
    done = subs.reject(ready, settings, sub.id, 'ed"}', "} ; DROP ALL ; #")
    assert done.history[-1].reason == "} ; DROP ALL ; #" and done.history[-1].by == 'ed"}'
    assert ready.count(settings.local_graph) > 1000


def test_approve_refuses_content_the_shapes_no_longer_accept(ready, settings, validator):
    sub = subs.submit(ready, validator, settings, project("stricter"), ADA, "form")
    stricter = Graph() + validator.shapes
    shape = URIRef("https://w3id.org/tscgraph/shapes#Test-url-required")
    stricter += [(shape, RDF.type, SH.NodeShape), (shape, SH.targetClass, TSC.Project), (shape, SH.property, BNode("u"))]
    stricter += [(BNode("u"), SH.path, SCHEMA.url), (BNode("u"), SH.minCount, Literal(1))]
    before = ready.fingerprints()
    with pytest.raises(SubmissionRefused):
        subs.approve(ready, Validator(stricter, validator.ontology), settings, sub.id, "ed")
    assert ready.fingerprints() == before
    assert subs.get(ready, settings, sub.id).status == "pending"


def test_approve_refuses_a_new_record_published_meanwhile(ready, settings, validator):
    sub = subs.submit(ready, validator, settings, project("meanwhile"), ADA, "form")
    ready.add_graphs({settings.local_graph: project("meanwhile", title="Example: loaded directly")})
    before = ready.fingerprints()
    with pytest.raises(SubmissionRefused):
        subs.approve(ready, validator, settings, sub.id, "ed")
    assert ready.fingerprints() == before


# ------------------------------------------------------------------ the vocabulary it writes


def test_statuses_are_labelled_concepts_and_every_term_is_in_the_ontology(validator):
    vocab = validator.ontology
    for status in subs.STATUSES:
        concept = subs.status_concept(status)
        assert (concept, RDF.type, TSC.SubmissionStatus) in vocab
        assert (concept, SKOS.inScheme, subs.STATUS_SCHEME) in vocab
        assert {label.language for label in vocab.objects(concept, SKOS.prefLabel)} == {"en", "fr"}
    source = Path(subs.__file__).read_text(encoding="utf-8")
    used = {TSC[name] for name in __import__("re").findall(r"\bTSC\.([A-Za-z]+)", source)}
    ontology = Graph().parse(ROOT / "ontology" / "tscgraph.ttl")
    assert used and not [t for t in used if (t, RDFS.label, None) not in ontology]
