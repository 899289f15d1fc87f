"""Shared by every stage: vocabularies, schema, palette, geography, staging, progress."""
