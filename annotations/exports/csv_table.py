"""csv: one row per claim, its columns (``records.CSV_COLUMNS``) taken from the record."""

import csv
import io
from collections.abc import Iterator
from typing import Any

from annotations.exports.base import TEXT, Export, ExportFormat, Param
from annotations.exports.records import CSV_COLUMNS, RECORD

# Cells starting with these are formulas to a spreadsheet; a leading apostrophe keeps them text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(export: Export) -> Iterator[str]:
    """One row per claim, UTF-8; ``bom`` prepends U+FEFF so Excel reads Cyrillic right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    yield ("\ufeff" if export.params.get("bom") else "") + buffer.getvalue()
    cells = RECORD.csv_cells(export.urls)
    for chunk in export.chunks():
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_cell(value) for value in cells(row)] for row in chunk)
        yield buffer.getvalue()


CSV = ExportFormat(
    name="csv",
    content_type="text/csv; charset=utf-8",
    extension="csv",
    write=write_csv,
    description="one row per claim",
    schema=TEXT,
    params=(Param("bom", bool, "start with a byte-order mark (for Excel)."),),
)
