"""Languages are data: every message of the site is translated, languages are chosen as documented,
and adding a language is adding a folder of catalogues, not code."""

from __future__ import annotations

import gettext as gettext_module
import re
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from graph.settings import ROOT, SettingsError, load_settings
from tests.conftest import screenshot, start_server, stop_server
from web.i18n import load_catalogues, negotiate

TRANSLATIONS = ROOT / "translations"
LANGUAGES = sorted(d.name for d in TRANSLATIONS.iterdir() if d.is_dir() and any(d.glob("*.po")))
PROJECT_CLASS = "https://w3id.org/tscgraph/ontology#Project"
TARGET_20 = "https://w3id.org/tscgraph/vocab/gbf/target/20"


def get(url: str, headers: dict | None = None) -> requests.Response:
    """A page as a browser asks for it (``/sparql`` answers others with its service description)."""
    return requests.get(url, timeout=30, headers={"Accept": "text/html", **(headers or {})})


# ------------------------------------------------------------------ the catalogues


def site_messages() -> dict:
    """msgid (or (singular, plural)) → where it is used, extracted as ``pybabel extract -F babel.cfg`` does."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(str(ROOT), method_map, options_map):
        found.setdefault(message, []).append(f"{filename}:{lineno}")
    return found


def catalogue_messages(lang: str) -> list:
    """(file, message) of every message of a language's catalogues (header excluded)."""
    messages = []
    for path in sorted((TRANSLATIONS / lang).glob("*.po")):
        with path.open("rb") as f:
            catalog = read_po(f, locale=lang)
        messages += [(path.name, m) for m in catalog if m.id]
    return messages


def is_translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return not message.fuzzy and bool(strings) and all(s and s.strip() for s in strings)


def test_the_site_has_messages_to_translate():
    messages = site_messages()
    assert "Skip to content" in messages and "What the graph holds" in messages  # a template's message
    assert "Not found" in messages  # a Python module's message
    assert ("%(num)s row", "%(num)s rows") in messages  # a plural
    assert LANGUAGES and "fr" in LANGUAGES


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated(lang):
    messages = site_messages()
    translated = {m.id for _file, m in catalogue_messages(lang) if is_translated(m)}
    missing = [f"{msgid!r} ({', '.join(where[:3])})" for msgid, where in messages.items() if msgid not in translated]
    assert not missing, f"{len(missing)} message(s) without a {lang} translation in translations/{lang}/*.po:\n" + "\n".join(missing)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_translation_is_left_over(lang):
    messages = site_messages()
    obsolete = [f"{file}: {m.id!r}" for file, m in catalogue_messages(lang) if m.id not in messages]
    assert not obsolete, f"{len(obsolete)} {lang} translation(s) of messages the site no longer uses:\n" + "\n".join(obsolete)


PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def _formats(text: str, names: set[str]) -> bool:
    try:
        text % {name: 1 for name in names}
    except (KeyError, ValueError, TypeError):
        return False
    return True


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_the_placeholders(lang):
    """``%(name)s`` stays as it is in a translation; a literal percent sign is written ``%%`` (templates format every message)."""
    wrong = []
    for file, m in catalogue_messages(lang):
        if not is_translated(m):
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        # every plural form is checked against the plural msgid (the singular form may be "one row")
        for i, text in enumerate(strings):
            source = ids[0] if i == 0 and len(strings) == 1 else ids[-1]
            names = set(PLACEHOLDER.findall(source))
            if set(PLACEHOLDER.findall(text)) != names or (_formats(source, names) and not _formats(text, names)):
                wrong.append(f"{file}: {source!r} → {text!r}")
    assert not wrong, f"{lang} translations whose placeholders differ from their message's:\n" + "\n".join(wrong)


def _po(path: Path, *pairs: tuple[str, str], fuzzy: str = "", plural_forms: str | None = "nplurals=2; plural=(n > 1);") -> None:
    body = ['msgid ""', 'msgstr ""', '"Content-Type: text/plain; charset=UTF-8\\n"']
    body += [f'"Plural-Forms: {plural_forms}\\n"', ""] if plural_forms else [""]
    for msgid, msgstr in pairs:
        body += ([("#, fuzzy")] if msgid == fuzzy else []) + [f'msgid "{msgid}"', f'msgstr "{msgstr}"', ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(body), encoding="utf-8")


