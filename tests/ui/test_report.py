"""Report panel: render, preview, sign (tester), countersign (witness), verify; errors inline."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest

from bench_app.signing import new_self_signed, verify_pdf
from drivers.model import Channel, ProfileRow
from ui.panels.report import NewKeyDialog, ReportPanel

PASS = b"correct horse battery"


@pytest.fixture
def keys(tmp_path):
    t, _ = new_self_signed("Alice Tester", "Lab", "tester", tmp_path / "k", passphrase=PASS)
    w, _ = new_self_signed("Bob Witness", "Elexon", "witness", tmp_path / "k", passphrase=PASS)
    return t, w


@pytest.fixture
def panel(qtbot, ctx, tmp_path):
    cid = ctx.store.new_collection(ctx.session_id, "bench", protocol="dlms")
    start = datetime(2026, 6, 1, 23, tzinfo=UTC)
    rows = [
        ProfileRow(start + timedelta(minutes=30 * i), [0.25 + i % 7 / 10], 0) for i in range(96)
    ]
    ctx.store.add_profile_block(cid, [Channel("1.0.1.29.0.255", "kWh")], rows)
    p = ReportPanel(ctx)
    qtbot.addWidget(p)
    asked: list[str] = []  # the first signature's confirmation sheet, answered "sign"
    p.confirmations = asked  # type: ignore[attr-defined]
    p.confirm_first_signature = lambda role: asked.append(role) or True  # type: ignore[method-assign]
    qtbot.waitUntil(lambda: not p.runner.busy, timeout=10000)
    p.path_edit.setText(str(tmp_path / "out" / "report.pdf"))
    return p


def _run(qtbot, panel, action, signal="finished"):
    with qtbot.waitSignal(getattr(panel.runner, signal), timeout=60000) as sig:
        action()
    return sig.args


def _sign(qtbot, panel, role, key, passphrase, signal="finished"):
    panel.role_combo.setCurrentText(role)
    panel.key_edit.setText(str(key))
    panel.pass_edit.setText(passphrase)
    assert panel.pass_edit.echoMode() == panel.pass_edit.EchoMode.Password
    args = _run(qtbot, panel, panel.sign, signal)
    assert panel.pass_edit.text() == ""  # the passphrase is not kept in the form
    return args


def test_render_sign_countersign_verify(qtbot, ctx, panel, keys):
    tester, witness = keys
    name, state = _run(qtbot, panel, panel.render)
    assert name == "render" and state.pdf.is_file()
    if shutil.which("pdftoppm"):
        assert len(state.pages) >= 2 and len(panel.preview.page_labels) == len(state.pages)
        assert not panel.preview.placeholder.isVisibleTo(panel)
    assert panel.table.rowCount() == 0 and "NOT SIGNED" in panel.verdict_label.text()
    assert "as it is now" in panel.verify_label.text()
    assert ctx.session()["status"] == "draft"  # a preview render does not lock

    _sign(qtbot, panel, "tester", tester, PASS.decode())
    assert panel.confirmations == ["tester"]  # the first signature was confirmed on a sheet
    assert ctx.session()["status"] == "locked"  # locked before the final render
    assert panel.valid_signatures() == 1 and panel.state.result == "INCOMPLETE"
    assert "waiting for the witness's signature" in panel.verdict_label.text()  # plain text
    assert panel.role_combo.currentText() == "witness"  # the next signer is preselected
    assert "Signed as tester by Alice Tester" in panel.message.label.text()

    panel.role_combo.setCurrentText("witness")
    assert panel.sign_btn.isEnabled() and panel.sign_btn.text() == "Sign as witness"
    # the witness countersigns only what verifies with their trust: the tester's certificate
    assert panel.set_trust([tester.with_suffix(".pem")], quiet=True)
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=60000)  # its re-check has run
    _sign(qtbot, panel, "witness", witness, PASS.decode())
    assert panel.confirmations == ["tester"]  # a countersignature locks nothing new: no sheet
    assert "Countersigned as witness by Bob Witness" in panel.message.label.text()
    # once countersigned, "Sign as witness" is disabled and says by whom
    assert not panel.sign_btn.isEnabled() and "Bob Witness" in panel.sign_btn.toolTip()
    # the full session hash is there (elided in the middle only when space is short)
    assert panel.hash_label.full_text() == panel.state.report_hash
    assert (
        len(panel.state.report_hash) == 64 and panel.state.report_hash in panel.hash_label.toolTip()
    )
    assert panel.table.rowCount() == 2 and panel.valid_signatures() == 2
    roles = {panel.table.item(r, 0).text() for r in range(2)}
    assert roles == {"tester", "witness"}
    for r in range(2):
        assert panel.table.item(r, 3).text().startswith("✔")  # intact
        assert panel.table.item(r, 4).text().startswith("✔")  # valid
    # nobody trusted yet: intact and valid, but never OK
    assert panel.state.result == "UNTRUSTED" and "UNTRUSTED" in panel.verdict_label.text()
    assert "every row they cover re-verified" in panel.verify_label.text()
    assert [s.ok for s in verify_pdf(panel.pdf_path())] == [True, True]  # independent check

    # a signed report is never overwritten by Render
    name, exc = _run(qtbot, panel, panel.render, "failed")
    assert "already holds signatures" in str(exc)
    assert "already holds signatures" in panel.message.label.text()


def test_preview_zoom_fit_width_and_page_navigation(qtbot, ctx, panel):
    if not shutil.which("pdftoppm"):
        pytest.skip("page preview needs poppler's pdftoppm")
    panel.resize(1366 - 260, 720)
    panel.show()
    qtbot.waitExposed(panel)
    _run(qtbot, panel, panel.render)
    pv = panel.preview
    qtbot.wait(50)  # fit width follows the viewport once the layout has settled (scroll bar)
    qtbot.waitUntil(lambda: not pv._refit_timer.isActive(), timeout=2000)
    n = len(pv.page_labels)
    assert n >= 2 and pv.fit and pv.count_label.text() == f"of {n}"
    # fit width: the page fills the viewport width (readable), not a 500 px thumbnail
    page_w = pv.page_labels[0].pixmap().width()
    avail = pv.scroll_area.viewport().width()
    assert avail - 60 <= page_w <= avail
    pv.step_zoom(1)
    assert not pv.fit and pv.page_labels[0].pixmap().width() > page_w
    pv.set_zoom(50)
    assert pv.zoom == 50 and pv.zoom_label.text() == "50 %"
    pv.set_fit(True)
    assert pv.page_labels[0].pixmap().width() == page_w
    pv.go_to(n - 1)
    assert pv.scroll_area.verticalScrollBar().value() > 0
    assert pv.current_page() == n - 1 or pv.scroll_area.verticalScrollBar().value() == (
        pv.scroll_area.verticalScrollBar().maximum()
    )
    assert not pv.next_btn.isEnabled() or pv.current_page() < n - 1
    pv.go_to(0)
    assert pv.current_page() == 0 and pv.page_spin.value() == 1 and not pv.prev_btn.isEnabled()


def test_wrong_passphrase_is_inline_and_changes_nothing(qtbot, ctx, panel, keys):
    tester, _ = keys
    name, exc = _sign(qtbot, panel, "tester", tester, "not the passphrase", "failed")
    text = panel.message.label.text()
    assert name == "sign" and "Signing failed" in text and "wrong passphrase" in text
    assert "Traceback" not in text
    assert ctx.session()["status"] == "draft"  # nothing locked
    assert not panel.pdf_path().exists()  # nothing written
    panel.key_edit.clear()
    panel.sign()
    assert "key file" in panel.message.label.text()


def test_create_key_fills_the_form(qtbot, ctx, panel, tmp_path):
    dlg = NewKeyDialog("witness")
    qtbot.addWidget(dlg)
    dlg.name.setText("Carol Witness")
    dlg.pass1.setText("short")
    dlg.pass2.setText("short")
    assert "8 characters" in dlg.validate()
    dlg.pass1.setText("long enough pass")
    dlg.pass2.setText("long enough pass")
    dlg.folder.setText(str(tmp_path / "keys"))
    assert dlg.validate() is None
    p12 = panel.create_key(dlg)
    assert p12 is not None and p12.is_file() and panel.key_edit.text() == str(p12)
    assert panel.role_combo.currentText() == "witness"
    assert panel.create_key(dlg) is None  # files exist: inline message, no traceback
    assert "already exists" in panel.message.label.text()
