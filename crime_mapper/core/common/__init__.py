"""Shared by every stage: vocabularies, schema, palette, geography and projection, staging
(atomic writes), progress, CSV safety, reproducible stamps and optional dependencies."""
