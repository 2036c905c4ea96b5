"""Signers are pinned, not chained: the attacks of someone holding only the tester's key, on real
keys and real signed PDFs (the adversary's own software skips our signing-time role checks)."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

import bench_app.signing.sign as sign_module
from bench_app.report import render_report
from bench_app.signing import new_self_signed, sign_pdf
from bench_app.signing.verify import verify_pdf, verify_report
from tests.bench_app.report.certfactory import (
    NOW,
    PASS,
    load_p12,
    make_cert,
    name,
    new_key,
    write_p12,
)
from tests.bench_app.report.sample_data import synthetic_report_data

T_PASS, W_PASS = b"tester-pass-1", b"witness-pass-1"


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp("pinkeys")
    return {
        "tester": new_self_signed("Alice Tester", "Meter Co", "tester", d, passphrase=T_PASS),
        "witness": new_self_signed("Bob Witness", "Elexon", "witness", d, passphrase=W_PASS),
        "dir": d,
    }


@pytest.fixture
def unchecked(monkeypatch):
    """The adversary signs with software of their own: no role or key checks when signing."""
    monkeypatch.setattr(sign_module, "check_role", lambda *a, **k: None)


def _tester_signed(tmp_path, keys):
    pdf = render_report(synthetic_report_data(days=1, channels=1), tmp_path / "r.pdf")
    sign_pdf(pdf, pdf, keys["tester"][0], T_PASS, "tester")
    return pdf


def _run(pdf, trust, capsys):
    code = verify_report(pdf, [str(t) for t in trust], check_db=False)
    return code, capsys.readouterr().out


def _line(out: str, field: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(field + ":"))


@pytest.fixture
def forged_chain(tmp_path, keys, unchecked):
    """A "CN=Sam Witness, OU=witness" certificate issued by the tester's own CA:FALSE certificate,
    used to countersign the tester's report."""
    t_key, t_cert = load_p12(keys["tester"][0], T_PASS)
    s_key = new_key()
    sam = make_cert(name("Sam Witness", "witness"), s_key, issuer=t_cert, issuer_key=t_key)
    p12, pem = write_p12(tmp_path, "sam-witness", s_key, sam, chain=[t_cert])
    pdf = _tester_signed(tmp_path, keys)
    sign_pdf(pdf, pdf, p12, PASS, "witness")
    return pdf, pem


def test_forged_chain_with_both_trusted_fails(forged_chain, keys, capsys):
    pdf, sam_pem = forged_chain
    code, out = _run(pdf, [keys["tester"][1], sam_pem], capsys)
    assert code == 11 and out.splitlines()[-1] == "FAILED", out
    assert (
        "Sam Witness's certificate is issued by Alice Tester's certificate, which is not a CA"
        in out
    )


def test_forged_chain_with_only_the_tester_trusted_is_untrusted(forged_chain, keys, capsys):
    pdf, _ = forged_chain
    code, out = _run(pdf, [keys["tester"][1]], capsys)
    assert code != 0 and out.splitlines()[-1] != "OK"
    assert "UNTRUSTED" in _line(out, "Sig_witness")
    assert ", trusted," in _line(out, "Sig_tester")


def test_forged_chain_with_the_real_witness_trusted_is_not_trusted(forged_chain, keys, capsys):
    pdf, _ = forged_chain
    code, out = _run(pdf, [keys["tester"][1], keys["witness"][1]], capsys)
    assert code != 0 and "UNTRUSTED" in _line(out, "Sig_witness")


@pytest.fixture
def borrowed_key(tmp_path, keys, unchecked):
    """A witness certificate over the tester's own public key (self-signed with it)."""
    t_key, _ = load_p12(keys["tester"][0], T_PASS)
    sam = make_cert(name("Sam Witness", "witness"), t_key)
    p12, pem = write_p12(tmp_path, "sam-witness", t_key, sam)
    pdf = _tester_signed(tmp_path, keys)
    sign_pdf(pdf, pdf, p12, PASS, "witness")
    return pdf, pem