def test_two_catalogues_of_a_language_may_not_disagree(tmp_path):
    _po(tmp_path / "fr" / "a.po", ("Projects", "Projets"), ("Run", "Exécuter"))
    _po(tmp_path / "fr" / "b.po", ("Projects", "Projets"), ("Draft", "Brouillon"), ("Run", "Lancer"), fuzzy="Run")
    tables = load_catalogues(tmp_path, ("en", "fr"))  # the same translation twice, and a fuzzy one, are fine
    assert tables["fr"].gettext("Projects") == "Projets" and tables["fr"].gettext("Run") == "Exécuter"
    assert tables["fr"].gettext("Draft") == "Brouillon" and tables["en"].gettext("Projects") == "Projects"
    _po(tmp_path / "fr" / "c.po", ("Projects", "Les projets"))
    with pytest.raises(ValueError, match="c.po.*'Projects'.*translated differently"):
        load_catalogues(tmp_path, ("en", "fr"))


PLURAL_CASES = (0, 1, 2, 1_000_000)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_plural_form_is_the_catalogues_own(lang):
    """For 0, 1, 2 and a million, each plural message gives the form its catalogue's rule picks, never the English.

    The rule is the catalogues' ``Plural-Forms`` header, compiled here by the standard library, so the
    answer cannot depend on Babel's locale data (Babel 2.19 gives French a third form for millions).
    """
    tables = load_catalogues(TRANSLATIONS, tuple(LANGUAGES))
    plural = gettext_module.c2py(re.search(r"plural=([^;]+);", catalogue_plural_forms(lang)).group(1))
    messages = [m for _file, m in catalogue_messages(lang) if m.pluralizable and is_translated(m)]
    assert messages, f"no plural message in translations/{lang}"
    wrong = []
    for m in messages:
        for n in PLURAL_CASES:
            got = tables[lang].ngettext(m.id[0], m.id[1], n)
            if got != m.string[plural(n)] or (got in m.id and got not in m.string):
                wrong.append(f"{m.id[0]!r}, n={n}: {got!r}")
    assert not wrong, f"{lang} plurals that are not the catalogue's own form:\n" + "\n".join(wrong)


def catalogue_plural_forms(lang: str) -> str:
    headers = {re.search(r'"Plural-Forms: ([^"\\]+)', p.read_text(encoding="utf-8")).group(1)
               for p in (TRANSLATIONS / lang).glob("*.po")}
    assert len(headers) == 1, headers
    return headers.pop()


def test_a_catalogue_must_state_its_plural_rule_and_follow_it(tmp_path):
    _po(tmp_path / "fr" / "a.po", ("Projects", "Projets"))
    _po(tmp_path / "fr" / "b.po", ("Run", "Exécuter"), plural_forms=None)
    with pytest.raises(ValueError, match="b.po: no Plural-Forms header"):
        load_catalogues(tmp_path, ("fr",))
    _po(tmp_path / "fr" / "b.po", ("Run", "Exécuter"), plural_forms="nplurals=2; plural=(n != 1);")
    with pytest.raises(ValueError, match="declare different Plural-Forms"):
        load_catalogues(tmp_path, ("fr",))
    (tmp_path / "fr" / "b.po").unlink()
    with (tmp_path / "fr" / "a.po").open("a", encoding="utf-8") as f:
        f.write('msgid "%(num)s row"\nmsgid_plural "%(num)s rows"\nmsgstr[0] "%(num)s ligne"\n')
    with pytest.raises(ValueError, match="a.po: '%\\(num\\)s row' has 1 plural form\\(s\\), its header says 2"):
        load_catalogues(tmp_path, ("fr",))


# ------------------------------------------------------------------ choosing the language


def accept(header: str) -> LanguageAccept:
    return parse_accept_header(header, LanguageAccept)


