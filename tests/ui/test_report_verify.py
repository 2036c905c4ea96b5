"""The Report panel judges a signed report exactly as ``bench-app verify`` does.

Real keys, a real report signed by tester and witness (pyHanko), a real SQLite file edited with
plain SQL: an untrusted report is UNTRUSTED, a report whose database row was edited is FAILED
naming the row, a trusted intact one is OK — the panel used to compare the audit head only.
"""

from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtWidgets import QFileDialog

from bench_app.cli import main
from bench_app.signing import new_self_signed
from bench_app.signing.sign import load_signer
from bench_app.signing.workflow import write_report
from tests.bench_app.report.report_fixtures import fill_session
from ui.panels.report import GOOD, ReportPanel

PASS = b"correct horse battery"


@pytest.fixture
def signed(qapp, store, tmp_path):
    """A filled session, both keys and its report signed by tester then witness."""
    from ui.app import make_app
    from ui.context import BenchContext

    make_app()
    k = tmp_path / "keys"
    tester = new_self_signed("Alice Tester", "Meter Co", "tester", k, passphrase=PASS)
    witness = new_self_signed("Bob Witness", "Elexon", "witness", k, passphrase=PASS)
    sid = fill_session(store)
    pdf = tmp_path / "reports" / "r.pdf"
    pdf.parent.mkdir()
    write_report(store, sid, pdf, signer=load_signer(tester[0], PASS), role="tester")
    witness_signer = load_signer(witness[0], PASS)
    write_report(store, sid, pdf, signer=witness_signer, role="witness", trust=[str(tester[1])])
    ctx = BenchContext(store, store.path)
    ctx.set_session(sid)
    yield {"ctx": ctx, "pdf": pdf, "tester": tester[1], "witness": witness[1]}
    ctx.shutdown()


def _panel(qtbot, signed, trust=()):
    p = ReportPanel(signed["ctx"])
    qtbot.addWidget(p)
    qtbot.waitUntil(lambda: not p.runner.busy, timeout=30000)
    p.path_edit.setText(str(signed["pdf"]))
    if trust:
        with qtbot.waitSignal(p.runner.finished, timeout=60000):
            assert p.set_trust(list(trust))
    else:
        with qtbot.waitSignal(p.runner.finished, timeout=60000):
            p.inspect()
    return p


def _cli(signed, trust) -> int:
    args = ["verify", str(signed["pdf"]), "--db", str(signed["ctx"].db_path)]
    for t in trust:
        args += ["--trust", str(t)]
    return main(args)


def _is_green(panel) -> bool:
    return GOOD.lower() in panel.verdict_label.styleSheet().lower()


def test_untrusted_report_shows_untrusted_never_ok(qtbot, signed, capsys):
    panel = _panel(qtbot, signed)
    assert panel.state.result == "UNTRUSTED"
    assert panel.verdict_label.text().startswith("UNTRUSTED")
    assert "Alice Tester and Bob Witness" in panel.verdict_label.text()
    assert not _is_green(panel)
    assert "nobody yet" in panel.trust_label.full_text()
    # only the tester trusted: still UNTRUSTED (the witness is named), like the CLI (exit 15)
    with qtbot.waitSignal(panel.runner.finished, timeout=60000):
        panel.set_trust([signed["tester"]])
    assert panel.state.result == "UNTRUSTED" and "Bob Witness" in panel.verdict_label.text()
    assert "Alice Tester" in panel.trust_label.full_text()
    assert _cli(signed, [signed["tester"]]) == 15
    # each signer's certificate fingerprint is shown, split as in its signature box
    details = panel.verify_label.text()
    for s in panel.state.signatures:
        half = len(s.fingerprint) // 2 + 1
        assert len(s.fingerprint) == 95
        assert s.fingerprint[:half] in details and s.fingerprint[half:] in details


def test_trusted_intact_report_is_ok(qtbot, signed, capsys):
    panel = _panel(qtbot, signed, [signed["tester"], signed["witness"]])
    assert panel.state.result == "OK" and panel.verdict_label.text().startswith("OK")
    assert _is_green(panel) and not panel.state.problems
    assert "every row they cover re-verified" in panel.verify_label.text()
    assert "Problems" not in panel.verify_label.text()
    assert _cli(signed, [signed["tester"], signed["witness"]]) == 0


