"""Processing provider and algorithms (one algorithm per module), usable from the toolbox,
the model designer, batch mode and ``qgis_process.bin``."""
