"""Live ingestion: switches and scripts post finished calls (README, "Live ingestion")."""
