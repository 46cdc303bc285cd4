"""The load test's short form (``bench/load.py``; the full form is ``make load`` → docs/load.md): mixed reads at
8 and 32 concurrent clients, 5 s each, while a harvest, two submitters and an updater write, on a real server
on loopback. It asserts what must hold under load — no 5xx, nothing but 200 to the reads, no lost write, a
healthy server, every write still in the store once the server stopped — and no timing: timings belong to the
benchmark page."""

from __future__ import annotations

import json
import shutil

from bench import load, load_reads, load_report, sections
from graph.settings import ROOT


def test_mixed_reads_while_writing_answer_no_5xx_and_lose_no_write(tmp_path):
    report = ROOT / "docs" / "load.md"
    before = report.stat().st_mtime_ns if report.exists() else None

    results = load.run_load(clients=(8, 32), duration_s=5, idle_update_count=3, update_clients=8, workdir=tmp_path,
                            log=lambda _message: None)

    assert load.problems(results) == []
    assert [p["clients"] for p in results["phases"]] == [8, 32]
    idle, under = results["idle_updates"], results["updates_under_reads"]
    assert idle["updates"]["writes"] == len(idle["inserts"]) == 3 and idle["updates"]["statuses"] == {"200": 3}
    assert under["updates"]["writes"] == len(under["inserts"]) >= 1 and under["lost_inserts"] == [] and not under["stuck"]
    for p in results["phases"]:
        reads, writes, verified = p["reads"], p["writes"], p["verified"]
        assert reads["requests"] > 0 and reads["status_5xx"] == 0 and reads["statuses"].keys() == {"200"}, reads
        if shutil.which("wrk"):
            assert reads["tool"].startswith("wrk "), reads["tool"]
        # the CPU is sampled per role of the real process tree: both readers, the writer's worker, their pools
        roles = p["cpu"]["roles"]
        assert roles["reader"]["processes"] == results["server"]["web_processes"], roles
        assert roles["query worker"]["processes"] >= results["server"]["web_processes"] * results["server"]["query_workers"]
        assert roles["writer worker"]["processes"] == 1 and roles["validation worker"]["processes"] >= 1, roles
        # every writer starts at once and finishes the write under way at the deadline: at least one each
        assert verified["harvest_runs"] == writes["harvest"]["accepted"] >= 1, writes["harvest"]
        assert verified["submissions"] == len(p["submissions"]) >= 2, writes["submissions-1"]
        assert verified["inserts"] == len(p["inserts"]) >= 1, writes["updates"]
        assert p["healthy"] and not p["stuck_writers"]
    harvests = sum(len(p["harvested_versions"]) for p in results["phases"])
    assert results["harvest_log"]["after"] == {"ok": harvests}  # every run recorded, each a real replacement
    after = results["after_restart"]
    assert after["harvest_graph_whole"]
    assert after["submissions"] == sum(len(p["submissions"]) for p in results["phases"])
    assert after["inserts"] == sum(len(p["inserts"]) for p in results["phases"]) + len(idle["inserts"]) + len(under["inserts"])
    assert {g["key"] for g in results["goals"] if g["ok"]} >= {"no_5xx", "no_lost_write"}
    assert (report.stat().st_mtime_ns if report.exists() else None) == before  # only `make load` writes docs/


def test_the_checks_catch_a_5xx_a_lost_write_and_a_failed_harvest():
    """Guard the checker itself: a run with one 503, one lost submission or a harvest not verified must fail."""
    reads = {"requests": 10, "statuses": {"200": 9, "503": 1}, "non_2xx": 1, "status_5xx": 1, "socket_errors": 0,
             "timeouts": 0}
    writer = {"accepted": 1, "statuses": {"303": 1}, "status_5xx": 0, "failures": []}
    phase = {"clients": 8, "reads": reads, "writes": {"submissions-1": writer},
             "verified": {"lost_submissions": ["abc"], "lost_inserts": [], "harvest_runs": 0},
             "harvested_versions": [1], "stuck_writers": [], "healthy": True}
    results = {"phases": [phase], "harvest_log": {"before": {}, "after": {"ok": 1}, "accepted": 1},
               "after_restart": {"lost_submissions": [], "lost_inserts": [], "harvest_graph_whole": True}}
    found = load.problems(results)
    assert any("503" in line for line in found), found
    assert any("lost writes" in line and "abc" in line for line in found), found
    assert any("1 harvests started, 0 verified" in line for line in found), found
    clean = {**phase, "reads": {**reads, "statuses": {"200": 10}, "non_2xx": 0, "status_5xx": 0},
             "verified": {"lost_submissions": [], "lost_inserts": [], "harvest_runs": 1}}
    assert load.problems({**results, "phases": [clean]}) == []


