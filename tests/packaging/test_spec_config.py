"""Fast checks of what the PyInstaller bundle contains (no PyInstaller build here).

``packaging/spec_config.py`` holds the lists ``build.spec`` uses; these tests hold them against the
source tree so a new CLI module, resource folder or Qt module cannot silently go missing from the
offline package. The bundle itself is exercised by ``scripts/dist_test.sh`` (``make dist-test``).
"""

from __future__ import annotations

import ast
import importlib.util
import struct
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))
import spec_config as cfg  # noqa: E402

sys.path.remove(str(ROOT / "packaging"))


def test_build_spec_is_valid_python_using_the_config():
    source = (ROOT / "build.spec").read_text(encoding="utf-8")
    tree = ast.parse(source, filename="build.spec")
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert {"Analysis", "PYZ", "EXE", "COLLECT"} <= names
    for attr in ("hiddenimports", "resource_datas", "EXCLUDES", "keep_entry", "REPLACED_RTHOOKS"):
        assert f"cfg.{attr}" in source, f"build.spec no longer uses spec_config.{attr}"
    for hook in cfg.REPLACED_RTHOOKS.values():
        assert (ROOT / "packaging" / hook).is_file()
    assert (ROOT / "packaging" / "bench_app_main.py").is_file()


def test_every_cli_command_module_is_a_hidden_import():
    from bench_app.cli import COMMAND_MODULES

    hidden = set(cfg.hiddenimports())
    missing = [m for m in COMMAND_MODULES if m not in hidden]
    assert not missing, f"CLI modules imported by name but not bundled: {missing}"
    assert {"ui.smoke", "ui.app", "drivers.sim.meter", "bench_app.paths"} <= hidden


def test_own_modules_match_the_source_tree():
    mods = cfg.own_modules()
    assert "bench_app" in mods and "ui.cli" in mods and "drivers.dlms.hdlc" in mods
    assert not [m for m in mods if m.split(".")[0] not in cfg.OWN_PACKAGES]
    assert not [m for m in mods if "__pycache__" in m or m.endswith("__init__")]
    count = sum(1 for p in cfg.OWN_PACKAGES for f in (ROOT / p).rglob("*.py"))
    assert len(mods) == count


@pytest.mark.parametrize("name", cfg.SERIAL_URL_HANDLERS)
def test_serial_url_handlers_exist(name):
    assert importlib.util.find_spec(name) is not None, f"{name} is not a pyserial module"


def test_serial_handlers_cover_the_schemes_the_transport_uses():
    text = (ROOT / "drivers" / "transport.py").read_text(encoding="utf-8")
    for scheme in ("socket", "rfc2217", "loop"):
        if f"{scheme}://" in text:
            assert f"serial.urlhandler.protocol_{scheme}" in cfg.SERIAL_URL_HANDLERS


def test_every_resource_file_and_package_data_is_bundled():
    pairs = cfg.resource_datas()
    bundled = {(Path(src).resolve(), dest) for src, dest in pairs}
    for path in (ROOT / "resources").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            dest = path.parent.relative_to(ROOT).as_posix()
            assert (path.resolve(), dest) in bundled, f"{path} not bundled at {dest}"
    meters = sorted((ROOT / "resources" / "meters").glob("*.toml"))
    assert len(meters) >= 4  # the meter descriptions the drivers and the simulator read
    for toml in meters:
        assert (toml.resolve(), "resources/meters") in bundled
    assert not [s for s, _ in pairs if s.endswith((".py", ".pyc"))]


def test_drivers_find_meter_descriptions_where_the_bundle_puts_them(monkeypatch, tmp_path):
    """drivers.description.builtin_dir() (drivers cannot use bench_app.paths) agrees with the
    datas: frozen it looks under sys._MEIPASS/resources/meters."""
    from drivers import description

    frozen = tmp_path / "_internal"
    monkeypatch.setattr(sys, "_MEIPASS", str(frozen), raising=False)
    assert description.builtin_dir() == frozen / "resources" / "meters"
    dests = {dest for _, dest in cfg.resource_datas()}
    assert "resources/meters" in dests


def test_resource_path_finds_what_the_bundle_ships(monkeypatch, tmp_path):
    """resource_path() resolves under sys._MEIPASS exactly where the datas put each file."""
    from bench_app import paths

    frozen = tmp_path / "_internal"
    for src, dest in cfg.resource_datas():
        target = frozen / dest / Path(src).name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(Path(src).read_bytes())
    monkeypatch.setattr(sys, "_MEIPASS", str(frozen), raising=False)
    assert paths.resource_root() == frozen / "resources"
    templates = sorted(p.name for p in (ROOT / "resources" / "checklists").glob("*.toml"))
    assert templates
    for name in templates:
        assert paths.resource_path("checklists", name).is_file()
    for sub in ("mappings", "icons", "fonts", "styles"):
        for src in (ROOT / "resources" / sub).glob("*"):
            assert paths.resource_path(sub, src.name).is_file(), f"{sub}/{src.name}"
    from bench_app.checklist.template import list_templates

    assert sorted(p.name for p in list_templates()) == templates


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def test_no_application_code_imports_an_excluded_module():
    excluded = set(cfg.EXCLUDES)
    offenders = []
    for package in cfg.OWN_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for name in _imports(path):
                parts = name.split(".")
                prefixes = {".".join(parts[: i + 1]) for i in range(len(parts))}
                if prefixes & excluded:
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert not offenders, "excluded from the bundle but imported: " + ", ".join(offenders)


