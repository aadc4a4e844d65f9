"""Rating: pricing the calls that arrive without a price (switch CDRs) from rate tables.

The rates are calls/models/rate.py's and the billing-increment rule ("30/6")
calls/vocabulary/increments.py's (the rate model and the record rules read it too);
`pricing.py` prices a batch of parsed rows at the one place rows are stored, and
`rate_files.py` reads and applies a rates CSV (`manage.py import_rates`). docs/rating.md
has the rules and the decisions.
"""
