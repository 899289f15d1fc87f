"""The QGIS side of crime_mapper: styled layers, renderers, map points and crimes from layers,
hotspot runs, the QgsTasks the dock runs, and what a release adds in QGIS (styles, project).

Modules here may import QGIS; crime_mapper.core never does. run_load is the one
implementation of a load that the dock's task, the Processing algorithm and the demo share.
"""