def test_witness_certificate_over_the_tester_key_fails_with_both_trusted(
    borrowed_key, keys, capsys
):
    pdf, sam_pem = borrowed_key
    code, out = _run(pdf, [keys["tester"][1], sam_pem], capsys)
    assert code == 11, out
    assert "the witness certificate (Sam Witness) is over the tester's public key" in out


def test_witness_certificate_over_the_tester_key_with_only_tester_trusted(
    borrowed_key, keys, capsys
):
    pdf, _ = borrowed_key
    code, out = _run(pdf, [keys["tester"][1]], capsys)
    assert code != 0 and "UNTRUSTED" in _line(out, "Sig_witness")


def test_a_role_the_trust_file_does_not_give_fails(tmp_path, keys, unchecked, capsys):
    """Bob's witness certificate, pinned as the tester by a trust file, signs as witness."""
    pdf = _tester_signed(tmp_path, keys)
    sign_pdf(pdf, pdf, keys["witness"][0], W_PASS, "witness")
    trust = [f"tester={keys['tester'][1]}", f"tester={keys['witness'][1]}"]
    code, out = _run(pdf, trust, capsys)
    assert code == 11
    assert (
        "Bob Witness's certificate signed as witness, but the trust file names it as the tester's"
        in out
    )


def test_a_toml_trust_file_pins_each_role(tmp_path, keys, capsys):
    pdf = _tester_signed(tmp_path, keys)
    sign_pdf(pdf, pdf, keys["witness"][0], W_PASS, "witness")
    toml = keys["dir"] / "trust.toml"
    toml.write_text(
        textwrap.dedent(f"""\
            # who may sign, and as what
            tester = ["{keys["tester"][1].name}"]
            witness = ["{keys["witness"][1].name}"]
        """)
    )
    code, out = _run(pdf, [toml], capsys)
    assert code == 0 and out.splitlines()[-1] == "OK", out
    swapped = keys["dir"] / "swapped.toml"
    swapped.write_text(
        f'tester = ["{keys["witness"][1].name}"]\nwitness = ["{keys["tester"][1].name}"]\n'
    )
    code, out = _run(pdf, [swapped], capsys)
    assert code == 11 and "the trust file names it as the witness's" in out


def test_a_trust_file_with_an_unknown_key_or_a_fake_ca_is_refused(tmp_path, keys, capsys):
    pdf = _tester_signed(tmp_path, keys)
    bad = tmp_path / "bad.toml"
    bad.write_text(f'testers = ["{keys["tester"][1]}"]\n')
    code, out = _run(pdf, [bad], capsys)
    assert code == 11 and "unknown key 'testers'" in out
    code, out = _run(pdf, [f"ca={keys['tester'][1]}"], capsys)
    assert code == 11 and "is given as a CA but is not one" in out


@pytest.fixture(scope="module")
def lab_ca(tmp_path_factory):
    d = tmp_path_factory.mktemp("labca")
    ca_key = new_key()
    ca = make_cert(name("Lab Root CA"), ca_key, ca=True, not_after=NOW + dt.timedelta(days=3650))
    _, ca_pem = write_p12(d, "lab-ca", ca_key, ca)
    out = {"ca": ca_pem, "dir": d}
    for role, cn in (("tester", "Tina Tester"), ("witness", "Wendy Witness")):
        key = new_key()
        cert = make_cert(name(cn, role), key, issuer=ca, issuer_key=ca_key)
        out[role] = write_p12(d, f"{role}-lab", key, cert, chain=[ca])
    return out


def test_a_real_lab_ca_is_trusted_for_the_roles_it_is_given(tmp_path, lab_ca, capsys):
    pdf = render_report(synthetic_report_data(days=1, channels=1), tmp_path / "r.pdf")
    sign_pdf(pdf, pdf, lab_ca["tester"][0], PASS, "tester")
    sign_pdf(pdf, pdf, lab_ca["witness"][0], PASS, "witness")
    code, out = _run(pdf, [lab_ca["ca"]], capsys)
    assert code == 0, out
    code, out = _run(pdf, [f"witness_ca={lab_ca['ca']}"], capsys)  # this CA: witnesses only
    assert code == 11 and "which the trust file allows for witness only" in out


