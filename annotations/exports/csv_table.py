"""csv: one row per claim, its columns (``records.CSV_COLUMNS``) taken from the record.

The rows are stored once built (``stored``). On PostgreSQL they come from ``COPY ... TO
STDOUT`` (``chunks.csv_copy``); on other databases Python's ``csv.writer`` writes them, byte
for byte the same (the tests compare both on the same data). Lines end in LF, not CRLF:
``COPY`` cannot write CRLF, and every CSV reader takes LF. A cell holding a line break,
quote or comma is quoted.

Two modes (``csv=``): ``raw``, the default, writes every value as it is, so a program reads
back exactly what the desk holds; ``excel`` is for opening in a spreadsheet: a text cell
that a spreadsheet would run as a formula gets a leading ``'`` (which cannot be told apart
from a real one afterwards, hence not the default) and the file starts with a BOM.
"""

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings

from annotations.exports import stored
from annotations.exports.base import TEXT, Export, ExportFormat, Param
from annotations.exports.fields import FORMULA_START, Row, Urls
from annotations.exports.records import CSV_COLUMNS, RECORD

RAW, EXCEL = "raw", "excel"
MODE = Param(
    "csv",
    str,
    "raw (default): values as stored, lossless, for programs; excel: for a spreadsheet, a text "
    "cell starting with = + - @ tab or CR gets a leading ' and the file a byte-order mark.",
    choices=(RAW, EXCEL),
)


def excel_cell(value: Any) -> Any:
    """A cell a spreadsheet would run as a formula, kept as text (``csv=excel`` only)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class _LfRows:
    """The file ``csv.writer`` writes to: its rows, each ending in LF.

    The writer quotes a cell holding a CR only when CR is part of its line terminator, so
    it writes CRLF, and each row (one ``write`` per row) loses its CR here.
    """

    def __init__(self) -> None:
        self.rows: list[str] = []

    def write(self, row: str) -> None:
        self.rows.append(row[:-2] + "\n")

    def text(self, rows: Iterable[Iterable[Any]]) -> str:
        """The CSV text of ``rows``."""
        self.rows.clear()
        csv.writer(self, lineterminator="\r\n").writerows(rows)
        return "".join(self.rows)


def write_csv(export: Export) -> Iterator[bytes]:
    """One row per claim, UTF-8; ``bom`` (or ``csv=excel``) prepends U+FEFF for Excel.

    The rows are the ones the desk stores once built (``stored``), built by ``COPY`` on
    PostgreSQL and by ``csv.writer`` elsewhere.
    """
    excel = export.params.get(MODE.name) == EXCEL
    bom = "\ufeff" if export.params.get("bom") or excel else ""
    yield (bom + _LfRows().text([CSV_COLUMNS])).encode()
    for chunk in export.counted(
        stored.text_chunks(
            export.claims,
            keyset=export.keyset,
            chunk_size=settings.EXPORT_CHUNK_SIZE,
            urls=export.urls,
            kept=stored.CSV_EXCEL if excel else stored.CSV,
        )
    ):
        yield b"".join(chunk)


def csv_lines(rows: Iterable[Row], urls: Urls, *, excel: bool) -> list[str]:
    """Each claim row's CSV line, ending in LF, as ``csv.writer`` writes it."""
    lines = _LfRows()
    cells = RECORD.csv_cells(urls)
    lines.text(
        ([excel_cell(value) for value in cells(row)] for row in rows)
        if excel
        else (cells(row) for row in rows)
    )
    return lines.rows


def python_rows(export: Export, *, excel: bool) -> Iterator[str]:
    """The rows, chunk by chunk, written by ``csv.writer`` from the rows as they are now
    (any database; what the tests compare the stored and ``COPY`` rows with)."""
    for chunk in export.chunks():
        yield "".join(csv_lines(chunk, export.urls, excel=excel))


CSV = ExportFormat(
    name="csv",
    content_type="text/csv; charset=utf-8",
    extension="csv",
    write=write_csv,
    description="one row per claim, lines ending in LF",
    schema=TEXT,
    params=(
        MODE,
        Param("bom", bool, "start with a byte-order mark (for Excel)."),
    ),
)
