"""The read path both API faces share. One file per step of a request:

params.py (unknown/repeated parameters, limit, offset) and values.py (strict value
parsers) -> scope.py (the readable accounts) -> window.py (the end_time window and the
retention line, CALLS_RETENTION_DAYS) -> core.py (conditions, order, offset and keyset
pages, the exact total) -> cursor.py (signed keyset positions) and counts.py (totals from
the hourly counts).
errors.py holds the one error vocabulary the faces render (cdrapi/faces.py).
"""
