"""Signer roles: a key carries its role and holder; tester and witness are different people."""

from __future__ import annotations

import pytest

from bench_app.cli import main
from bench_app.errors import SigningError
from bench_app.report import render_report
from bench_app.signing import new_self_signed, sign_pdf
from bench_app.signing.verify import verify_report
from tests.bench_app.report.sample_data import synthetic_report_data

#: key name → (holder, organisation, role, passphrase); "alice-witness" is the tester who made
#: herself a witness key too (same person, other spelling).
KEYS = {
    "tester": ("Alice Tester", "Meter Co", "tester", b"tester-pass-1"),
    "witness": ("Bob Witness", "Elexon", "witness", b"witness-pass-1"),
    "alice-witness": ("alice  TESTER", "Elexon", "witness", b"alice-pass-1"),
}


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp("rolekeys")
    return {k: new_self_signed(n, o, r, d, passphrase=p) for k, (n, o, r, p) in KEYS.items()}


@pytest.fixture
def tester_signed(tmp_path, keys):
    pdf = render_report(synthetic_report_data(days=1, channels=1), tmp_path / "r.pdf")
    sign_pdf(pdf, pdf, keys["tester"][0], b"tester-pass-1", "tester")
    return pdf


def test_tester_key_cannot_sign_as_witness(tester_signed, keys):
    before = tester_signed.read_bytes()
    with pytest.raises(SigningError, match="cannot sign as witness: Alice Tester's certificate "
                       "is a tester key"):  # fmt: skip
        sign_pdf(tester_signed, tester_signed, keys["tester"][0], b"tester-pass-1", "witness")
    assert tester_signed.read_bytes() == before


def test_witness_key_cannot_sign_as_tester(tmp_path, keys):
    pdf = render_report(synthetic_report_data(days=1, channels=1), tmp_path / "r.pdf")
    with pytest.raises(SigningError, match="is a witness key"):
        sign_pdf(pdf, pdf, keys["witness"][0], b"witness-pass-1", "tester")


def test_same_person_cannot_witness_her_own_test(tester_signed, keys):
    same = "'alice  TESTER' is the same person as the tester 'Alice Tester'"
    with pytest.raises(SigningError, match=same):
        sign_pdf(tester_signed, tester_signed, keys["alice-witness"][0], b"alice-pass-1", "witness")


def test_a_real_witness_can_countersign(tester_signed, keys):
    sign_pdf(tester_signed, tester_signed, keys["witness"][0], b"witness-pass-1", "witness")
    trust = [keys["tester"][1], keys["witness"][1]]
    assert verify_report(tester_signed, trust, check_db=False) == 0


def test_verify_refuses_a_same_person_report_signed_around_the_check(
    tester_signed, keys, monkeypatch, capsys
):
    """A report produced by other software (no role check when signing) still fails verify."""
    import bench_app.signing.sign as sign_module

    monkeypatch.setattr(sign_module, "check_role", lambda *a, **k: None)
    sign_pdf(tester_signed, tester_signed, keys["alice-witness"][0], b"alice-pass-1", "witness")
    trust = [keys["tester"][1], keys["alice-witness"][1]]
    assert verify_report(tester_signed, trust, check_db=False) == 11
    assert "tester and witness are the same person (Alice Tester)" in capsys.readouterr().out


def test_verify_refuses_a_key_made_for_the_other_role(tmp_path, keys, monkeypatch, capsys):
    import bench_app.signing.sign as sign_module

    monkeypatch.setattr(sign_module, "check_role", lambda *a, **k: None)
    pdf = render_report(synthetic_report_data(days=1, channels=1), tmp_path / "r.pdf")
    sign_pdf(pdf, pdf, keys["witness"][0], b"witness-pass-1", "tester")
    assert verify_report(pdf, [keys["witness"][1]], check_db=False) == 11
    assert "Sig_tester is signed with a witness key (Bob Witness)" in capsys.readouterr().out


def test_keys_new_prints_role_holder_and_fingerprint(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WITNESS_BENCH_PASSPHRASE", "carol-pass-1")
    args = ["keys", "new", "--name", "Carol", "--role", "witness", "--out", str(tmp_path)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "role witness, holder Carol" in out
    assert "certificate SHA-256 " in out


def test_a_report_without_the_witness_signature_is_not_ok(tester_signed, keys, capsys):
    assert verify_report(tester_signed, [keys["tester"][1]], check_db=False) == 11
    assert "Sig_witness: not signed" in capsys.readouterr().out


def test_a_third_signature_added_later_is_not_ok(tester_signed, keys, tmp_path, capsys):
    """A signature in a field of its own (allowed by PDF rules) is still not part of a report."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    from bench_app.signing.sign import load_signer

    sign_pdf(tester_signed, tester_signed, keys["witness"][0], b"witness-pass-1", "witness")
    extra = new_self_signed("Eve Extra", "", "witness", tmp_path, passphrase=b"eve-pass-12")
    meta = signers.PdfSignatureMetadata(field_name="Sig_extra", md_algorithm="sha256")
    out = tmp_path / "three.pdf"
    with tester_signed.open("rb") as inf, out.open("wb") as outf:
        writer = IncrementalPdfFileWriter(inf, strict=False)
        fields.append_signature_field(writer, fields.SigFieldSpec("Sig_extra"))
        signers.PdfSigner(meta, signer=load_signer(extra[0], b"eve-pass-12")).sign_pdf(
            writer, output=outf
        )
    trust = [keys["tester"][1], keys["witness"][1], extra[1]]
    assert verify_report(out, trust, check_db=False) == 11
    assert "Sig_extra: a signature field a witness report does not have" in capsys.readouterr().out
