"""Meter passwords from somewhere ``ps`` cannot see: an environment variable, a file or a prompt.

``--password P`` still works (convenient on a bench PC, but any user can read a command line);
``--password-env VAR``, ``--password-file FILE`` (first line) and ``--password-prompt`` keep the
secret off the command line. At most one of them may be given. The password is only handed to the
driver, which never records it (:mod:`drivers.redact`).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from bench_app.errors import UsageError


def add_password_options(p: argparse.ArgumentParser) -> None:
    """``--password``, ``--password-env``, ``--password-file`` and ``--password-prompt``."""
    p.add_argument("--password", help="IEC P1 password / DLMS LLS secret (visible to ps)")
    p.add_argument("--password-env", metavar="VAR", help="read the password from $VAR")
    p.add_argument("--password-file", metavar="FILE", help="first line of FILE is the password")
    p.add_argument(
        "--password-prompt", action="store_true", help="ask for the password on the terminal"
    )


def resolve_password(args: argparse.Namespace) -> str | None:
    """The meter password the arguments name, or None; also stored back in ``args.password``.

    :raises UsageError: more than one source, an unset variable, an unreadable or empty file, or
        no terminal to prompt on.
    """
    given = [
        name
        for name, value in (
            ("--password", getattr(args, "password", None)),
            ("--password-env", getattr(args, "password_env", None)),
            ("--password-file", getattr(args, "password_file", None)),
            ("--password-prompt", getattr(args, "password_prompt", False)),
        )
        if value
    ]
    if len(given) > 1:
        raise UsageError(f"give the meter password one way only, not {' and '.join(given)}")
    value = getattr(args, "password", None)
    if getattr(args, "password_env", None):
        var = args.password_env
        value = os.environ.get(var)
        if not value:
            raise UsageError(f"--password-env: environment variable {var} is not set or empty")
    elif getattr(args, "password_file", None):
        path = Path(args.password_file)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"--password-file: cannot read {path}: {exc}") from exc
        value = lines[0] if lines else ""
        if not value:
            raise UsageError(f"--password-file: {path} is empty (the first line is the password)")
    elif getattr(args, "password_prompt", False):
        if not sys.stdin or not sys.stdin.isatty():
            raise UsageError("--password-prompt needs a terminal; use --password-file or -env")
        value = getpass.getpass("Meter password: ")
        if not value:
            raise UsageError("empty meter password from the prompt")
    args.password = value
    return value