LANGS = ("en", "fr", "es")


@pytest.mark.parametrize(
    ("asked", "cookie", "header", "expected"),
    [
        ("fr", "es", "es", "fr"),  # ?lang= beats the cookie and the browser
        (None, "es", "fr", "es"),  # the cookie beats the browser
        (None, None, "fr-CA", "fr"),  # the browser's choice, by its region's language
        (None, None, "de", "en"),  # nothing we have: the default
        (None, None, None, "en"),
        ("de", None, "es", "es"),  # an unknown ?lang= falls back to the next choice
        ("de", "xx", None, "en"),  # …down to the default
        (None, None, "en;q=0.2, es;q=0.9, fr;q=0.5", "es"),  # q-values, not the order, rank the languages
        (None, None, "fr;q=0, en", "en"),  # q=0 means "not this one"
    ],
)
def test_language_negotiation(asked, cookie, header, expected):
    assert negotiate(asked, cookie, accept(header) if header else None, LANGS, "en") == expected


def test_negotiation_default_is_the_configured_one():
    assert negotiate(None, None, accept("de"), LANGS, "fr") == "fr"


# ------------------------------------------------------------------ adding a language


SPANISH = [
    ("Skip to content", "Saltar al contenido"),
    ("Projects", "Proyectos"),
    ("What the graph holds", "Lo que contiene el grafo"),
]


@pytest.fixture(scope="module")
def spanish(tmp_path_factory):
    """A server whose translations folder has a Spanish catalogue beside the French ones, Spanish by default."""
    tmp = tmp_path_factory.mktemp("spanish")
    translations = tmp / "translations"
    shutil.copytree(TRANSLATIONS, translations)
    _po(translations / "es" / "site.po", *SPANISH)
    server = start_server(tmp, translations_dir=str(translations), default_lang="es")
    yield server.url, translations
    stop_server(server)


def test_a_language_is_a_folder_of_catalogues(spanish):
    url, _translations = spanish
    page = get(url + "/graph?lang=es")
    assert page.status_code == 200 and page.headers["Content-Language"] == "es"
    assert '<html lang="es">' in page.text
    assert "Lo que contiene el grafo" in page.text and "Saltar al contenido" in page.text and ">Proyectos<" in page.text
    assert "Named graphs" in page.text  # a message with no Spanish translation yet: English
    assert re.search(r'<a href="[^"]*lang=es"[^>]*hreflang="es" lang="es"[^>]*>español</a>', page.text)
    assert ">français</a>" in page.text and ">English</a>" in page.text


def test_a_new_language_can_be_the_default(spanish):
    url, translations = spanish
    plain = get(url + "/graph", headers={"Accept-Language": "de"})
    assert plain.headers["Content-Language"] == "es" and "Lo que contiene el grafo" in plain.text
    english = get(url + "/graph?lang=en")
    assert english.headers["Content-Language"] == "en" and "What the graph holds" in english.text
    assert load_settings(overrides={"translations_dir": translations, "default_lang": "es"}, environ={}).default_lang == "es"


def test_a_default_language_without_messages_is_refused(tmp_path):
    with pytest.raises(SettingsError, match=r"default_lang must be one of the languages with messages \(en, [^)]*fr[^)]*\), got 'xx'"):
        load_settings(overrides={"default_lang": "xx", "store_dir": tmp_path / "store"}, environ={})
    (tmp_path / "translations" / "es").mkdir(parents=True)  # an empty folder is no language
    with pytest.raises(SettingsError, match="got 'es'"):
        load_settings(overrides={"translations_dir": tmp_path / "translations", "default_lang": "es"}, environ={})


# ------------------------------------------------------------------ over HTTP


