"""Render ``packaging/icon.svg`` to the application icon files (run once; outputs are committed).

Writes ``packaging/witness-bench.png`` (256 px), ``packaging/witness-bench.ico`` (16–256 px, for
the Windows executable) and copies the SVG/PNG to ``resources/icons/app.svg`` / ``app.png`` so the
window can use ``ui.icons.icon("app")``. Needs PySide6 only (offscreen, no display)::

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icon.py
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(svg: Path, size: int):
    """The SVG rendered to a ``size``×``size`` ARGB QImage (transparent background)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    return image


def write_ico(images: list, path: Path) -> None:
    """Multi-resolution .ico with PNG-compressed entries (Vista+ format)."""
    import struct

    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    blobs = []
    for img in images:
        data = QByteArray()
        buf = QBuffer(data)
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        img.save(buf, "PNG")
        buf.close()
        blobs.append(bytes(data))
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries = b""
    for img, blob in zip(images, blobs):
        w = img.width() if img.width() < 256 else 0
        entries += struct.pack("<BBBBHHII", w, w, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
    path.write_bytes(header + entries + b"".join(blobs))


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    svg = HERE / "icon.svg"
    render(svg, 256).save(str(HERE / "witness-bench.png"))
    write_ico([render(svg, s) for s in ICO_SIZES], HERE / "witness-bench.ico")
    icons = ROOT / "resources" / "icons"
    shutil.copyfile(svg, icons / "app.svg")
    shutil.copyfile(HERE / "witness-bench.png", icons / "app.png")
    print(f"wrote {HERE / 'witness-bench.png'}, {HERE / 'witness-bench.ico'}, {icons / 'app.*'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
