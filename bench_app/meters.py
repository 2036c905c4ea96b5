"""Where meter descriptions are found: the user's own, then the ones shipped with the bench.

A description (TOML, see ``resources/meters/README.md``) is looked up by name in
``<user data>/meters/`` first — a lab adds or overrides a meter type there without touching the
program — then in the bundled ``resources/meters/`` (source tree or frozen bundle). A path to a
``.toml`` file works everywhere a name does. Errors are :class:`UsageError` naming ``file:line``.

The checklist takes association levels and SAPs from a description::

    d = load("northgate-nx7")
    d.level(2).client_sap      # 33: the HHDC's reading level on this meter type
"""

from __future__ import annotations

from pathlib import Path

from bench_app.errors import UsageError
from bench_app.paths import resource_path, user_data_dir
from drivers.description import Description, DescriptionError, load_description

SUFFIX = ".toml"


def meter_dirs() -> list[Path]:
    """Folders searched, first match wins: the user's ``meters/`` then the bundled one."""
    return [user_data_dir() / "meters", resource_path("meters")]


def available() -> list[str]:
    """Names of every description found (user's and bundled), sorted."""
    names = {p.stem for folder in meter_dirs() if folder.is_dir() for p in folder.glob("*.toml")}
    return sorted(names)


def find(name_or_path: str | Path) -> Path:
    """The file of a description given by name (``prometer100``) or path (``my.toml``)."""
    path = Path(name_or_path)
    if path.suffix == SUFFIX:
        if not path.is_file():
            raise UsageError(f"meter description {path}: no such file")
        return path
    for folder in meter_dirs():
        candidate = folder / f"{name_or_path}{SUFFIX}"
        if candidate.is_file():
            return candidate
    raise UsageError(
        f"no meter description {str(name_or_path)!r}; known: {', '.join(available()) or 'none'} "
        f"(add your own as {meter_dirs()[0] / (str(name_or_path) + SUFFIX)})"
    )


def load(name_or_path: str | Path) -> Description:
    """Find and validate a description (:class:`UsageError` with ``file:line`` when invalid)."""
    path = find(name_or_path)
    try:
        return load_description(path)
    except DescriptionError as exc:
        raise UsageError(f"invalid meter description: {exc}") from None


def all_descriptions() -> list[Description]:
    """Every valid description (invalid user files are skipped, not fatal, for matching)."""
    out = []
    for name in available():
        try:
            out.append(load(name))
        except UsageError:
            continue
    return out


def session_description(store, session_id: int) -> Description | None:
    """The description of the session's meter, or None when the session names none: the one
    its bench record names (``simulate --meter``, ``session set bench --meter``, the demo), else
    the one whose Valid Outstation Type code is the declared outstation type."""
    records = store.session_records(session_id) if hasattr(store, "session_records") else {}
    name = str((records.get("bench") or {}).get("meter") or "")
    if name:
        try:
            return load(name)
        except UsageError:  # an older record holds the simulator's serial, not a description
            pass
    kind = str((store.equipment(session_id) or {}).get("outstation_type") or "")
    if kind:
        for desc in all_descriptions():
            if desc.outstation_type == kind:
                return desc
    return None
