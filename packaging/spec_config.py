"""What goes into the PyInstaller bundle: plain data and functions that ``build.spec`` uses.

Kept out of ``build.spec`` so the lists can be checked by fast tests without running PyInstaller
(``tests/packaging/``). Nothing here imports PyInstaller or the application packages; module lists
come from walking the source tree.

Bundle layout (onedir, ``dist/witness-bench/``)::

    bench-app[.exe]              the executable (same CLI as ``python -m bench_app``)
    _internal/                   Python runtime, libraries, Qt, and our data:
        resources/...            everything under ``resources/`` (resource_path() finds it)
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Folder name of the onedir bundle under ``dist/``.
DIST_NAME = "witness-bench"
#: Executable name (onedir and onefile): the console script ``bench-app``.
EXE_NAME = "bench-app"
#: Our own packages, bundled whole (their CLI modules are imported by name via importlib).
OWN_PACKAGES = ("bench_app", "drivers", "ui")

#: pyserial resolves ``socket://``, ``loop://``, ``rfc2217://``… by importing
#: ``serial.urlhandler.protocol_<scheme>`` by name, which the analysis cannot see.
SERIAL_URL_HANDLERS = (
    "serial.urlhandler.protocol_socket",
    "serial.urlhandler.protocol_loop",
    "serial.urlhandler.protocol_rfc2217",
    "serial.urlhandler.protocol_alt",
    "serial.urlhandler.protocol_hwgrep",
    "serial.urlhandler.protocol_spy",
    "serial.urlhandler.protocol_cp2110",
)

#: Other modules imported dynamically or lazily that the analysis may miss.
EXTRA_HIDDEN = (
    "tzdata",  # zoneinfo's data on Windows (and anywhere without /usr/share/zoneinfo)
    "zoneinfo",
    "serial.tools.list_ports",
    "reportlab.rl_settings",
    "platformdirs",
    "pynmea2",  # bench_app.timesource imports it when a GPS time source is used
    "ntplib",  # likewise for an NTP time source
)

#: Qt modules the application uses (ui/ imports QtCore/QtGui/QtWidgets; QtSvg backs the SVG icons).
QT_MODULES_USED = ("QtCore", "QtGui", "QtWidgets", "QtSvg")

#: PySide6 modules never bundled. pyqtgraph copes without QtTest; QtOpenGL/QtOpenGLWidgets (9 MB),
#: which pyqtgraph 0.14 imports unconditionally but we never use, get stand-ins from the runtime
#: hook ``packaging/pyi_rth_wb_qt.py`` (``WB_WITH_OPENGL=1`` bundles the real ones).
QT_EXCLUDES = tuple(
    f"PySide6.{m}"
    for m in (
        "QtWebEngineCore",
        "QtWebEngineWidgets",
        "QtWebEngineQuick",
        "QtWebChannel",
        "QtWebSockets",
        "Qt3DCore",
        "Qt3DRender",
        "Qt3DInput",
        "Qt3DLogic",
        "Qt3DAnimation",
        "Qt3DExtras",
        "QtQml",
        "QtQmlFeatures",
        "QtQuick",
        "QtQuickControls2",
        "QtQuickTest",
        "QtQuickWidgets",
        "QtTest",
        "QtOpenGL",
        "QtOpenGLWidgets",
        "QtDesigner",
        "QtHelp",
        "QtUiTools",
        "QtSql",
        "QtXml",
        "QtConcurrent",
        "QtDBus",
        "QtNetwork",
        "QtPrintSupport",
        "QtLabsStyleKit",
        "QtSvgWidgets",
        "QtPdf",
        "QtPdfWidgets",
        "QtMultimedia",
        "QtCharts",
        "QtDataVisualization",
    )
)

#: Python packages never bundled: test code, other GUI toolkits, heavy optional extras.
EXCLUDES = (
    "tkinter",
    "_tkinter",
    "turtle",
    "idlelib",
    "pydoc_data",
    "unittest",
    "test",
    "tests",
    "pytest",
    "_pytest",
    "pytestqt",
    "xdist",
    "hypothesis",
    "ruff",
    "matplotlib",
    "IPython",
    "jupyter_client",
    "ipykernel",
    "scipy",
    "pandas",
    "PyQt5",
    "PyQt6",
    "PySide2",
    "pyqtgraph.examples",
    "pyqtgraph.opengl",
    "pyqtgraph.jupyter",
    "OpenGL",
    "numpy.tests",
    "numpy.f2py",
    "numpy.testing._private.extbuild",
    "setuptools",
    "pkg_resources",
    "pip",
    "wheel",
    # Pillow is needed (reportlab imports it) but not its AVIF/WebP/colour-management/font/Tk parts.
    "PIL._avif",
    "PIL._webp",
    "PIL._imagingcms",
    "PIL._imagingft",
    "PIL._imagingtk",
    "PIL.ImageTk",
    # lxml: pyHanko needs lxml.etree (XMP metadata) only.
    "lxml.objectify",
    "lxml.html",
    "lxml.isoschematron",
    "lxml.cssselect",
    "distutils",
    "readline",  # interactive line editing (and libreadline/libtinfo): no REPL in the bundle
    *QT_EXCLUDES,
)

#: PyInstaller runtime hooks replaced by ours (``packaging/pyi_rth_*.py``).
REPLACED_RTHOOKS = {"pyi_rth_pyside6": "pyi_rth_wb_qt.py"}

#: Bundle paths (``dest`` of a data/binary entry, forward slashes) dropped after analysis.
#: Qt translations (English-only app), Qt plugins we do not use, and a GPL demo font.
DROP_PATTERNS = (
    r"^PySide6/Qt/translations/",
    r"^PySide6/Qt/plugins/(designer|qmltooling|sqldrivers|networkinformation|tls|"
    r"multimedia|printsupport|egldeviceintegrations|vectorimageformats|generic)/",
    # platforms: keep xcb, wayland, offscreen, minimal (Linux), windows (Windows), cocoa (macOS)
    r"^PySide6/Qt/plugins/platforms/(lib)?q(vnc|eglfs|minimalegl|linuxfb|vkkhrdisplay)\b",
    r"^(PySide6/Qt/lib/)?libQt6(Network|EglFSDeviceIntegration|EglFsKmsSupport)\.so",
    r"^PySide6/Qt/plugins/imageformats/(lib)?q(gif|icns|jpeg|pdf|tga|tiff|wbmp|webp)\b",
    r"^PySide6/Qt/plugins/platformthemes/(lib)?qgtk3",
    # only the GTK platform theme (dropped above) needs these
    r"^lib(atk-1\.0|cairo-gobject|gdk_pixbuf-2\.0|pangocairo-1\.0)\.so",
    r"^reportlab/fonts/DarkGarden",
    r"^pyqtgraph/examples/",
)


#: ELF files are stripped of symbols on Linux (libpython alone shrinks 23 → 6 MB) except these.
#: Wheels repaired by auditwheel (``*.libs/`` folders and the extension modules whose RPATH points
#: there) are patchelf-edited and ``strip`` corrupts them ("ELF load command address/offset not
#: page-aligned"); build.spec also checks the RPATH. Qt ships its own libraries stripped (not ICU).
NO_STRIP_PATTERNS = (
    r"(^|/)[^/]+\.libs/",
    r"^(PySide6|shiboken6)/(?!Qt/lib/libicu)",  # Qt's ICU ships unstripped (6.5 MB → 5.6 MB)
    r"^libQt6",
)


def should_strip(dest: str) -> bool:
    """True for ELF bundle entries (``dest``, ``/`` separators) worth stripping on Linux."""
    dest = dest.replace("\\", "/")
    if not re.search(r"\.so(\.[\d.]+)?$", dest):
        return False
    return not any(re.search(p, dest) for p in NO_STRIP_PATTERNS)


def is_prunable(dest: str) -> bool:
    """A shared library PyInstaller copied from the system into the bundle root (``libX.so.N``)."""
    dest = dest.replace("\\", "/")
    return "/" not in dest and dest.startswith("lib") and not dest.startswith("libpython")


def orphaned_libraries(needed: dict[str, set[str]]) -> set[str]:
    """Bundle-root system libraries that no remaining binary needs (transitively).

    ``needed`` maps every ELF entry's ``dest`` to its DT_NEEDED sonames. Roots are all entries
    that are not :func:`is_prunable` (extension modules, Qt libraries and plugins, libpython).
    Used after :data:`DROP_PATTERNS` removed plugins (e.g. the GTK theme), whose dependencies
    (cairo, pango, …) PyInstaller had already collected.
    """
    by_name = {dest.replace("\\", "/").rsplit("/", 1)[-1]: dest for dest in needed}
    seen: set[str] = set()
    stack = [dest for dest in needed if not is_prunable(dest)]
    while stack:
        dest = stack.pop()
        if dest in seen:
            continue
        seen.add(dest)
        stack.extend(by_name[n] for n in needed.get(dest, ()) if n in by_name)
    return {dest for dest in needed if is_prunable(dest) and dest not in seen}


def project_version(root: Path = ROOT) -> str:
    """``bench_app.__version__`` read from the source (without importing the package)."""
    text = (root / "bench_app" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r"""^__version__\s*=\s*["']([^"']+)["']""", text, re.MULTILINE)
    if not match:
        raise ValueError(f"no __version__ in {root / 'bench_app' / '__init__.py'}")
    return match.group(1)


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """Four integers for the Windows version resource, e.g. ``"0.1.0rc1"`` → ``(0, 1, 0, 0)``."""
    nums = [int(m) for m in re.findall(r"\d+", version.split("+")[0])[:3]]
    nums += [0] * (4 - len(nums))
    return tuple(nums[:4])  # type: ignore[return-value]


def write_version_file(out: Path, root: Path = ROOT) -> Path:
    """Fill ``packaging/version_info.txt.in`` with the project version; returns ``out``."""
    version = project_version(root)
    template = (root / "packaging" / "version_info.txt.in").read_text(encoding="utf-8")
    text = template.replace("{version_tuple}", repr(version_tuple(version))).replace(
        "{version}", version
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out


def own_modules(root: Path = ROOT) -> list[str]:
    """Every module and package under :data:`OWN_PACKAGES` (dotted names, sorted)."""
    names: set[str] = set()
    for package in OWN_PACKAGES:
        base = root / package
        for path in base.rglob("*.py"):
            rel = path.relative_to(root).with_suffix("")
            parts = rel.parts
            if "__pycache__" in parts:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            names.add(".".join(parts))
    return sorted(names)


def hiddenimports(root: Path = ROOT) -> list[str]:
    """Modules the analysis must include although no static import names them."""
    qt = [f"PySide6.{m}" for m in QT_MODULES_USED]
    return sorted({*own_modules(root), *SERIAL_URL_HANDLERS, *EXTRA_HIDDEN, *qt})


def resource_datas(root: Path = ROOT) -> list[tuple[str, str]]:
    """``(source file, bundle folder)`` pairs: all of ``resources/`` and package data files.

    Package data is every non-Python file inside :data:`OWN_PACKAGES` (e.g. a ``*.toml`` a package
    keeps beside its code), kept at the same relative folder so ``Path(__file__)`` lookups work
    frozen. Meter descriptions live in ``resources/meters/`` (``drivers.description.builtin_dir``).
    """
    pairs: list[tuple[str, str]] = []
    for path in sorted((root / "resources").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            pairs.append((str(path), path.parent.relative_to(root).as_posix()))
    for package in OWN_PACKAGES:
        for path in sorted((root / package).rglob("*")):
            if (
                path.is_file()
                and path.suffix not in (".py", ".pyc", ".pyo")
                and "__pycache__" not in path.parts
            ):
                pairs.append((str(path), path.parent.relative_to(root).as_posix()))
    return pairs


def keep_entry(dest: str) -> bool:
    """False for bundle entries matching :data:`DROP_PATTERNS` (dest with ``/`` separators)."""
    dest = dest.replace("\\", "/")
    return not any(re.search(p, dest) for p in DROP_PATTERNS)