def _dated(tmp_path, stem, not_before, not_after):
    key = new_key()
    cert = make_cert(name("Old Tester", "tester"), key, not_before=not_before, not_after=not_after)
    return write_p12(tmp_path, stem, key, cert)


@pytest.mark.parametrize(
    ("before", "after", "said"),
    [
        (dt.datetime(2020, 1, 1, tzinfo=dt.UTC), dt.datetime(2021, 1, 1, tzinfo=dt.UTC),
         "is after Old Tester's certificate expired (2021-01-01"),
        (NOW + dt.timedelta(days=30), NOW + dt.timedelta(days=400),
         "is before Old Tester's certificate is valid"),
    ],
    ids=["expired", "not-yet-valid"],
)  # fmt: skip
def test_expired_and_not_yet_valid_certificates_fail(tmp_path, before, after, said, capsys):
    p12, pem = _dated(tmp_path, "old-tester", before, after)
    pdf = render_report(synthetic_report_data(days=1, channels=1), tmp_path / "r.pdf")
    sign_pdf(pdf, pdf, p12, PASS, "tester")
    code, out = _run(pdf, [pem], capsys)
    assert code == 11 and said in out, out


class _Clock(dt.datetime):
    """``datetime`` whose ``now()`` is a fixed instant (the signer's claimed signing time)."""

    fixed = NOW

    @classmethod
    def now(cls, tz=None):
        return cls.fixed if tz is None else cls.fixed.astimezone(tz)


def _sign_at(monkeypatch, when, *args):
    import pyhanko.sign.signers.pdf_signer as pdf_signer

    _Clock.fixed = when
    monkeypatch.setattr(pdf_signer, "datetime", _Clock)
    try:
        sign_pdf(*args)
    finally:
        monkeypatch.setattr(pdf_signer, "datetime", dt.datetime)


@pytest.mark.parametrize(
    ("year", "said"),
    [(2001, "is before Alice Tester's certificate is valid"), (2099, "is in the future")],
)
def test_claimed_signing_times_of_2001_and_2099_fail(
    tmp_path, keys, monkeypatch, year, said, capsys
):
    pdf = render_report(synthetic_report_data(days=1, channels=1), tmp_path / "r.pdf")
    when = dt.datetime(year, 6, 1, 12, tzinfo=dt.UTC)
    _sign_at(monkeypatch, when, pdf, pdf, keys["tester"][0], T_PASS, "tester")
    sign_pdf(pdf, pdf, keys["witness"][0], W_PASS, "witness")
    assert verify_pdf(pdf)[0].signing_time.year == year
    code, out = _run(pdf, [keys["tester"][1], keys["witness"][1]], capsys)
    assert code == 11 and f"signing time {year}-06-01" in out and said in out, out


def test_a_witness_signing_before_the_tester_fails(tmp_path, keys, monkeypatch, capsys):
    pdf = _tester_signed(tmp_path, keys)
    when = NOW - dt.timedelta(minutes=2)  # after both certificates' start, before the tester
    _sign_at(monkeypatch, when, pdf, pdf, keys["witness"][0], W_PASS, "witness")
    code, out = _run(pdf, [keys["tester"][1], keys["witness"][1]], capsys)
    assert code == 11 and "before the tester" in out and "the tester signs first" in out


def test_a_signer_certificate_with_ca_flags_is_pinned_not_a_ca(tmp_path):
    """A tester key made with other software may carry CA:TRUE; trusting it must not let it
    issue witness certificates."""
    from bench_app.signing.trust import load_trust_file

    key = new_key()
    cert = make_cert(name("Alice Tester", "tester"), key, ca=True)
    _, pem = write_p12(tmp_path, "alice-ca-flags", key, cert)
    (entry,) = load_trust_file([str(pem)]).entries
    assert entry.roles == ("tester",) and not entry.ca
    (entry,) = load_trust_file([f"ca={pem}"]).entries  # only an explicit ca= makes it one
    assert entry.ca
