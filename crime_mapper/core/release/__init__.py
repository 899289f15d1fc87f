"""Release: map points, snapping, rules and the public release table with its audit."""
