"""The pages' languages: which one a request gets, its messages, and locale-aware numbers and dates.

Languages are data. Messages are written in English in the templates and the code (gettext msgids)
and translated in ``translations/{lang}/*.po`` catalogues (several files per language, one per area
of the site, merged at start-up — no compile step); labels of things come from the graph. Adding a
language is adding a folder of catalogues (and labels in that language to the vocabularies):
``tests/test_i18n.py`` checks that every message of the site has a translation in every language.

A request's language: ``?lang=`` (remembered in a cookie, so a switch holds while browsing), else
the cookie, else the browser's ``Accept-Language``, else the configured default. An unknown
``lang`` falls back the same way rather than failing: a shared link keeps working on a deployment
that lacks the language (``Content-Language`` says which one was served).
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_compact_decimal, format_currency, format_decimal
from babel.support import NullTranslations, Translations
from flask import Flask, Response, g, request

LANG_COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def load_catalogues(translations_dir: Path, languages: tuple[str, ...]) -> dict[str, NullTranslations]:
    """One merged translation table per language, from every ``.po`` file of its folder.

    A catalogue means what its own header says: its plural rule is its ``Plural-Forms`` header, never
    Babel's locale data (whose CLDR rules change between Babel versions: Babel 2.19 gives French three
    forms where our catalogues have two, and a rule that asks for a form a catalogue lacks turns the
    message back into English). So every catalogue of a language must declare the same rule, and every
    plural message must have as many forms as it says. A message defined twice with different
    translations is an error too (two areas disagreeing is a bug).
    """
    tables: dict[str, NullTranslations] = {}
    for lang in languages:
        folder = translations_dir / lang
        files = sorted(folder.glob("*.po")) if folder.is_dir() else []
        if not files:
            tables[lang] = NullTranslations()
            continue
        rule = _plural_rule(files)
        merged = Catalog(locale=lang)
        merged.mime_headers = [("Plural-Forms", rule)]
        for path in files:
            with path.open("rb") as f:
                catalog = read_po(f, locale=lang)
            for message in catalog:
                if not message.id or not message.string or message.fuzzy:
                    continue
                if message.pluralizable and not any(message.string):
                    continue  # not translated yet: shown in English
                forms = len([form for form in message.string if form]) if message.pluralizable else 1
                if message.pluralizable and (forms != merged.num_plurals or len(message.string) != forms):
                    raise ValueError(
                        f"{path}: {message.id[0]!r} has {forms} plural form(s), "
                        f"its header says {merged.num_plurals} ({rule})"
                    )
                known = merged.get(message.id)
                if known is not None and known.string != message.string:
                    raise ValueError(f"{path}: {message.id!r} is translated differently in another {lang} catalogue")
                merged.add(message.id, message.string)
        buffer = io.BytesIO()
        write_mo(buffer, merged)
        buffer.seek(0)
        tables[lang] = Translations(fp=buffer)
    return tables


_PLURAL_FORMS = re.compile(r'^"Plural-Forms:\s*(.*?)\s*(?:\\n)?"\s*$', re.MULTILINE)


def _plural_rule(files: list[Path]) -> str:
    """The ``Plural-Forms`` header shared by a language's catalogues; an error if one lacks it or they differ."""
    rules = {}
    for path in files:
        found = _PLURAL_FORMS.search(path.read_text(encoding="utf-8"))
        if found is None:
            raise ValueError(f"{path}: no Plural-Forms header (a catalogue says its own plural rule)")
        rules[path.name] = found.group(1)
    if len(set(rules.values())) > 1:
        raise ValueError(f"{files[0].parent}: the catalogues declare different Plural-Forms: {rules}")
    return next(iter(rules.values()))


def negotiate(asked: str | None, cookie: str | None, accept_languages, languages: tuple[str, ...], default: str) -> str:
    """The language of a response: asked (``?lang=``), remembered (cookie), the browser's choice, the default."""
    for choice in (asked, cookie):
        if choice in languages:
            return choice  # type: ignore[return-value]
    if accept_languages is not None:
        best = accept_languages.best_match(languages)
        if best:
            return best
        for tag, _quality in accept_languages:  # "fr-CA" is served in "fr"
            primary = tag.split("-", 1)[0].split("_", 1)[0].lower()
            if primary in languages:
                return primary
    return default


@lru_cache(maxsize=64)
def language_name(code: str) -> str:
    """A language's name in itself ("English", "français", "español"), for the language switch."""
    try:
        return Locale.parse(code).get_display_name(code) or code
    except (UnknownLocaleError, ValueError):
        return code


def current_lang() -> str:
    return getattr(g, "lang", None) or "en"


def gettext(message: str, **variables) -> str:
    """A message of Python code in the request's language, placeholders filled from ``variables``."""
    text = _translate(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables) -> str:
    variables.setdefault("num", n)
    return _translate_plural(singular, plural, n) % variables


def _translate(message: str) -> str:
    return g.translations.gettext(message) if "translations" in g else message


def _translate_plural(singular: str, plural: str, n: int) -> str:
    return g.translations.ngettext(singular, plural, n) if "translations" in g else (singular if n == 1 else plural)


def format_number(value, lang: str | None = None) -> str:
    return format_decimal(value, locale=lang or current_lang())


def format_compact(value, lang: str | None = None) -> str:
    return format_compact_decimal(value, locale=lang or current_lang(), fraction_digits=1)


def format_money(value, currency: str, lang: str | None = None) -> str:
    return format_currency(value, currency, locale=lang or current_lang(), format_type="standard")


def format_day(value, lang: str | None = None) -> str:
    """A date in the reader's language ("1 October 2021", "1 octobre 2021"); other values as they are."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return babel_format_date(value, format="long", locale=lang or current_lang())
    return str(value)


def init_app(app: Flask, translations_dir: Path, languages: tuple[str, ...], default: str) -> None:
    """Pick each request's language, give templates ``_``/``ngettext`` and the formatting filters."""
    tables = load_catalogues(translations_dir, languages)
    app.extensions["tscgraph.languages"] = languages

    @app.before_request
    def choose_language() -> None:
        asked = request.args.get("lang")
        g.lang = negotiate(asked, request.cookies.get(LANG_COOKIE), request.accept_languages, languages, default)
        g.lang_asked = asked if asked in languages else None
        g.translations = tables[g.lang]

    @app.after_request
    def tell_language(response: Response) -> Response:
        if response.mimetype == "text/html" and "lang" in g:
            response.headers["Content-Language"] = g.lang
            response.vary.update(("Accept-Language", "Cookie"))
            if g.get("lang_asked") and request.cookies.get(LANG_COOKIE) != g.lang_asked:
                response.set_cookie(LANG_COOKIE, g.lang_asked, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True)
        return response

    app.jinja_env.add_extension("jinja2.ext.i18n")
    # Jinja's new-style gettext fills the placeholders itself: the template callables only translate.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        _translate, _translate_plural, newstyle=True
    )
    app.jinja_env.filters.update(
        number=format_number, compact_number=format_compact, money=format_money, day=format_day,
    )

    @app.context_processor
    def language_context() -> dict:
        return {
            "lang": current_lang(),
            "languages": [(code, language_name(code)) for code in languages],
        }

