"""Load: turn extract files into the canonical crimes table, accounting for every row."""
