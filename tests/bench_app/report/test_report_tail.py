"""After the last signature only DSS data may change: bytes after ``%%EOF`` and catalog/AcroForm
edits (/NeedAppearances, /SigFlags, /DA, /Version) are FAILED; a certificate subject with terminal
escapes cannot make ``verify`` show OK. Real keys, real signed PDFs, pyHanko's own writer."""

from __future__ import annotations

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from bench_app.report import render_report
from bench_app.signing import new_self_signed, sign_pdf
from bench_app.signing.verify import verify_report
from tests.bench_app.report.certfactory import PASS, make_cert, name, new_key, write_p12
from tests.bench_app.report.sample_data import synthetic_report_data

T_PASS, W_PASS = b"tester-pass-1", b"witness-pass-1"


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    d = tmp_path_factory.mktemp("tail")
    t = new_self_signed("Alice Tester", "Meter Co", "tester", d, passphrase=T_PASS)
    w = new_self_signed("Bob Witness", "Elexon", "witness", d, passphrase=W_PASS)
    pdf = render_report(synthetic_report_data(days=1, channels=1), d / "r.pdf")
    sign_pdf(pdf, pdf, t[0], T_PASS, "tester")
    sign_pdf(pdf, pdf, w[0], W_PASS, "witness")
    return pdf, [str(t[1]), str(w[1])]


def _verify(pdf, trust, capsys):
    code = verify_report(pdf, trust, check_db=False)
    return code, capsys.readouterr().out


def test_the_untouched_report_is_ok(signed, capsys):
    assert _verify(*signed, capsys)[0] == 0


def test_bytes_after_the_final_eof_fail(signed, tmp_path, capsys):
    pdf, trust = signed
    bad = tmp_path / "eof.pdf"
    bad.write_bytes(pdf.read_bytes() + b"\nBT /F1 12 Tf (Overall result: PASS) Tj ET\n")
    code, out = _verify(bad, trust, capsys)
    assert code == 11 and "byte(s) follow the final %%EOF" in out
    fine = tmp_path / "eol.pdf"  # an end-of-line after %%EOF is not content
    fine.write_bytes(pdf.read_bytes() + b"\r\n")
    assert _verify(fine, trust, capsys)[0] == 0


def _form(key, value):
    def change(w):
        w.root["/AcroForm"][generic.NameObject(key)] = value
        raw = w.root.raw_get("/AcroForm")
        if isinstance(raw, generic.IndirectObject):
            w.mark_update(raw)
        else:
            w.update_root()

    return change


def _catalog(key, value):
    def change(w):
        w.root[generic.NameObject(key)] = value
        w.update_root()

    return change


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (
            _form("/NeedAppearances", generic.BooleanObject(True)),
            "form (AcroForm): /NeedAppearances",
        ),
        (_form("/SigFlags", generic.NumberObject(0)), "form (AcroForm): /SigFlags"),
        (_form("/DA", generic.TextStringObject("/Helv 0 Tf 0 g")), "form (AcroForm): /DA"),
        (_catalog("/Version", generic.NameObject("/1.7")), "catalog: /Version"),
    ],
    ids=["NeedAppearances", "SigFlags", "DA", "Version"],
)
def test_catalog_and_form_changes_after_signing_fail(signed, tmp_path, change, said, capsys):
    pdf, trust = signed
    bad = tmp_path / "changed.pdf"
    with pdf.open("rb") as fh:
        w = IncrementalPdfFileWriter(fh, strict=False)
        w._update_meta = lambda: None  # a careful adversary leaves /Info alone
        change(w)
        with bad.open("wb") as out:
            w.write(out)
    code, out = _verify(bad, trust, capsys)
    assert code == 11 and f"problem: unsigned revision 3 changed the {said}" in out, out


def test_terminal_escapes_in_a_subject_cannot_show_ok(tmp_path, capsys):
    """CN ends with "erase line, carriage return, OK": printed raw, the terminal would show OK
    as the last line while the exit code is 15."""
    key = new_key()
    evil = "Mallory\x1b[2K\r\nOK\x1b[8m"
    cert = make_cert(name(evil, "tester"), key)
    p12, pem = write_p12(tmp_path, "evil", key, cert)
    pdf = render_report(synthetic_report_data(days=1, channels=1), tmp_path / "r.pdf")
    sign_pdf(pdf, pdf, p12, PASS, "tester")
    code, out = _verify(pdf, [], capsys)
    assert code != 0
    assert "\x1b" not in out and "\r" not in out
    assert "OK" not in out.splitlines()
    assert "Mallory\\x1b[2K\\r\\nOK\\x1b[8m" in out
