"""Shared fixtures: isolated user data folder and database for every test; a real store."""

from __future__ import annotations

import gc
import os

import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Property tests judge the code, not the machine: on a loaded 2-core runner drawing inputs can be
# slow, which says nothing about the property.
settings.register_profile(
    "bench", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("bench")


@pytest.fixture(autouse=True)
def _isolated_user_data(tmp_path, monkeypatch):
    """Never touch the real user data folder: keys, databases and reports go to tmp_path."""
    home = tmp_path / "userdata"
    monkeypatch.setenv("WITNESS_BENCH_HOME", str(home))
    monkeypatch.setenv("WITNESS_BENCH_DB", str(home / "sessions.db"))
    yield


@pytest.fixture(autouse=True)
def _collect_garbage_between_tests():
    """Once a GUI test has made the application, automatic garbage collection is off for the
    rest of this process (``ui.app.collect_in_gui_thread``: the GUI collects on a timer in its
    own thread); tests that never run an event loop get the same collection here, in the main
    thread, generation by generation as the thresholds say."""
    yield
    if gc.isenabled():
        return
    counts, limits = gc.get_count(), gc.get_threshold()
    for generation in (2, 1, 0):
        if counts[generation] > limits[generation]:
            gc.collect(generation)
            break


@pytest.fixture
def store(tmp_path):
    """A real SQLite session store in a fresh file (closed after the test)."""
    from bench_app.store import Store

    st = Store.open(tmp_path / "store.db")
    yield st
    st.close()


@pytest.fixture
def session_id(store):
    """A protocol-approval session (CoP 5) in :func:`store`."""
    return store.create_session("P601-TEST-1", "protocol-approval", cops=["5"], location="Lab 2")
