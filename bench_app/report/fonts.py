"""Font registration for the report: DejaVu when available, else ReportLab's bundled Vera.

Fonts are TrueType and embedded (subset) in every PDF, so the report looks the same everywhere and
PDF/A-style viewers need no system fonts. Search order for each face:

1. ``resources/fonts/`` (shipped with the application),
2. ``/usr/share/fonts/truetype/dejavu/`` (Debian/Ubuntu),
3. ReportLab's own ``Vera*.ttf`` (always present in the reportlab wheel).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reportlab import rl_config
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from bench_app.errors import ReportError
from bench_app.paths import resource_path

_SYSTEM_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")

#: face → (DejaVu file, Vera fallback file)
_FACES = {
    "regular": ("DejaVuSans.ttf", "Vera.ttf"),
    "bold": ("DejaVuSans-Bold.ttf", "VeraBd.ttf"),
    "mono": ("DejaVuSansMono.ttf", "Vera.ttf"),
}


@dataclass(frozen=True)
class FontSet:
    """Registered font names: ``regular``, ``bold``, ``mono`` (hashes) and which family."""

    regular: str
    bold: str
    mono: str
    family: str


_registered: FontSet | None = None


def _find(filename: str) -> Path | None:
    for folder in (resource_path("fonts"), _SYSTEM_DEJAVU):
        candidate = folder / filename
        if candidate.is_file():
            return candidate
    return None


def _find_vera(filename: str) -> Path | None:
    for folder in rl_config.TTFSearchPath:
        candidate = Path(str(folder)) / filename
        if candidate.is_file():
            return candidate
    import reportlab

    candidate = Path(reportlab.__file__).parent / "fonts" / filename
    return candidate if candidate.is_file() else None


def register_fonts() -> FontSet:
    """Register the report fonts once per process and return their names.

    :raises ReportError: when neither DejaVu nor ReportLab's Vera fonts can be found.
    """
    global _registered
    if _registered is not None:
        return _registered
    names: dict[str, str] = {}
    family = "DejaVu"
    for face, (dejavu, vera) in _FACES.items():
        path = _find(dejavu)
        prefix = "WB-DejaVu"
        if path is None:
            path = _find_vera(vera)
            prefix = "WB-Vera"
            family = "Vera"
        if path is None:
            raise ReportError(f"no TrueType font found for the report ({dejavu} or {vera})")
        name = f"{prefix}-{face}"
        try:
            pdfmetrics.registerFont(TTFont(name, str(path)))
        except TTFError as exc:
            raise ReportError(f"cannot load font {path}: {exc}") from exc
        names[face] = name
    addMapping(names["regular"], 0, 0, names["regular"])
    addMapping(names["regular"], 1, 0, names["bold"])
    addMapping(names["regular"], 0, 1, names["regular"])
    addMapping(names["regular"], 1, 1, names["bold"])
    _registered = FontSet(names["regular"], names["bold"], names["mono"], family)
    return _registered
