"""The one list of export formats. The API's view, its ``format`` parameter and the
OpenAPI schema are all read from ``FORMATS``; adding a format means adding it here."""

from annotations.exports.base import ExportFormat, Param
from annotations.exports.claimreview import CLAIMREVIEW
from annotations.exports.csv_table import CSV
from annotations.exports.history import HISTORY
from annotations.exports.json_records import JSON, JSONL
from annotations.exports.w3c import W3C

FORMATS: dict[str, ExportFormat] = {
    f.name: f for f in (JSON, JSONL, CSV, W3C, CLAIMREVIEW, HISTORY)
}
DEFAULT_FORMAT = JSON.name


def params() -> dict[str, tuple[Param, list[str]]]:
    """Every format's parameters by name, with the formats that read each."""
    found: dict[str, tuple[Param, list[str]]] = {}
    for fmt in FORMATS.values():
        for param in fmt.params:
            found.setdefault(param.name, (param, []))[1].append(fmt.name)
    return found
