"""The guarded HTTP client of harvests (loaders/net.py): the pure policy — schemes, origins, address classes —
then the client over real loopback connections: refused addresses never connected to, redirects checked hop
by hop, bodies capped and bounded in time; the harvester's ``fetch`` reading only the file the operator
named; and no loader problem published with a byte of what it read."""

from __future__ import annotations

import pytest

from loaders.harvest import HarvestError, Source, fetch, load_source, public_problem
from loaders.net import (
    NOT_HTTP,
    OFF_ORIGIN,
    WITH_CREDENTIALS,
    FetchError,
    Policy,
    address_class,
    check_addresses,
    check_link,
    fetch_body,
    origin,
    request,
    resolve,
)
from tests.hostile_partner import PASSWD, Internal, Partner, Reply, redirect

# ------------------------------------------------------------------ the policy, pure


@pytest.mark.parametrize("address, refused", [
    ("127.0.0.1", "loopback"), ("127.0.0.2", "loopback"), ("::1", "loopback"),
    ("::ffff:127.0.0.1", "loopback"), ("::127.0.0.1", "loopback"), ("2002:7f00:1::", "loopback"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("fe80::1%eth0", "link-local"),
    ("10.0.0.1", "private network"), ("10.255.255.255", "private network"), ("172.16.0.1", "private network"),
    ("172.31.255.254", "private network"), ("192.168.1.1", "private network"), ("fc00::1", "private network"),
    ("fd12:3456::1", "private network"), ("::ffff:10.0.0.1", "private network"), ("64:ff9b::a00:1", "private network"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
    ("100.64.0.1", "reserved"), ("not an address", "reserved"),
    ("8.8.8.8", None), ("93.184.216.34", None), ("172.32.0.1", None), ("11.0.0.1", None),
    ("2606:4700::1111", None), ("64:ff9b::808:808", None), ("::ffff:8.8.8.8", None),
])
def test_address_classes(address, refused):
    assert address_class(address) == refused


def test_other_reserved_ranges_are_refused():
    for address in ("240.0.0.1", "255.255.255.255", "192.0.2.1", "198.18.0.1", "2001:db8::1", "fec0::1"):
        assert address_class(address) is not None, address


def test_a_name_is_judged_by_every_address_it_resolves_to():
    addresses = resolve("localhost", 80)
    assert addresses and all(address_class(a) == "loopback" for a in addresses)
    with pytest.raises(FetchError, match=r"^refused address \(loopback\)$"):
        check_addresses(addresses, Policy.for_source("http://localhost/feed"), origin("http://localhost/feed"))
    with pytest.raises(FetchError, match="loopback"):  # one refused address refuses them all
        check_addresses(["8.8.8.8", "127.0.0.1"], Policy(None), "http://x.example:80")
    assert check_addresses(["127.0.0.1"], Policy.for_source("http://x/", allow_private=True), "") == ["127.0.0.1"]
    assert check_addresses(["8.8.8.8"], Policy(None), "http://x.example:80") == ["8.8.8.8"]


@pytest.mark.parametrize("link, reason", [
    ("/etc/passwd", NOT_HTTP), ("file:///etc/passwd", NOT_HTTP), ("gopher://partner.example/", NOT_HTTP),
    ("ftp://partner.example/x", NOT_HTTP), ("javascript:alert(1)", NOT_HTTP), ("", NOT_HTTP),
    ("http:///x", NOT_HTTP), ("http://partner.example:99999/", NOT_HTTP), ("store-secret-key", NOT_HTTP),
    ("http://user:pw@partner.example/x", WITH_CREDENTIALS),
    ("http://partner.example:8080/x", OFF_ORIGIN), ("https://partner.example/x", OFF_ORIGIN),
    ("http://127.0.0.1/secret", OFF_ORIGIN), ("http://other.example/x", OFF_ORIGIN),
    ("http://partner.example.evil.example/", OFF_ORIGIN),
])
def test_partner_links_are_http_and_on_the_source_s_origin(link, reason):
    policy = Policy.for_source("http://partner.example/changes/local")
    with pytest.raises(FetchError) as refused:
        check_link(link, policy)
    assert refused.value.reason == reason


def test_origins_are_compared_normalised_and_allow_origins_extends_them():
    policy = Policy.for_source("http://Partner.Example/changes/local", ["https://mirror.example/"])
    for link in ("HTTP://partner.example:80/page", "http://partner.example/x?y#z", "https://mirror.example:443/a"):
        assert check_link(link, policy).hostname
    with pytest.raises(FetchError, match="origin"):
        check_link("http://mirror.example/a", policy)  # another scheme is another origin
    assert origin("https://[::1]/x") == "https://[::1]:443" and origin("/etc/passwd") == ""


def test_a_local_file_source_has_no_origin_of_its_own():
    policy = Policy.for_source("/srv/partner/feed.json")
    assert policy.origins == frozenset() and policy.own_file == "/srv/partner/feed.json"
    with pytest.raises(FetchError, match="origin"):
        check_link("http://partner.example/x.ttl", policy)
    allowed = Policy.for_source("/srv/partner/feed.json", ["https://partner.example"])
    assert check_link("https://partner.example/x.ttl", allowed).hostname == "partner.example"


# ------------------------------------------------------------------ the client, over loopback


@pytest.fixture
def nodes():
    partner, internal = Partner(), Internal()
    yield partner, internal
    partner.close()
    internal.close()


def on_loopback(partner: Partner) -> Policy:
    return Policy.for_source(partner.url + "/", allow_private=True)


def test_a_refused_address_is_never_connected_to(nodes):
    partner, internal = nodes
    partner.routes["/doc.ttl"] = Reply(body=b"ok")
    for url in (partner.url + "/doc.ttl", internal.url + "/secret",
                f"http://localhost:{internal.port}/secret", f"http://[::ffff:127.0.0.1]:{internal.port}/secret"):
        with pytest.raises(FetchError, match=r"^refused address \((loopback|link-local)\)$"):
            fetch_body(url, Policy.for_source(url))
    assert partner.requests == [] and internal.connections == 0
    assert fetch_body(partner.url + "/doc.ttl", on_loopback(partner)) == b"ok"


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_are_checked_hop_by_hop(nodes, status):
    partner, internal = nodes
    partner.routes["/to-internal"] = redirect(status, internal.url + "/secret")
    partner.routes["/to-localhost"] = redirect(status, f"http://localhost:{partner.port}/doc.ttl")
    partner.routes["/to-file"] = redirect(status, "file:///etc/passwd")
    partner.routes["/here"] = redirect(status, "/doc.ttl")  # relative, same origin: followed
    partner.routes["/doc.ttl"] = Reply(body=b"the document")
    partner.routes["/loop"] = redirect(status, "/loop")
    policy = on_loopback(partner)
    for path, reason in (("/to-internal", "redirect: " + OFF_ORIGIN), ("/to-localhost", "redirect: " + OFF_ORIGIN),
                         ("/to-file", "redirect: " + NOT_HTTP), ("/loop", "too many redirects (over 5)")):
        with pytest.raises(FetchError) as refused:
            fetch_body(partner.url + path, policy)
        assert refused.value.reason == reason
    assert fetch_body(partner.url + "/here", policy) == b"the document"
    # an operator's own URL: its address is not judged, a redirect to a private address still is
    with pytest.raises(FetchError, match=r"^redirect: refused address \(loopback\)$"):
        fetch_body(partner.url + "/to-internal", Policy.for_operator(partner.url + "/to-internal"))
    assert internal.connections == 0


def test_a_post_keeps_its_method_on_307_and_becomes_a_get_on_303(nodes):
    partner, _internal = nodes
    partner.routes["/sparql"] = redirect(307, "/sparql2")
    partner.routes["/sparql2"] = Reply(body=b"{}")
    partner.routes["/see-other"] = redirect(303, "/sparql2")
    policy = on_loopback(partner)
    assert request(partner.url + "/sparql", policy, method="POST", body=b"query=x").body == b"{}"
    request(partner.url + "/see-other", policy, method="POST", body=b"query=x")
    assert partner.requests == [("POST", "/sparql"), ("POST", "/sparql2"), ("POST", "/see-other"), ("GET", "/sparql2")]


def test_bodies_are_capped_and_bounded_in_time(nodes):
    partner, _internal = nodes
    partner.routes["/endless"] = Reply(kind="endless")
    partner.routes["/huge"] = Reply(kind="huge")
    partner.routes["/slow"] = Reply(kind="slow", body=b"@prefix : <http://x/> ." * 4, delay=0.05)
    partner.routes["/fits"] = Reply(body=b"x" * 1000)
    policy = on_loopback(partner)
    for path in ("/endless", "/huge"):
        with pytest.raises(FetchError, match=r"^too large \(over 1048576 bytes\)$"):
            fetch_body(partner.url + path, policy, max_bytes=1024 * 1024)
    with pytest.raises(FetchError, match="^timed out$"):
        fetch_body(partner.url + "/slow", policy, deadline=0.3)
    assert fetch_body(partner.url + "/fits", policy, max_bytes=1000) == b"x" * 1000


def test_fetch_retries_only_what_may_pass_later(nodes):
    partner, _internal = nodes
    partner.routes["/gone"] = Reply(404)
    partner.routes["/down"] = Reply(503)
    waits: list[float] = []
    for path, reason, tries in (("/gone", "HTTP 404", 0), ("/down", "HTTP 503 (after 3 attempts)", 2)):
        waits.clear()
        with pytest.raises(FetchError) as failed:
            fetch(partner.url + path, policy=on_loopback(partner), sleep=waits.append)
        assert failed.value.reason == reason and len(waits) == tries


def test_the_operator_s_commands_follow_no_redirect_to_a_private_address(nodes):
    """``refresh-labels`` and ``check-endpoint`` reach the address the operator typed, whatever it is; a
    redirect from there to an internal address is refused (the first) or not followed (the second)."""
    from loaders.sparql import check_endpoint
    from loaders.thesaurus import fetch_thesaurus

    partner, internal = nodes
    partner.routes["/GBF-TARGETS"] = redirect(302, internal.url + "/terms")
    with pytest.raises(OSError, match=r"^redirect: refused address \(loopback\)$"):
        fetch_thesaurus("GBF-TARGETS", partner.url + "/{domain}", timeout=5)
    partner.routes["/sparql"] = redirect(307, internal.url + "/sparql")
    checks = check_endpoint(partner.url + "/sparql", timeout=5)
    assert not any(c.ok for c in checks)
    assert checks[0].detail.startswith("GET without a query answered 307 a redirect, not followed")
    assert internal.connections == 0


# ------------------------------------------------------------------ local files: only the one the operator named


def test_only_the_file_the_sources_file_names_is_read(tmp_path):
    own = tmp_path / "partner.ttl"
    own.write_text("@prefix : <http://x/> .\n")
    secret = tmp_path / "store-secret-key"
    secret.write_text("0123456789abcdef" * 4)
    policy = Source("local", "changes", str(own)).policy()
    assert fetch(str(own), policy=policy) == (own.read_bytes(), 1)
    for named in (str(secret), f"file://{secret}", "/etc/passwd", "store-secret-key", "file:///etc/passwd"):
        with pytest.raises(FetchError, match=r"^refused link \(not http\(s\)\)$"):
            fetch(named, policy=policy)
    with pytest.raises(FetchError, match=r"^too large \(over 1024 bytes\)$"):
        fetch("/dev/zero", policy=Policy.for_source("/dev/zero"), max_bytes=1024)


# ------------------------------------------------------------------ nothing read is ever published

KEY = "5f0e3c2a9b8d7e6f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f"


def hostile_documents() -> list[tuple[str, str, bytes]]:
    """(kind, url ending, body) of documents whose every part a partner chose: the passwd line and the key
    in IRIs, names, languages, types, properties, element names and plain broken syntax."""
    leak = f"{PASSWD}:root:/root:/bin/bash {KEY}"
    json_name = leak.replace('"', "")
    return [
        ("rdf", "doc.ttl", f"@prefix : <http://x/> .\n:a :b :c .\n{leak}\n".encode()),
        ("rdf", "doc.ttl", f"<http://x/{KEY}> <http://x/p> \"{leak}\"@{KEY} .".encode()),
        ("rdf", "doc.nt", f"{leak}\n".encode()),
        ("rdf", "doc.rdf", f"<?xml version='1.0'?>\n<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
                           f"<{KEY[:1]}x{KEY}>{leak}".encode()),
        ("rdf", "doc.jsonld", ('{"@context": "http://%s.example/%s", "@id": "x"}' % (KEY, PASSWD)).encode()),
        ("rdf", "doc.jsonld", ('{"@id": "%s" ,, "%s"}' % (json_name, KEY)).encode()),
        ("rdf", "doc.n3", f"@prefix : <http://x/> .\n?{KEY} :p :o .\n{{ :a :b \"{json_name}\" }} :c :d .".encode()),
        ("schemaorg", "doc.jsonld", ('{"@context": "https://schema.org", "@graph": [{"@type": "Project", "name": "%s", '
                                     '"inLanguage": "%s", "http://x/%s": "%s", "foundingDate": "%s"}, '
                                     '{"@type": "http://x/%s", "@id": "http://x/%s"}]}'
                                     % (json_name, KEY, KEY, json_name, json_name, KEY, KEY)).encode()),
        ("schemaorg", "doc.jsonld", ('{"@context": ["https://schema.org", "http://%s/"], "name": "x"}' % KEY).encode()),
        ("schemaorg", "doc.jsonld", ('{"%s": [}' % json_name).encode()),
        ("iati", "doc.xml", f"<x{KEY}>{leak}</x{KEY}>".encode()),
        ("iati", "doc.xml", f"<iati-activities><iati-activity><iati-identifier>{KEY}</iati-identifier>"
                            f"<title><narrative xml:lang='en'>{json_name}</narrative><narrative xml:lang='en'>{KEY}"
                            f"</narrative></title><participating-org role='9' ref='{KEY}'/></iati-activity>"
                            "</iati-activities>".encode()),
    ]


def published(text: str) -> bool:
    """Whether ``text`` holds any of the secrets, or any 12 characters of the key in a row."""
    return PASSWD in text or any(KEY[i:i + 12] in text for i in range(len(KEY) - 11))


@pytest.mark.parametrize("kind, ending, body", hostile_documents())
def test_loader_problems_are_published_without_a_byte_of_the_document(kind, ending, body, settings, validator):
    source = Source("hostile", kind, f"https://partner.example/{ending}")
    try:
        loaded = load_source(source, body, settings, validator.ontology)
    except HarvestError as exc:
        texts = [str(exc)]
    else:
        texts = [public_problem(p) for p in loaded.problems]
        assert texts, "a hostile document loaded without a problem"
    assert not any(published(t) for t in texts), texts
