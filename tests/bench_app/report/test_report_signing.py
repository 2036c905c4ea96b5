"""Signing and verification on real PDFs: pyHanko validation, poppler's pdfsig, tampering."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12

from bench_app.errors import SigningError, UsageError
from bench_app.report import render_report
from bench_app.signing import (
    PASSPHRASE_ENV,
    new_self_signed,
    read_passphrase,
    sign_pdf,
    verify_pdf,
    verify_report,
)
from bench_app.signing.verify import report_info
from tests.bench_app.report.sample_data import synthetic_report_data


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp("keys")
    return {
        "tester": new_self_signed(
            "Alice Tester", "Meter Co", "tester", d, passphrase=b"tester-pass"
        ),
        "witness": new_self_signed(
            "Bob Witness", "Elexon", "witness", d, passphrase=b"witness-pass"
        ),
    }


@pytest.fixture(scope="module")
def signed(tmp_path_factory, keys):
    d = tmp_path_factory.mktemp("signed")
    data = synthetic_report_data(days=90, channels=4, discrepancies=50)
    pdf = render_report(data, d / "report.pdf")
    sign_pdf(pdf, pdf, keys["tester"][0], b"tester-pass", "tester")
    sign_pdf(pdf, pdf, keys["witness"][0], b"witness-pass", "witness")
    return data, pdf


def _trust(keys):
    return [keys["tester"][1], keys["witness"][1]]


def test_two_signatures_intact_valid_and_trusted(signed, keys):
    _, pdf = signed
    reports = verify_pdf(pdf, _trust(keys))
    assert [r.field for r in reports] == ["Sig_tester", "Sig_witness"]
    assert [r.signer for r in reports] == ["Alice Tester (Meter Co)", "Bob Witness (Elexon)"]
    for r in reports:
        assert r.intact and r.valid and r.trusted and r.docmdp_ok, r
        assert r.signing_time is not None
    assert reports[0].coverage == "ENTIRE_REVISION"
    assert reports[1].coverage == "ENTIRE_FILE"
    assert verify_report(pdf, _trust(keys), check_db=False) == 0


def test_without_trust_roots_signatures_are_untrusted_not_ok(signed, capsys):
    _, pdf = signed
    reports = verify_pdf(pdf, None)
    assert all(r.intact and r.valid and not r.trusted for r in reports)
    assert verify_report(pdf, None, check_db=False) == 15
    out = capsys.readouterr().out
    assert out.count("UNTRUSTED") == 3 and out.splitlines()[-1] == "UNTRUSTED"
    assert "session data: NOT CHECKED" in out


def test_trust_that_misses_a_signer_is_untrusted(signed, keys, capsys):
    _, pdf = signed
    assert verify_report(pdf, [keys["tester"][1]], check_db=False) == 15
    out = capsys.readouterr().out
    assert "Sig_tester: Alice Tester (Meter Co) [tester], signed" in out
    assert ", trusted," in out and out.splitlines()[-1] == "UNTRUSTED"


def test_pdfsig_lists_two_valid_signatures(signed):
    _, pdf = signed
    if shutil.which("pdfsig") is None:
        pytest.skip("pdfsig (poppler-utils) not installed")
    out = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True).stdout
    assert out.count("Signature Validation: Signature is Valid.") == 2, out
    assert "Sig_tester" in out and "Sig_witness" in out


def test_metadata_survives_signing(signed):
    data, pdf = signed
    info = report_info(pdf)
    assert info["audit_head"] == data.audit_head
    assert info["session_id"] == str(data.session["id"])


@pytest.mark.parametrize("which", [0, 1])
def test_flipping_one_signed_byte_fails_verification(signed, keys, tmp_path, which, capsys):
    _, pdf = signed
    raw = bytearray(pdf.read_bytes())
    ranges = [
        tuple(map(int, m.groups()))
        for m in re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", raw)
    ]
    assert len(ranges) == 2
    start, length = ranges[which][0], ranges[which][1]
    offset = start + length // 3  # inside the first signed range of that signature
    raw[offset] ^= 0x01
    bad = tmp_path / "tampered.pdf"
    bad.write_bytes(bytes(raw))
    assert verify_report(bad, _trust(keys), check_db=False) == 11
    assert "FAILED" in capsys.readouterr().out
    if which == 0:
        _closed_pipe_keeps_the_exit_code(bad)


def _closed_pipe_keeps_the_exit_code(bad) -> None:
    """``bench-app verify tampered.pdf | head -1``: the reader goes away, the command still
    exits with its own FAILED code (not 0, not a traceback)."""
    import sys
    from pathlib import Path

    exe = Path(sys.executable).with_name("bench-app")
    script = f"'{exe}' verify --no-db '{bad}' | true; echo ${{PIPESTATUS[0]}}"
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "11", (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


def test_wrong_passphrase_writes_nothing(signed, keys, tmp_path):
    _, pdf = signed
    out = tmp_path / "out.pdf"
    with pytest.raises(SigningError, match="wrong passphrase"):
        sign_pdf(pdf, out, keys["tester"][0], b"not-it", "tester")
    assert list(tmp_path.iterdir()) == []


def test_same_role_cannot_sign_twice_and_file_is_untouched(signed, keys):
    _, pdf = signed
    before = pdf.read_bytes()
    with pytest.raises(SigningError, match="already signed"):
        sign_pdf(pdf, pdf, keys["tester"][0], b"tester-pass", "tester")
    assert pdf.read_bytes() == before
    assert not [p for p in pdf.parent.iterdir() if p.name.startswith(".signing-")]


def test_unsigned_or_garbage_pdf_fails(tmp_path):
    plain = render_report(synthetic_report_data(days=1, channels=1), tmp_path / "plain.pdf")
    assert verify_report(plain, None, check_db=False) == 11
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"not a pdf at all")
    assert verify_report(junk, None, check_db=False) == 11


def test_new_key_is_encrypted_with_signing_key_usage(keys):
    p12, pem = keys["witness"]
    data = p12.read_bytes()
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(data, None)
    key, cert, _ = pkcs12.load_key_and_certificates(data, b"witness-pass")
    assert key is not None
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.digital_signature and ku.content_commitment and not ku.key_cert_sign
    assert x509.load_pem_x509_certificate(pem.read_bytes()) == cert
    assert (p12.stat().st_mode & 0o077) == 0
    with pytest.raises(UsageError, match="already exists"):
        new_self_signed("Bob Witness", "Elexon", "witness", p12.parent, passphrase=b"x-long-pass")
    with pytest.raises(UsageError, match="role"):
        new_self_signed("Bob", "Elexon", "boss", p12.parent, passphrase=b"x-long-pass")


def test_read_passphrase_sources(tmp_path, monkeypatch):
    f = tmp_path / "pass.txt"
    f.write_text("from-file\nignored\n")
    monkeypatch.setenv(PASSPHRASE_ENV, "from-env")
    assert read_passphrase(f) == b"from-file"
    assert read_passphrase(None) == b"from-env"
    monkeypatch.delenv(PASSPHRASE_ENV)
    monkeypatch.setattr("sys.stdin", open("/dev/null"))  # noqa: SIM115 - not a terminal
    with pytest.raises(UsageError, match="passphrase"):
        read_passphrase(None)
    with pytest.raises(UsageError, match="cannot read"):
        read_passphrase(tmp_path / "missing.txt")
