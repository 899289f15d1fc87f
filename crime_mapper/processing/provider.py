"""The crime_mapper Processing provider.

Why a provider: every step of the release is also a Processing algorithm, so analysts can use
it from the toolbox, the model designer, batch mode and ``qgis_process.bin``. The list of
algorithms lives in :func:`algorithm_classes`; adding a step means adding one import there.
"""

from __future__ import annotations

from qgis.core import QgsProcessingAlgorithm, QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .. import ICON_PATH, plugin_version

PROVIDER_ID = "crime_mapper"
PROVIDER_NAME = "Crime mapper"


def algorithm_classes() -> list[type[QgsProcessingAlgorithm]]:
    """Algorithm classes the provider offers.

    Imported here, not at module level, so that registering the provider (at QGIS start-up)
    stays cheap and an algorithm module's heavier imports happen only when algorithms load.
    """
    from .anonymise import AnonymiseAlgorithm
    from .build_map_points import BuildMapPointsAlgorithm
    from .check_release import CheckReleaseAlgorithm
    from .export_webmap import ExportWebmapAlgorithm
    from .hotspots_change import HotspotsChangeAlgorithm
    from .hotspots_gi import HotspotsGiAlgorithm
    from .hotspots_grid import HotspotsGridAlgorithm
    from .hotspots_kde import HotspotsKdeAlgorithm
    from .load_extracts import LoadExtractsAlgorithm
    from .monthly_release import MonthlyReleaseAlgorithm
    from .neighbourhood_summaries import NeighbourhoodSummariesAlgorithm
    from .publish_hotspots import PublishHotspotsAlgorithm
    from .release_qa import ReleaseQaAlgorithm

    return [
        LoadExtractsAlgorithm,
        HotspotsGridAlgorithm,
        HotspotsKdeAlgorithm,
        HotspotsGiAlgorithm,
        HotspotsChangeAlgorithm,
        BuildMapPointsAlgorithm,
        AnonymiseAlgorithm,
        CheckReleaseAlgorithm,
        PublishHotspotsAlgorithm,
        ReleaseQaAlgorithm,
        MonthlyReleaseAlgorithm,
        NeighbourhoodSummariesAlgorithm,
        ExportWebmapAlgorithm,
    ]


class CrimeMapperProvider(QgsProcessingProvider):
    """Registers the crime_mapper algorithms under the id ``crime_mapper``."""

    def id(self) -> str:
        return PROVIDER_ID

    def name(self) -> str:
        return PROVIDER_NAME

    def longName(self) -> str:
        return f"{PROVIDER_NAME} {plugin_version()}"

    def versionInfo(self) -> str:
        return plugin_version()

    def icon(self) -> QIcon:
        return QIcon(str(ICON_PATH))

    def svgIconPath(self) -> str:
        return str(ICON_PATH)

    def loadAlgorithms(self) -> None:
        """Called by QGIS on registration and on refresh; each call needs fresh instances."""
        for algorithm_class in algorithm_classes():
            self.addAlgorithm(algorithm_class())
