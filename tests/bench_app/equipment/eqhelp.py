"""Shared constants of the equipment tests."""

FW = {"metrology": "1.02", "application": "3.4", "communications": "5.1"}
