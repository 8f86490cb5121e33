"""Exports of claims: one record, declared once, and every format behind one registry.

- ``records``: the claim record's fields (``CLAIM_RECORD``) and what derives from them;
  ``fields`` is the vocabulary they are written in and compiles them to Python and SQL.
- ``chunks``: reading claims a chunk at a time (two queries per chunk; on PostgreSQL
  json/jsonl records are built by the database).
- ``base``: what a format is (``ExportFormat``) and what its writer gets (``Export``).
- ``json_records``, ``csv_table``, ``w3c``, ``claimreview``: the formats.
- ``registry``: ``FORMATS``, the one list the API reads.

Rows are written out chunk by chunk, so the first byte leaves at once and memory does not
grow with the number of claims. Dicts are built directly rather than with DRF serializers:
at 100,000 claims the serializer machinery would cost more than the database.
"""
