"""Witness Bench desktop GUI (PySide6 + pyqtgraph): widgets and workers; logic in ``bench_app``."""
