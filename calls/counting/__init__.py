"""Exact totals, counted in one home (docs/performance.md, "How `total_count` is counted"):

- hours.py: hour arithmetic, always in UTC;
- hourly.py: the hourly counts kept by triggers, and totals from them;
- remembered.py: per-hour counts of the filters asked again, bounded per tenant;
- planner.py: which of those, or a plain COUNT, answers a request;
- budget.py: a per-tenant budget for the counts that read many calls;
- check.py: check_counts, comparing both with live counts and repairing them.

The tables and trigger functions are the migrations' (0005-0012), each holding its SQL as
it ran. Calls are read through calls/query/, which asks the planner for every total.
"""
