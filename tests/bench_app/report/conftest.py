"""Fixtures for report and signing tests: a real session database."""

from __future__ import annotations

import pytest


@pytest.fixture
def store(tmp_path):
    from bench_app.store import Store

    s = Store.open(tmp_path / "sessions.db")
    yield s
    s.close()
