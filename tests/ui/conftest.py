"""GUI tests run offscreen with real widgets, a real SQLite store and a fake meter driver."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"

import pytest

from ui.qtfix import protect_none

protect_none()  # PySide6 6.12 leaks references to None on Python 3.11 (see ui/qtfix.py)

from tests.ui.fakes import FakeMeter  # noqa: E402


@pytest.fixture
def ctx(qapp, store, session_id):
    from ui.app import make_app
    from ui.context import BenchContext

    make_app()
    c = BenchContext(store, store.path)
    c.set_session(session_id)
    yield c
    c.shutdown()


@pytest.fixture
def fake_meter_factory(monkeypatch):
    """Patch the connection panel's ``create_meter`` to build FakeMeters; yields the list made."""
    made: list[FakeMeter] = []
    settings: dict = {}

    def create(protocol, options):
        m = FakeMeter(protocol=protocol, trace=options.trace, **settings)
        made.append(m)
        return m

    import ui.panels.connection as conn

    monkeypatch.setattr(conn, "create_meter", create)
    made_settings = settings
    yield made, made_settings