def test_qt_modules_used_by_ui_are_bundled():
    used = set()
    for path in (ROOT / "ui").rglob("*.py"):
        used |= {n.split(".")[1] for n in _imports(path) if n.startswith("PySide6.Qt")}
    assert used, "ui/ imports no PySide6 module?"
    assert used <= set(cfg.QT_MODULES_USED), (
        f"add to QT_MODULES_USED: {used - set(cfg.QT_MODULES_USED)}"
    )
    assert not {f"PySide6.{m}" for m in cfg.QT_MODULES_USED} & set(cfg.EXCLUDES)
    for banned in ("PySide6.QtWebEngineCore", "PySide6.QtQml", "tkinter", "pytest", "hypothesis"):
        assert banned in cfg.EXCLUDES


@pytest.mark.parametrize(
    ("dest", "kept"),
    [
        ("PySide6/Qt/translations/qtbase_de.qm", False),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
        ("PySide6/Qt/plugins/platforms/libqwayland.so", True),
        ("PySide6/Qt/plugins/platforms/libqvnc.so", False),
        ("PySide6/Qt/plugins/imageformats/libqsvg.so", True),
        ("PySide6/Qt/plugins/imageformats/libqico.so", True),
        ("PySide6/Qt/plugins/imageformats/libqjpeg.so", False),
        ("PySide6/Qt/plugins/imageformats/qtiff.dll", False),
        ("PySide6/Qt/plugins/iconengines/libqsvgicon.so", True),
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", False),
        ("PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so", True),
        ("PySide6/Qt/lib/libQt6Network.so.6", False),
        ("libQt6Network.so.6", False),
        ("PySide6/Qt/lib/libQt6Widgets.so.6", True),
        ("reportlab/fonts/DarkGardenMK.pfb", False),
        ("reportlab/fonts/Vera.ttf", True),
        ("resources/checklists/x.toml", True),
        ("PySide6\\Qt\\translations\\qtbase_fr.qm", False),
    ],
)
def test_keep_entry(dest, kept):
    assert cfg.keep_entry(dest) is kept


@pytest.mark.parametrize(
    ("dest", "strip"),
    [
        ("libpython3.11.so.1.0", True),
        ("python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so", True),
        ("cryptography/hazmat/bindings/_rust.abi3.so", True),
        ("numpy.libs/libscipy_openblas64_-32a4b2a6.so", False),
        ("pillow.libs/libjpeg-6dc8d115.so.62.4.0", False),
        ("PySide6/Qt/lib/libQt6Core.so.6", False),
        ("PySide6/Qt/lib/libicui18n.so.73", True),
        ("PySide6/QtCore.abi3.so", False),
        ("libQt6Core.so.6", False),
        ("resources/fonts/DejaVuSans.ttf", False),
    ],
)
def test_should_strip(dest, strip):
    assert cfg.should_strip(dest) is strip


def test_orphaned_libraries_keeps_what_is_reachable():
    needed = {
        "PySide6/Qt/lib/libQt6Gui.so.6": {"libX11.so.6", "libglib-2.0.so.0"},
        "libX11.so.6": {"libxcb.so.1"},
        "libxcb.so.1": set(),
        "libglib-2.0.so.0": {"libpcre2-8.so.0"},
        "libpcre2-8.so.0": set(),
        "libcairo.so.2": {"libpixman-1.so.0", "libX11.so.6"},  # only the dropped GTK theme
        "libpixman-1.so.0": set(),
        "libpython3.11.so.1.0": set(),  # never pruned: the bootloader loads it
        "python3.11/lib-dynload/_ssl.so": {"libssl.so.3"},
        "libssl.so.3": {"libcrypto.so.3"},
        "libcrypto.so.3": set(),
    }
    assert cfg.orphaned_libraries(needed) == {"libcairo.so.2", "libpixman-1.so.0"}


def test_version_file_carries_the_package_version(tmp_path):
    from bench_app import __version__

    assert cfg.project_version() == __version__
    assert cfg.version_tuple("1.2.3") == (1, 2, 3, 0)
    assert cfg.version_tuple("0.10rc1+g1234") == (0, 10, 1, 0)
    out = cfg.write_version_file(tmp_path / "v.txt")
    text = out.read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    tree = ast.parse(body, mode="eval")  # PyInstaller eval()s this file on Windows
    assert isinstance(tree.body, ast.Call) and tree.body.func.id == "VSVersionInfo"
    assert f"'{__version__}'" in text and repr(cfg.version_tuple(__version__)) in text
    assert "{version" not in text


def test_icons_are_valid_png_and_multi_size_ico():
    png = (ROOT / "packaging" / "witness-bench.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (256, 256)
    ico = (ROOT / "packaging" / "witness-bench.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1) and count >= 4
    sizes = {ico[6 + 16 * i] or 256 for i in range(count)}
    assert {16, 32, 48, 256} <= sizes
    assert (ROOT / "resources" / "icons" / "app.svg").is_file()
