"""Hotspots for intelligence staff: hexagon counts, kernel density, Gi*, change, FDR."""
