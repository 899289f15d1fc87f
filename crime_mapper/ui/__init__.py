"""The plugin's widgets, built in code (no compiled .ui or resource files)."""
