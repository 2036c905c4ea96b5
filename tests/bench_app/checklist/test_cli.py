"""``bench-app checklist …`` through the real CLI dispatcher and a real database file."""

from __future__ import annotations

import json

import pytest

from bench_app.checklist import find_template
from bench_app.cli import main
from bench_app.store import Store


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "cli.db"
    with Store.open(path) as store:
        sid = store.create_session("BSCP601-CLI", "cop-compliance")
    return str(path), sid


def test_list_shows_bundled_templates(capsys):
    assert main(["checklist", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    by_name = {r["name"]: r for r in rows}
    assert by_name["bscp601-protocol-cop1-2-3-5-10"]["steps"] == 14
    assert by_name["cop-compliance-core"]["version"]


def test_run_record_attach_confirm_show(db, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # the table wraps to the terminal; keep phrases whole
    path, sid = db
    base = ["--session", str(sid), "--db", path]
    assert main(["checklist", "run", *base, "--template", "cop-compliance-core", "--auto"]) == 0
    out = capsys.readouterr().out
    assert "CC-01    not-run  not run: no meter connected" in out
    assert "0 pass" not in out and "9 not-run" in out
    assert (
        main(
            [
                "checklist",
                "record",
                *base,
                "--step",
                "CC-06",
                "--actual",
                "four levels in the manual",
                "--verdict",
                "pass",
                "--by",
                "A. Tester",
            ]
        )
        == 0
    )
    cert = tmp_path / "cert.pdf"
    cert.write_bytes(b"%PDF-1.4 x")
    assert main(["checklist", "attach", *base, "--step", "CC-09", "--file", str(cert)]) == 0
    capsys.readouterr()
    assert main(["checklist", "show", *base]) == 0
    table = capsys.readouterr().out
    assert "Objective" in table and "| Verdict" in table
    assert "four levels in the manual" in table and "cert.pdf" in table
    confirm = ["checklist", "confirm", *base, "--role"]
    capsys.readouterr()
    # steps not run: refused (exit 2, names them), unless accepted — a deviation
    assert main([*confirm, "tester", "--name", "A. Tester"]) == 2
    assert "step(s) not run" in capsys.readouterr().err
    assert main([*confirm, "tester", "--name", "A. Tester", "--accept-incomplete"]) == 0
    # the same person cannot confirm as the witness too
    assert main([*confirm, "witness", "--name", " a. tester", "--accept-incomplete"]) == 2
    assert "another person" in capsys.readouterr().err
    assert main([*confirm, "witness", "--name", "B. W", "--accept-incomplete"]) == 0
    capsys.readouterr()
    with Store.open(path) as store:
        from bench_app.checklist.verdict import overall_result

        kinds = [d.kind for d in overall_result(store, sid).deviations]
        assert kinds.count("incomplete-run") == 2
    # a confirmed run refuses edits with a clear error and the store's exit code
    code = main(["checklist", "record", *base, "--step", "CC-07", "--actual", "x", "--verdict",
                 "pass", "--by", "A. Tester"])  # fmt: skip
    assert code == 6
    assert "confirmed" in capsys.readouterr().err
    assert main(["checklist", "show", *base, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["run"]["status"] == "confirmed"
    steps = {s["step"]: s for s in data["steps"]}
    assert steps["CC-06"]["verdict"] == "pass" and steps["CC-06"]["by"] == "A. Tester"
    assert steps["CC-09"]["evidence"]["attachment_ids"]
    # supersede with a reason starts a new, open run that records the template version
    assert (
        main(
            [
                "checklist",
                "run",
                *base,
                "--template",
                "cop-compliance-core",
                "--auto",
                "--step",
                "CC-07",
                "--supersede",
                "re-test after firmware update",
            ]
        )
        == 0
    )
    with Store.open(path) as store:
        runs = store.checklist_runs(sid)
        assert [r["status"] for r in runs] == ["superseded", "open"]
        assert runs[-1]["template_version"] == find_template("cop-compliance-core").version
        assert store.verify(sid).ok


@pytest.mark.parametrize(
    ("argv", "code", "words"),
    [
        (["run", "--template", "nope", "--auto"], 9, "no checklist template 'nope'"),
        (["run", "--template", "cop-compliance-core", "--step", "XX"], 9, "no step 'XX'"),
        (["run", "--template", "cop-compliance-core", "--port", "socket://x:1"], 2, "--protocol"),
        (["show"], 2, "no checklist run yet"),
        (
            ["confirm", "--template", "cop-compliance-core", "--role", "tester", "--name", "A"],
            2,
            "no run of cop-compliance-core",
        ),
    ],
)
def test_errors_are_messages_with_exit_codes(db, capsys, argv, code, words):
    path, sid = db
    full = ["checklist", argv[0], "--session", str(sid), "--db", path, *argv[1:]]
    assert main(full) == code
    assert words in capsys.readouterr().err


def test_unknown_session_is_not_found(db, capsys):
    path, _ = db
    assert (
        main(
            [
                "checklist",
                "show",
                "--session",
                "99",
                "--db",
                path,
                "--template",
                "cop-compliance-core",
            ]
        )
        == 6
    )
    assert "99" in capsys.readouterr().err
