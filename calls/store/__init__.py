"""How calls are kept on disk: range partitions (partitions.py) and DDL that never holds
API reads for long (locks.py), one row per call_uuid (keys.py) and the like/ilike lookups
(lookups.py). The count tables are calls/counting/'s. Plain SQL over the
table: nothing here imports the models (they read the key table, keys.py), and writing
rows is calls/writing/'s (loading.py)."""
