"""Public outputs made from the release table: web map, neighbourhood summaries."""
