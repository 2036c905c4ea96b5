"""Shared fixtures: isolated user data folder and database for every test."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _isolated_user_data(tmp_path, monkeypatch):
    """Never touch the real user data folder: keys, databases and reports go to tmp_path."""
    home = tmp_path / "userdata"
    monkeypatch.setenv("WITNESS_BENCH_HOME", str(home))
    monkeypatch.setenv("WITNESS_BENCH_DB", str(home / "sessions.db"))
    yield
