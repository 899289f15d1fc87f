"""The QGIS side of crime_mapper: GeoPackage output, styled layers, renderers and tasks.

Modules here may import QGIS; crime_mapper.core never does. run_load is the one
implementation of a load that the dock's task, the Processing algorithm and the demo share.
"""
