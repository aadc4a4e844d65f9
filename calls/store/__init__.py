"""How calls are kept on disk: range partitions (partitions.py) and DDL that never holds
API reads for long (locks.py), the hourly counts kept by triggers (hour_counts.py),
remembered filter counts and the signatures that keep them exact (count_memo.py), one
row per call_uuid (keys.py) and the like/ilike lookups (lookups.py). Plain SQL over the
table: nothing here imports the models (they read the key table, keys.py), and writing
rows is calls/writing/'s (loading.py)."""
