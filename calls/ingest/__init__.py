"""Live ingestion: switches and scripts post finished calls (docs/ingest.md)."""