def test_the_goals_of_issue_17_are_judged_from_the_figures():
    """The verdicts are computed: reads kept while writing, the p99 at 64 clients, an update's p99 against its idle
    median — a figure just past each goal misses it, one within it meets it."""
    def run(kept: float, p99_at_64: float, loaded_update_p99: float) -> dict[str, bool]:
        reads = {"req_per_s": 100.0 * kept, "p99_ms": p99_at_64, "status_5xx": 0}
        phase = {"clients": 64, "reads": reads, "writes": {"updates": {"status_5xx": 0}},
                 "verified": {"lost_submissions": [], "lost_inserts": []}}
        results = {"phases": [phase], "baseline": [{"clients": 64, "req_per_s": 100.0, "status_5xx": 0}],
                   "after_restart": {"lost_submissions": [], "lost_inserts": []},
                   "idle_updates": {"updates": {"writes": 30, "p50_ms": 100.0, "p99_ms": 150.0}},
                   "updates_under_reads": {"clients": 32, "updates": {"writes": 30, "p99_ms": loaded_update_p99}}}
        return {g["key"]: g["ok"] for g in load_report.goal_rows(results)}

    assert run(0.8, 1000, 200) == dict.fromkeys(("reads_kept_64", "p99_at_64", "no_5xx", "no_lost_write", "update_p99"), True)
    assert run(0.79, 1001, 201) == {"reads_kept_64": False, "p99_at_64": False, "no_5xx": True, "no_lost_write": True,
                                    "update_p99": False}


def test_a_benchmark_rewrites_only_its_own_section_of_the_page(tmp_path):
    page = tmp_path / "benchmarks.md"
    page.write_text("# Benchmarks\n\nthe canned queries' figures\n", encoding="utf-8")
    sections.replace_section("serving", ["## Serving", "", "first run"], page)
    sections.replace_section("writes", ["## Writes", "", "w"], page)
    sections.replace_section("serving", ["## Serving", "", "second run"], page)
    text = page.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nthe canned queries' figures\n")
    assert "second run" in text and "first run" not in text and text.index("## Serving") < text.index("## Writes")
    kept = sections.owned_sections(text)  # what bench/report.py writes back after its own part of the page
    assert [block.splitlines()[1] for block in kept] == ["## Serving", "## Writes"]


def test_the_wrk_script_carries_the_whole_mix():
    script = load_reads.wrk_script()
    assert script.count("weight = ") == len(load_reads.READS)
    for read in load_reads.READS:
        assert json.dumps(read.path) in script  # a JSON string literal is the Lua literal here


def test_a_harvest_ending_while_its_status_is_read_is_not_shown_ended_without_its_run(tmp_path, monkeypatch):
    """Found by the load test: ``/harvest/NAME`` read the source's runs, then whether a harvest was running, so a
    harvest that ended between the two reads showed ``"running": false`` with the runs from before it — a client
    waiting for its check to end took the previous run for its own. The flag is read first now: an answer that
    says "not running" lists every run that ended before it."""
    from server import create_app
    from tests.conftest import TEST_DATA, make_settings
    from web import harvest

    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[source]]\nname = "good"\nkind = "rdf"\nurl = "{TEST_DATA / "harvest" / "good.ttl"}"\n',
                       encoding="utf-8")
    app = create_app(make_settings(tmp_path, harvest_sources=sources))
    try:
        with app.app_context():
            checks = harvest.checks()
        read_runs = harvest.runs_of

        def runs_then_the_harvest_ends(name: str, limit: int) -> list[dict]:
            runs = read_runs(name, limit)
            checks.done(name)  # it ends (run written, snapshot renewed) just after its runs were read
            return runs

        monkeypatch.setattr(harvest, "runs_of", runs_then_the_harvest_ends)
        for page in ("/harvest/good?format=json", "/harvest?format=json"):
            assert checks.start("good")  # a harvest of "good" is under way
            status = app.test_client().get(page).get_json()
            source = status if "runs" in status else status["sources"][0]
            assert source["runs"] == [] and source["running"] is True, (page, source)
    finally:
        app.extensions["tscgraph.shutdown"]()
