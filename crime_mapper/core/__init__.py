"""The QGIS-free core, one sub-package per stage of the monthly release.

Nothing under ``core`` imports qgis, PyQt or osgeo (tests/test_layout.py enforces it), so every
stage runs from the command line and in fast tests, and QGIS (layers, renderers, tasks,
Processing, the dock) is a thin layer over it.

- ``common``: vocabularies, the canonical schema, palette, geography, staging, feedback;
- ``load``: reading and validating extracts (sources, scanning, readers, profiles, report);
- ``io``: GeoPackage reading and writing with sqlite3 and numpy;
- ``release``: map points, snapping, rules, anonymising, public schema, audit, manifest;
- ``gate``: the leak gate that every public output passes before it is moved into place;
- ``hotspots``: hexagon grids, kernel density, Gi*, change hotspots, FDR;
- ``publish``: public outputs made from the release table (web map, neighbourhood summaries);
- ``qa``: release QA, this month against the force's own history, before anonymising;
- ``monthly``: the whole month as one run from a configuration file, with one manifest.
"""
