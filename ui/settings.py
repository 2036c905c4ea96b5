"""What the window remembers between runs (``QSettings``, an INI file in the user data folder, so
``WITNESS_BENCH_HOME`` on a USB stick carries it too): window geometry, the last port, protocol,
baud, client level, whether the built-in simulator was used, and the checklist template.
Passwords are never stored."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from bench_app.paths import user_data_dir

FILE_NAME = "settings.ini"


def app_settings() -> QSettings:
    """The settings file ``<user data folder>/settings.ini``."""
    return QSettings(str(user_data_dir() / FILE_NAME), QSettings.Format.IniFormat)


def _select_data(combo: Any, value: Any) -> None:
    """Select the combo entry whose data equals ``value`` (stored as text: compare as text)."""
    for i in range(combo.count()):
        if str(combo.itemData(i)) == str(value):
            combo.setCurrentIndex(i)
            return


def save_window(window: Any) -> None:
    """Remember ``window``'s geometry and its connection/checklist choices."""
    s = app_settings()
    s.setValue("window/geometry", window.saveGeometry())
    conn = window.connection
    sim = conn.sim_check.isChecked()
    s.setValue("connection/simulator", sim)
    if not sim:  # the simulator's URL changes every run: keep the last real port instead
        s.setValue("connection/port", conn.port_combo.currentText().strip())
    proto, mode_e = conn.protocol_combo.currentData()
    s.setValue("connection/protocol", f"{proto}:{'E' if mode_e else ''}")
    s.setValue("connection/baud", int(conn.baud_combo.currentData()))
    s.setValue("connection/client_sap", int(conn.level_combo.currentData()))
    template = window.checklist.template_combo.currentData()
    if template:
        s.setValue("checklist/template", template)
    s.sync()


def restore_window(window: Any) -> bool:
    """Apply what :func:`save_window` remembered; False when nothing was saved yet."""
    s = app_settings()
    geometry = s.value("window/geometry")
    if isinstance(geometry, QByteArray | bytes) and geometry:
        window.restoreGeometry(QByteArray(geometry))
    conn = window.connection
    port = s.value("connection/port")
    if port:
        conn.port_combo.setEditText(str(port))
    if str(s.value("connection/simulator", "false")).lower() == "true":
        conn.sim_check.setChecked(True)
    proto = str(s.value("connection/protocol") or "")
    if proto:
        name, _, mode = proto.partition(":")
        _select_data(conn.protocol_combo, (name, mode == "E"))
    if s.value("connection/baud"):
        _select_data(conn.baud_combo, s.value("connection/baud"))
    if s.value("connection/client_sap"):
        _select_data(conn.level_combo, s.value("connection/client_sap"))
    template = s.value("checklist/template")
    if template:
        _select_data(window.checklist.template_combo, template)
    return geometry is not None
