"""The input parameters the release algorithms share: the crimes (a layer from a load, or
extract files with an optional mapping profile) and the anonymous map points with their label
field. One definition, so anonymise, check_release and publish_hotspots offer them alike."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingAlgorithm,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterVectorLayer,
)

from ..compat import FILE_BEHAVIOUR_FILE, SOURCE_FILE, SOURCE_VECTOR_POINT


def add_crimes_parameters(
    algorithm: QgsProcessingAlgorithm,
    layer_name: str,
    files_name: str,
    profile_name: str,
    *,
    raw: bool = False,
) -> None:
    """A crimes layer from a crime_mapper load, or extract files (+ a mapping profile)."""
    what = "Raw crimes" if raw else "Crimes"
    files = "raw extract" if raw else "crime extract"
    algorithm.addParameter(
        QgsProcessingParameterVectorLayer(
            layer_name,
            f"{what} layer (from a crime_mapper load)",
            [SOURCE_VECTOR_POINT],
            optional=True,
        )
    )
    algorithm.addParameter(
        QgsProcessingParameterMultipleLayers(
            files_name,
            f"Or {files} files (.csv, folders, police.uk .zip)",
            SOURCE_FILE,
            optional=True,
        )
    )
    algorithm.addParameter(
        QgsProcessingParameterFile(
            profile_name,
            "Column-mapping profile (JSON)",
            behavior=FILE_BEHAVIOUR_FILE,
            extension="json",
            optional=True,
        )
    )


def add_map_points_parameters(
    algorithm: QgsProcessingAlgorithm, points_name: str, label_name: str
) -> None:
    """The anonymous map points layer and its label field (default "label")."""
    algorithm.addParameter(
        QgsProcessingParameterVectorLayer(
            points_name, "Anonymous map points", [SOURCE_VECTOR_POINT]
        )
    )
    algorithm.addParameter(
        QgsProcessingParameterField(
            label_name, "Map point label field", "label", points_name, optional=True
        )
    )
