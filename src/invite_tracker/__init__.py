"""Husqy's invite tracker service: which invite brought every member, and who created it."""

__version__ = "0.1.0"
