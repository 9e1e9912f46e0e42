"""CSV files in and out. The one writer every export uses: ready for Excel in Japanese,
and no cell in it is something a spreadsheet would run as a formula (OWASP "CSV
injection"). The one reader every import uses: Excel's encodings, bounded rows and cells."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from flask import current_app
from flask_babel import lazy_gettext as _l

from inclusion.errors import RuleViolation

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


def decode(data: bytes) -> str:
    """Text of an uploaded CSV: UTF-16 when it says so (Excel's "Unicode text"), UTF-8
    (with or without BOM), else Excel's Shift_JIS."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp932")


#: What a cell may say for yes (an empty cell, or anything else, is no).
YES = frozenset({"yes", "y", "1", "true", "はい", "○", "〇", "有", "あり"})


def says_yes(cell: str) -> bool:
    return cell.strip().lower() in YES


#: Longest value a cell of an imported file may hold: a name, a list of skills, never a document.
MAX_FIELD = 2000


def read_rows(text: str, required: set[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row; the header is line 1 and names at least the
    ``required`` columns. A file of more rows than ``IMPORT_MAX_ROWS``, or a cell CSV
    cannot read, is refused whole, in words."""
    limit = current_app.config["IMPORT_MAX_ROWS"]
    reader = csv.DictReader(io.StringIO(text))
    try:
        missing = required - set(reader.fieldnames or [])
        if missing:
            raise RuleViolation(
                _l(
                    "The first line must name the columns, including: %(columns)s",
                    columns=", ".join(sorted(missing)),
                )
            )
        for count, row in enumerate(reader, start=1):
            if count > limit:
                raise RuleViolation(
                    _l("A file may hold at most %(count)d rows: please split it.", count=limit)
                )
            cells = {key: (value or "").strip() for key, value in row.items() if key}
            if any(len(value) > MAX_FIELD for value in cells.values()):
                raise RuleViolation(
                    _l("Line %(line)d holds a value longer than %(count)d characters.",
                       line=reader.line_num, count=MAX_FIELD)
                )  # fmt: skip
            yield reader.line_num, cells
    except csv.Error as error:
        raise RuleViolation(
            _l("Line %(line)d cannot be read as CSV: %(reason)s", line=reader.line_num,
               reason=str(error))
        ) from None  # fmt: skip
