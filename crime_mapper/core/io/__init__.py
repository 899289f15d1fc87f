"""GeoPackage reading and writing with sqlite3 and numpy (no GDAL), fast and reproducible."""
