"""The write path every call takes, whichever way it comes (import_calls, the live
endpoints, the broker): JSON lines are split alike (json_lines.py); records in either
face's field names are parsed (records.py, with a parser per kind of value in
record_fields.py and a number's country in countries.py) and checked against one set of
rules (record_rules.py), then stored by the one writer, writer.py's `store_rows`, through
loading.py (COPY on PostgreSQL; the seeder uses it too)."""
