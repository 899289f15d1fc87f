"""Release: map points, snapping, rules, disclosure control and the public release table with
its audit and manifest, all run by ``pipeline`` (the one release pipeline every caller uses)
from the crimes ``crimes_input`` reads."""
