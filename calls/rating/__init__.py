"""Rating: pricing the calls that arrive without a price (switch CDRs) from rate tables.

`models.py` holds the rates (the billing-increment rule, "30/6", is
calls/vocabulary/increments.py: the rate model and the record rules read it too),
`pricing.py` prices a batch of parsed rows at the one place rows are stored, and
`rate_files.py` reads and applies a rates CSV (`manage.py import_rates`). docs/rating.md
has the rules and the decisions.
"""
