"""The product imports on Windows: no product module imports a POSIX-only module at load time.

A fresh interpreter first loads the third-party libraries the product uses (they choose their
own platform code), then makes ``termios``, ``tty``, ``fcntl`` and ``pty`` unimportable, as on
Windows, and imports every module of ``drivers``, ``bench_app`` and ``ui``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BLOCKED = ("termios", "tty", "fcntl", "pty")

PROBE = r"""
import importlib, json, pkgutil, sys, traceback

# Third-party and standard libraries pick their platform code themselves (pyserial loads
# serialposix here, serialwin32 on Windows): load them before blocking.
for name in ("serial", "serial.tools.list_ports", "subprocess", "getpass", "asyncio",
             "sqlite_utils", "platformdirs", "reportlab.pdfgen.canvas", "pyhanko.sign",
             "PySide6.QtWidgets", "pyqtgraph", "numpy", "cryptography", "logging.handlers"):
    try:
        importlib.import_module(name)
    except ImportError:
        pass
for name in BLOCKED:
    sys.modules[name] = None  # `import tty` now raises ImportError, as on Windows

failed = {}
for package in ("drivers", "bench_app", "ui"):
    pkg = importlib.import_module(package)
    for info in pkgutil.walk_packages(pkg.__path__, package + "."):
        try:
            importlib.import_module(info.name)
        except ImportError as exc:
            failed[info.name] = "".join(traceback.format_exception_only(exc)).strip()
print(json.dumps(failed))
"""


def test_every_product_module_imports_without_posix_modules():
    code = f"BLOCKED = {BLOCKED!r}\n" + PROBE
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    failed = json.loads(out.stdout.strip().splitlines()[-1])
    assert failed == {}


def test_the_probe_would_notice_a_posix_import(tmp_path):
    """The blocking works: a module importing tty at load time is reported."""
    (tmp_path / "posixonly.py").write_text("import tty\n", encoding="utf-8")
    code = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
        f"for n in {BLOCKED!r}: sys.modules[n] = None\n"
        "try:\n    import posixonly\nexcept ImportError:\n    print('blocked')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "blocked"
