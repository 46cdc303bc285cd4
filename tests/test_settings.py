"""Settings: one place, documented, validated (a setting without help or docs fails here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.settings import ROOT, SettingsError, load_settings, setting_help


def test_every_setting_has_help_and_is_documented():
    docs = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for name, help_text in setting_help().items():
        assert len(help_text) > 15, f"setting {name} has no help text"
        assert f"`{name}`" in docs and f"`TSCGRAPH_{name.upper()}`" in docs, f"{name} missing from docs/configuration.md"


def test_order_defaults_file_environment_overrides(tmp_path: Path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('base_iri = "https://file.example.org/"\nport = 9000\npage_size = 10\n')
    env = {"TSCGRAPH_PORT": "9100", "TSCGRAPH_CONFIG": str(cfg)}
    s = load_settings(environ=env, overrides={"page_size": 20})
    assert s.base_iri == "https://file.example.org/"
    assert s.port == 9100 and s.page_size == 20
    assert s.default_lang == "en"
    assert s.local_graph == "https://file.example.org/graph/local"
    assert s.submission_graph("abc") == "https://file.example.org/graph/submission/abc"


@pytest.mark.parametrize(
    "text, message",
    [
        ("port = 'eighty'", "port"),
        ("base_iri = 'https://no-slash.example.org'", "base_iri"),
        ("default_lang = 'de'", "default_lang"),
        ("what = 1", "unknown setting"),
        ("port = ", "not valid TOML"),
        ("public_url = 'chm.example.org'", "public_url"),
        ("public_url = 'https://chm.example.org/site/'", "public_url"),
        ("public_url = 'https://user@chm.example.org/'", "public_url"),
        ("trusted_proxies = -1", "trusted_proxies"),
    ],
)
def test_bad_values_are_refused_with_the_reason(tmp_path: Path, text: str, message: str):
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    with pytest.raises(SettingsError, match=message):
        load_settings(cfg, environ={})


def test_missing_config_file(tmp_path: Path):
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_every_route_is_documented_in_the_readme(tmp_path: Path):
    from server import create_app

    app = create_app(load_settings(overrides={"store_dir": tmp_path / "store", "query_workers": 1}, environ={}))
    try:
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        for rule in app.url_map.iter_rules():
            path = rule.rule.replace("<name>", "NAME").replace("<path:filename>", "…")
            fixed = path.split("<")[0]  # the part before the first variable (suffix variants: /ontology.ttl)
            assert f"/{fixed.strip('/').split('/')[0]}" in readme, f"route {rule.rule} is not documented in README.md"
            assert fixed in readme, f"route {rule.rule} is not documented in README.md"
    finally:
        app.extensions["tscgraph.shutdown"]()
