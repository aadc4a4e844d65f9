"""Writes and checks that touch many rows, behind the management commands: seed.py (with
synthetic.py and seed_worker.py), imports.py (with readers.py; records go through the
write path, calls/writing/) and replay.py (switch CDRs through calls/ingest/service.py),
purge.py, and progress.py for their progress bars.
Each works in bounded atomic batches, so it can be interrupted and run again."""
