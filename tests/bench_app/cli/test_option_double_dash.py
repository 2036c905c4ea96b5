"""``--opt=--`` is the literal value "--": checked against the option's choices like any other
value (argparse alone turns it into an empty list that slips past the choices)."""

from __future__ import annotations

import pytest

from bench_app.cli import build_parser, main


def test_a_choice_option_given_double_dash_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["read", "--port", "999999", "--protocol=--"])
    assert info.value.code == 2
    assert "invalid choice: '--'" in capsys.readouterr().err


def test_a_free_text_option_given_double_dash_keeps_it():
    args = build_parser().parse_args(
        ["read", "--port=--", "--protocol", "dlms", "--password=--"]
    )
    assert args.port == "--" and args.password == "--"
