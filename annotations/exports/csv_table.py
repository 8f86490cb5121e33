"""csv: one row per claim, its columns (``records.CSV_COLUMNS``) taken from the record.

Two modes (``csv=``): ``raw``, the default, writes every value as it is, so a program reads
back exactly what the desk holds; ``excel`` is for opening in a spreadsheet: a text cell
that a spreadsheet would run as a formula gets a leading ``'`` (which cannot be told apart
from a real one afterwards, hence not the default) and the file starts with a BOM.
"""

import csv
import io
from collections.abc import Iterator
from typing import Any

from annotations.exports.base import TEXT, Export, ExportFormat, Param
from annotations.exports.records import CSV_COLUMNS, RECORD

# Cells starting with these are formulas to a spreadsheet; a leading apostrophe keeps them text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
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
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(export: Export) -> Iterator[str]:
    """One row per claim, UTF-8; ``bom`` (or ``csv=excel``) prepends U+FEFF for Excel."""
    excel = export.params.get(MODE.name) == EXCEL
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    yield ("\ufeff" if export.params.get("bom") or excel else "") + buffer.getvalue()
    cells = RECORD.csv_cells(export.urls)
    for chunk in export.chunks():
        buffer.seek(0)
        buffer.truncate()
        if excel:
            writer.writerows([excel_cell(value) for value in cells(row)] for row in chunk)
        else:
            writer.writerows(cells(row) for row in chunk)
        yield buffer.getvalue()


CSV = ExportFormat(
    name="csv",
    content_type="text/csv; charset=utf-8",
    extension="csv",
    write=write_csv,
    description="one row per claim",
    schema=TEXT,
    params=(
        MODE,
        Param("bom", bool, "start with a byte-order mark (for Excel)."),
    ),
)
