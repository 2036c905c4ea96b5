"""What a signed report may carry after its signatures: nothing but DSS data.

pyHanko's difference analysis accepts some later changes a witness report must not have: bytes
after the final ``%%EOF`` (a viewer may read them), and catalog or AcroForm entries such as
``/NeedAppearances`` (a viewer redraws the form), ``/DA`` or the catalog ``/Version``.
:func:`tail_problems` refuses them:

- after the final ``%%EOF`` only end-of-line white space may follow;
- between signed revisions the catalog may change only in ``/AcroForm`` (whose ``/Fields`` may
  gain the next signature field, and ``/SigFlags`` be set once), ``/DSS`` and ``/Extensions``;
- after the last signature only ``/DSS`` and ``/Extensions`` may change.
"""

from __future__ import annotations

from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

#: Catalog keys validation data (PAdES LTV) may add after signing.
_DSS_KEYS = {"/DSS", "/Extensions"}
#: AcroForm keys a new signature may change: its field joins /Fields; /SigFlags is set.
_SIGNING_FORM_KEYS = {"/Fields", "/SigFlags"}


def trailing_bytes(data: bytes) -> int:
    """How many bytes other than white space follow the final ``%%EOF`` (-1: there is none)."""
    end = data.rfind(b"%%EOF")
    if end < 0:
        return -1
    rest = data[end + 5 :]
    return len(rest.strip(b"\r\n\t \x00"))


def _resolved(value, resolver):
    if isinstance(value, generic.IndirectObject):
        return resolver.get_object(value.reference)
    return value


def _entries(resolver) -> tuple[dict[str, str], dict[str, str]]:
    """Catalog and AcroForm entries of one revision, each value as text (references as refs)."""
    root = _resolved(resolver.trailer_view.raw_get("/Root"), resolver)
    catalog = {str(k): repr(root.raw_get(k)) for k in root}
    form: dict[str, str] = {}
    if "/AcroForm" in root:
        acro = _resolved(root.raw_get("/AcroForm"), resolver)
        form = {str(k): repr(acro.raw_get(k)) for k in acro}
        catalog.pop("/AcroForm", None)
    return catalog, form


def _changed(a: dict[str, str], b: dict[str, str]) -> set[str]:
    return {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}


def _sigflags(entries: dict[str, str]) -> int:
    try:
        return int(entries.get("/SigFlags", "0"))
    except ValueError:
        return -1


def tail_problems(path: str | Path) -> list[str]:
    """Problems of what follows the signatures of ``path`` (empty when there are none)."""
    data = Path(path).read_bytes()
    problems: list[str] = []
    extra = trailing_bytes(data)
    if extra > 0:
        problems.append(f"{extra} byte(s) follow the final %%EOF (appended after signing)")
    try:
        with Path(path).open("rb") as fh:
            reader = PdfFileReader(fh, strict=False)
            signed = sorted({int(s.signed_revision) for s in reader.embedded_signatures})
            if not signed:
                return problems
            last = reader.xrefs.total_revisions - 1
            before = _entries(reader.get_historical_resolver(signed[0]))
            for rev in range(signed[0] + 1, last + 1):
                now = _entries(reader.get_historical_resolver(rev))
                problems.extend(_revision_problems(rev, before, now, rev in signed))
                before = now
    except Exception as exc:  # noqa: BLE001 - unreadable structure: the signature checks say so
        problems.append(f"cannot compare the revisions after signing: {exc}")
    return problems


def _revision_problems(
    rev: int,
    before: tuple[dict[str, str], dict[str, str]],
    now: tuple[dict[str, str], dict[str, str]],
    is_signature: bool,
) -> list[str]:
    out: list[str] = []
    catalog = sorted(_changed(before[0], now[0]) - _DSS_KEYS)
    allowed_form = _SIGNING_FORM_KEYS if is_signature else set()
    form = sorted(_changed(before[1], now[1]) - allowed_form)
    what = "signature revision" if is_signature else "unsigned revision"
    if catalog:
        out.append(f"{what} {rev} changed the catalog: {', '.join(catalog)}")
    if form:
        out.append(f"{what} {rev} changed the form (AcroForm): {', '.join(form)}")
    if is_signature and 0 <= _sigflags(now[1]) < _sigflags(before[1]):
        out.append(f"{what} {rev} lowered the form's /SigFlags")
    return out
