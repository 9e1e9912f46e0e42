"""The one CSV writer every export uses: ready for Excel in Japanese, and no cell in it is
something a spreadsheet would run as a formula (OWASP "CSV injection")."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

#: What makes a spreadsheet read a cell as a formula, or start a new one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
#: Spaces a spreadsheet skips before it looks for a formula.
LEADING_SPACES = " \u00a0\u3000"


def neutral(value: object) -> object:
    """A text cell that would start a formula gets a leading ' (Excel shows the text as
    typed); numbers and every other text are written as they are."""
    if isinstance(value, str) and value.lstrip(LEADING_SPACES).startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """Rows as CSV: UTF-8 with a BOM (so Excel reads Japanese headers right), CR LF."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([neutral(cell) for cell in row] for row in rows)
    return "\ufeff" + out.getvalue()
