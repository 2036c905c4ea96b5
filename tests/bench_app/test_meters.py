"""Finding meter descriptions: the user's folder first, then the bundled ones."""

from __future__ import annotations

import pytest

from bench_app import meters
from bench_app.errors import UsageError
from drivers.description import builtin_dir


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("WITNESS_BENCH_HOME", str(tmp_path))
    return tmp_path


def test_bundled_descriptions_are_found_by_name(home):
    assert {"prometer100", "dlms-generic", "iec-generic", "northgate-nx7"} <= set(
        meters.available()
    )
    assert meters.load("northgate-nx7").level(2).client_sap == 33


def test_a_user_description_is_added_and_overrides_a_bundled_one(home):
    folder = home / "meters"
    folder.mkdir()
    text = (builtin_dir() / "prometer100.toml").read_text(encoding="utf-8")
    (folder / "prometer100.toml").write_text(text.replace("sap = 48", "sap = 50"), "utf-8")
    (folder / "lab-x.toml").write_text('name = "lab-x"\n[[associations]]\nlevel = 0\nsap = 16\n')
    assert "lab-x" in meters.available()
    assert meters.load("prometer100").level(2).client_sap == 50
    assert meters.find("lab-x").parent == folder


def test_invalid_user_file_is_a_usage_error_with_file_line(home):
    folder = home / "meters"
    folder.mkdir()
    (folder / "broken.toml").write_text('name = "broken"\n\n[[associations]]\nlevel = "two"\n')
    with pytest.raises(UsageError, match=r"broken.toml:4: associations\[0\].level"):
        meters.load("broken")
    assert "broken" not in {d.name for d in meters.all_descriptions()}


def test_unknown_name_lists_what_exists_and_where_to_add_it(home):
    with pytest.raises(UsageError) as err:
        meters.find("acme-9")
    assert "prometer100" in str(err.value) and str(home / "meters") in str(err.value)
