"""PAdES signing of witness reports with pyHanko.

Each role signs its own visible field (``Sig_tester``, ``Sig_witness``) in the box the renderer
drew on the last page (:data:`bench_app.pdf_layout.SIGNATURE_BOXES`). Signatures are
incremental updates, so the tester's signature stays valid after the witness signs. Baseline
B-B by default, B-T when a timestamp server URL is given.

Nothing is written unless signing succeeds: the signed PDF goes to a temporary file beside the
target that is renamed at the end (and removed on any failure).
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any, cast

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.stamp import TextStampStyle

from bench_app.errors import SigningError, UsageError
from bench_app.pdf_layout import SIGNATURE_BOXES, SIGNATURE_FIELDS
from bench_app.signing.keys import certificate_fingerprint, check_role

log = logging.getLogger(__name__)

ROLES = tuple(SIGNATURE_FIELDS)

_STAMP = TextStampStyle(
    stamp_text=(
        "%(role)s: %(signer)s\n%(org)sSigned %(ts)s\nPAdES signature (%(level)s)\n"
        "Certificate SHA-256:\n%(fp1)s\n%(fp2)s"
    ),
    border_width=0,
    timestamp_format="%d %b %Y %H:%M:%S %Z",  # the report's date format family
)


def load_signer(p12_path: str | Path, passphrase: bytes) -> signers.SimpleSigner:
    """Open a PKCS#12 key file.

    :raises SigningError: unreadable file or wrong passphrase (the message names the file).
    """
    path = Path(p12_path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningError(f"cannot read key file {path}: {exc}") from exc
    try:
        return signers.SimpleSigner.load_pkcs12_data(data, other_certs=[], passphrase=passphrase)
    except (ValueError, TypeError) as exc:
        raise SigningError(
            f"cannot open key file {path}: wrong passphrase or not a PKCS#12 file"
        ) from exc


def signer_name(signer: signers.SimpleSigner) -> str:
    """Common name of the signing certificate (the person), else its full subject."""
    cert = signer.signing_cert
    if cert is None:
        return "(no certificate)"
    try:
        return str(cert.subject.native.get("common_name") or cert.subject.human_friendly)
    except Exception as exc:  # noqa: BLE001 - asn1crypto may raise anything on exotic subjects
        log.warning("certificate common name not readable (%s); using the whole subject", exc)
        return cert.subject.human_friendly


def _organisation(signer: signers.SimpleSigner) -> str:
    cert = signer.signing_cert
    org = cert.subject.native.get("organization_name") if cert is not None else None
    return f"{org}\n" if org else ""


def sign_pdf(
    in_path: str | Path,
    out_path: str | Path,
    p12_path: str | Path | None,
    passphrase: bytes | None,
    role: str,
    name: str | None = None,
    timestamp_url: str | None = None,
    *,
    signer: signers.SimpleSigner | None = None,
) -> Path:
    """Sign ``in_path`` as ``role`` and write the result to ``out_path`` (may be the same file).

    :param p12_path: PKCS#12 key file, opened with ``passphrase`` (or pass ``signer``).
    :param role: ``"tester"`` or ``"witness"``; selects the field and its box on the last page.
    :param name: signer name written into the signature (default: certificate common name).
    :param timestamp_url: RFC 3161 server for PAdES B-T; None gives B-B.
    The certificate must have been made for ``role`` (its OU), and must not be the certificate,
    key or person of a signature already in the PDF (:func:`bench_app.signing.keys.check_role`).
    The document information and XMP metadata are left exactly as signed before, so the strict
    verification (:mod:`bench_app.signing.checks`) sees only signature-field changes.

    :raises SigningError: wrong passphrase, wrong role, same person, field already signed,
        unreadable PDF.
    :raises UsageError: unknown role.
    """
    if role not in SIGNATURE_FIELDS:
        raise UsageError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if signer is None:
        if p12_path is None or passphrase is None:
            raise UsageError("signing needs a PKCS#12 key file and its passphrase")
        signer = load_signer(p12_path, passphrase)
    src, out = Path(in_path), Path(out_path)
    field_name = SIGNATURE_FIELDS[role]
    who = name or signer_name(signer)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=f"{role.capitalize()} signature of the witness report",
        name=who,
        use_pades_lta=False,
        embed_validation_info=False,
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer,
        timestamper=HTTPTimeStamper(timestamp_url) if timestamp_url else None,
        stamp_style=_STAMP,
        # pyhanko takes the box in points as floats; its annotation says int
        new_field_spec=fields.SigFieldSpec(
            field_name, on_page=-1, box=cast(Any, SIGNATURE_BOXES[role])
        ),
    )
    fingerprint = certificate_fingerprint(signer.signing_cert)
    half = len(fingerprint) // 2 + 1
    params = {
        "role": role.capitalize(),
        "signer": who,
        "org": _organisation(signer),
        "level": "B-T" if timestamp_url else "B-B",
        "fp1": fingerprint[:half],
        "fp2": fingerprint[half:],
    }
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=".signing-", suffix=".pdf", dir=out.parent)
    except OSError as exc:
        raise SigningError(f"cannot write signed report to {out}: {exc}") from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as outf, src.open("rb") as inf:
            writer = IncrementalPdfFileWriter(inf, strict=False)
            _check_field_free(writer, field_name, src)
            check_role(signer.signing_cert, role, _existing_signers(writer))
            # keep /Info and XMP byte-identical when signing: pyHanko has no public switch for
            # its metadata update, so this one writer's private method is replaced
            writer._update_meta = lambda: None  # type: ignore[method-assign]
            pdf_signer.sign_pdf(writer, output=outf, appearance_text_params=params)
        os.replace(tmp, out)
    except SigningError:
        tmp.unlink(missing_ok=True)
        raise
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise SigningError(f"cannot sign {src} into {out}: {exc}") from exc
    except Exception as exc:  # pyHanko raises many types (PdfReadError, SigningError, ...)
        tmp.unlink(missing_ok=True)
        raise SigningError(f"cannot sign {src} as {role}: {exc}") from exc
    return out


def _existing_signers(writer: IncrementalPdfFileWriter) -> list:
    """Certificates of the signatures already in the PDF."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader: PdfFileReader = writer.prev
    return [sig.signer_cert for sig in reader.embedded_signatures]


def _check_field_free(writer: IncrementalPdfFileWriter, field_name: str, src: Path) -> None:
    for name, value, _ref in fields.enumerate_sig_fields(writer.prev, filled_status=None):
        if name == field_name and value is not None:
            raise SigningError(f"{src} is already signed in field {field_name}")
