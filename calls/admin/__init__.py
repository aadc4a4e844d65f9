"""The admin for the call tables (autodiscovered as `calls.admin`): call_admin.py holds the
registrations, filters.py the time-bounded list filters, views.py the CSV export and the
chart, paginator.py a paginator that never counts the whole table, rates.py the rate
tables (calls/rating/)."""

from calls.admin import (
    call_admin,  # noqa: F401  (registers the models)
    rates,  # noqa: F401  (registers the rate tables)
)