def test_edited_database_row_fails_and_names_it(qtbot, signed, capsys):
    db = signed["ctx"].db_path
    with sqlite3.connect(db) as conn:  # the audit head is untouched: the old check said "matches"
        assert conn.execute("UPDATE readings SET value = value + 0.001 WHERE id = 7").rowcount
    conn.close()
    panel = _panel(qtbot, signed, [signed["tester"], signed["witness"]])
    assert panel.state.result == "FAILED" and panel.verdict_label.text().startswith("FAILED")
    assert not _is_green(panel)
    assert any("readings id 7" in p for p in panel.state.problems)
    assert "readings id 7" in panel.verify_label.text()
    assert "Traceback" not in panel.verify_label.text()
    assert _cli(signed, [signed["tester"], signed["witness"]]) == 11
    # the table still shows both signatures intact and valid: the data is what failed
    assert panel.valid_signatures() == 2


def test_unreadable_trust_file_is_refused_inline(qtbot, signed, tmp_path, monkeypatch):
    panel = _panel(qtbot, signed, [signed["tester"], signed["witness"]])
    junk = tmp_path / "not-a-cert.pem"
    junk.write_text("hello")
    monkeypatch.setattr(
        QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: ([str(junk)], ""))
    )
    panel.choose_trust()
    assert "Certificates not trusted" in panel.message.label.text()
    assert "not-a-cert.pem" in panel.message.label.text()
    assert panel.trust == [signed["tester"], signed["witness"]]  # the previous choice stays
    assert panel.state.result == "OK"


def test_trusted_certificates_are_remembered(qtbot, signed):
    from ui.main_window import MainWindow

    w = MainWindow(signed["ctx"], remember=True)
    qtbot.addWidget(w)
    w.report.trust = [signed["tester"], signed["witness"]]
    w.close()
    w2 = MainWindow(signed["ctx"], remember=True)
    qtbot.addWidget(w2)
    assert w2.report.trust == [signed["tester"], signed["witness"]]
    assert "Bob Witness" in w2.report.trust_label.full_text()
    qtbot.waitUntil(lambda: not w2.report.runner.busy, timeout=60000)


def test_another_sessions_report_is_never_green(qtbot, signed):
    ctx = signed["ctx"]
    other = ctx.store.create_session("OTHER-1", "protocol-approval")
    ctx.set_session(other)
    panel = _panel(qtbot, signed, [signed["tester"], signed["witness"]])
    assert panel.state.result == "OK"  # the report itself verifies against its own session
    assert "BSCP601-TEST-0001" in panel.verdict_label.text() and not _is_green(panel)
    assert "not of the session open in the window" in panel.verify_label.text()


def test_a_report_of_an_older_page_layout_is_never_green(qtbot, signed, capsys, monkeypatch):
    """As if the next build drew the next layout differently: the report's pages (this build's
    layout) are not re-drawn, and the panel says so on an amber band, as the CLI does (exit 17)."""
    from bench_app.report import layout
    from bench_app.report import render as render_mod
    from bench_app.signing import statement_check

    drawn = layout.LAYOUT_VERSION
    monkeypatch.setattr(layout, "LAYOUT_VERSION", drawn + 1)
    monkeypatch.setattr(statement_check, "LAYOUT_VERSION", drawn + 1)
    monkeypatch.setattr(render_mod, "render_bytes", lambda _s: b"%PDF-1.4 another drawing")
    panel = _panel(qtbot, signed, [signed["tester"], signed["witness"]])
    assert panel.state.result == "PAGES NOT RE-DRAWN", panel.state.problems
    assert panel.verdict_label.text().startswith("PAGES NOT RE-DRAWN") and not _is_green(panel)
    assert f"pages drawn by layout {drawn}" in panel.verify_label.text()
    assert f"this build draws layout {drawn + 1}" in panel.verify_label.text()
    assert _cli(signed, [signed["tester"], signed["witness"]]) == 17