def test_the_language_is_remembered_in_a_cookie(live_server):
    with requests.Session() as browser:
        first = browser.get(live_server + "/graph?lang=fr", timeout=30)
        assert first.headers["Content-Language"] == "fr" and "lang=fr" in first.headers["Set-Cookie"]
        assert {"Accept-Language", "Cookie"} <= {v.strip() for v in first.headers["Vary"].split(",")}
        later = browser.get(live_server + "/queries", headers={"Accept-Language": "en"}, timeout=30)
        assert later.headers["Content-Language"] == "fr" and "Requêtes nommées" in later.text
        assert "Set-Cookie" not in later.headers  # already remembered
        back = browser.get(live_server + "/queries?lang=en", timeout=30)
        assert back.headers["Content-Language"] == "en" and browser.cookies["lang"] == "en"


def test_the_browser_language_is_used_without_a_choice(live_server):
    page = get(live_server + "/sparql", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert page.headers["Content-Language"] == "fr" and "Set-Cookie" not in page.headers
    assert "Préfixes connus" in page.text


@pytest.mark.parametrize(
    ("path", "texts"),
    [
        ("/graph", ["Contenu du graphe", "Graphes nommés", "Requêtes nommées", "triplets"]),
        (f"/class?iri={quote(PROJECT_CLASS)}", ["À propos de cette classe", "Page 1"]),
        (f"/resource?iri={quote(TARGET_20)}", ["Propriété", "Valeur", "Cité par"]),
        ("/queries", ["Requêtes nommées", "Chaque requête est aussi une API :", "Paramètres :"]),
        ("/sparql", ["Requête", "Exécuter", "Exemples", "Préfixes connus", "lignes par réponse"]),
        ("/queries/targets-without-projects", ["Requêtes nommées", "Télécharger :"]),
        ("/sparql?format=html&query=" + quote("SELECT * WHERE { ?s ?p ?o } LIMIT 3"), ["3 lignes", "Télécharger :"]),
    ],
)
def test_analysts_pages_in_french(live_server, path, texts):
    page = get(live_server + path + ("&" if "?" in path else "?") + "lang=fr")
    assert page.status_code == 200 and '<html lang="fr">' in page.text
    missing = [t for t in texts if t not in page.text]
    assert not missing, f"{path} in French lacks {missing}"


def test_error_pages_in_french(live_server):
    missing = get(live_server + "/resource?iri=" + quote("https://chm.example.org/id/nothing-here") + "&lang=fr")
    assert missing.status_code == 404 and "Introuvable" in missing.text and "Rien n&#39;est connu sur" in missing.text
    bad = get(live_server + "/class?iri=" + quote(PROJECT_CLASS) + "&page=x&lang=fr")
    assert bad.status_code == 400 and "Requête incorrecte" in bad.text and "nombre entier de 1 à" in bad.text
    nowhere = get(live_server + "/no/such/page?lang=fr")
    assert nowhere.status_code == 404 and "Il n&#39;y a pas de page à cette adresse." in nowhere.text


def test_numbers_are_written_in_the_reader_language(live_server):
    """1234567 is "1,234,567" in English and "1 234 567" (narrow no-break spaces) in French, plurals included."""
    en = requests.get(live_server + "/graph?format=json", timeout=30).json()["triples"]
    assert en > 1000
    english = get(live_server + "/graph?lang=en").text
    french = get(live_server + "/graph?lang=fr").text
    assert f"{en:,} triples" in english
    assert f"{en:,}".replace(",", "\u202f") + " triplets" in french


def test_a_language_switch_holds_while_browsing(page, live_server):
    page.goto(live_server + "/graph")
    assert page.locator("h1").inner_text() == "What the graph holds"
    page.locator("nav.languages a[hreflang=fr]").click()
    page.wait_for_url("**lang=fr*")
    assert page.locator("h1").inner_text() == "Contenu du graphe"
    assert page.locator("nav.languages a[aria-current=true]").inner_text() == "français"
    page.get_by_role("link", name="Projet", exact=True).click()  # the class's French label
    page.wait_for_url("**/class?**")
    assert "lang=" not in page.url and page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("link", name="À propos de cette classe").is_visible()
    page.locator("ul.instances a").first.click()
    page.wait_for_url("**/id/project/**")
    assert page.locator("html").get_attribute("lang") == "fr"
    screenshot(page, "resource-page-in-french")
