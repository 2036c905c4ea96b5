"""Frozen entry point of the ``bench-app`` executable: the same CLI as ``python -m bench_app``.

One addition for the Windows desktop: double-clicking ``bench-app.exe`` in Explorer (no arguments,
and the console window belongs to this process alone) opens the GUI instead of printing a usage
error into a console window that closes at once.
"""

import sys


def launched_from_explorer() -> bool:
    """True on Windows when this process is the only one attached to its console window."""
    if not sys.platform.startswith("win"):
        return False
    try:
        import ctypes

        ids = (ctypes.c_uint32 * 4)()
        count = ctypes.windll.kernel32.GetConsoleProcessList(ids, 4)
    except (OSError, AttributeError):
        return False
    return count == 1


def default_argv(argv: list[str], from_explorer: bool) -> list[str]:
    """``["gui"]`` for an argument-less double-click, else ``argv`` unchanged."""
    return ["gui"] if not argv and from_explorer else argv


if __name__ == "__main__":
    from bench_app.cli import main

    args = sys.argv[1:]
    # The bundle carries no package metadata, so the GUI's command plugin is named here.
    sys.exit(main(default_argv(args, not args and launched_from_explorer()), plugins=["ui.cli"]))
