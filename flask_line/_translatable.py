"""The marker of a visitor-facing string that is translated where it is shown (``pybabel extract`` finds it)."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs and return it unchanged: it is translated when a page shows it."""
    return message
