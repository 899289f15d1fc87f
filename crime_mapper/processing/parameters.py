"""The input parameters several Processing algorithms share, declared once and read once.

- The crimes: the crimes layer of a load, or extract files with an optional mapping profile
  (anonymise, check_release, publish_hotspots, build_map_points, release_qa, export_webmap,
  neighbourhood_summaries).
- The anonymous map points and their label field (the same, but build_map_points).
- The neighbourhoods: a polygon layer with its code, name and population fields, an LSOA to
  neighbourhood lookup CSV with its columns, and LSOA populations (export_webmap and
  neighbourhood_summaries), as :class:`NeighbourhoodParameters`.

Why: each of these was declared by hand in two to seven algorithms, with drift (a polygon
type written as ``[2]``, the same field labelled two ways), and read by helpers one algorithm
imported from another. Here, as in QuickOSM's shared parameter mixins, a new algorithm that
takes crimes, map points or neighbourhoods offers and reads them exactly as the others do.
"""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
)

from ..compat import FILE_BEHAVIOUR_FILE, SOURCE_FILE, SOURCE_VECTOR_POINT, SOURCE_VECTOR_POLYGON


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


def crimes_from_parameters(
    alg: QgsProcessingAlgorithm,
    parameters: dict,
    context: QgsProcessingContext,
    layer_name: str,
    files_name: str,
) -> Any:
    """The crimes input of an algorithm: a crimes GeoPackage URI from the layer, or the list
    of extract paths. Exactly one of the two must be given."""
    from ..core.release.crimes_input import CrimesSourceError
    from ..qgis_bridge.crimes_source import crimes_path_from_layer

    layer = alg.parameterAsVectorLayer(parameters, layer_name, context)
    files = alg.parameter_paths(parameters, files_name, context)
    if layer is not None and files:
        raise QgsProcessingException(
            f"Give either a crimes layer ({layer_name}) or extract files ({files_name}), not both."
        )
    if layer is None and not files:
        raise QgsProcessingException(
            f"No crimes given: choose a crimes layer ({layer_name}) or extract files "
            f"({files_name})."
        )
    if layer is not None:
        try:
            return crimes_path_from_layer(layer)
        except CrimesSourceError as exc:
            raise QgsProcessingException(str(exc)) from exc
    return files


def add_map_points_parameters(
    algorithm: QgsProcessingAlgorithm,
    points_name: str,
    label_name: str,
    *,
    optional: bool = False,
    description: str = "Anonymous map points",
) -> None:
    """The anonymous map points layer and its label field (default "label")."""
    algorithm.addParameter(
        QgsProcessingParameterVectorLayer(
            points_name, description, [SOURCE_VECTOR_POINT], optional=optional
        )
    )
    algorithm.addParameter(
        QgsProcessingParameterField(
            label_name, "Map point label field", "label", points_name, optional=True
        )
    )


def map_points_from_parameters(
    alg: QgsProcessingAlgorithm,
    parameters: dict,
    context: QgsProcessingContext,
    layer_name: str,
    field_name: str,
    *,
    optional: bool = False,
) -> Any:
    """A checked MapPointsSpec from a map points layer and its label field (None when the
    layer is ``optional`` and not given)."""
    from ..core.release.map_points import MapPointsError
    from ..qgis_bridge.map_points_io import spec_from_layer

    layer = alg.parameterAsVectorLayer(parameters, layer_name, context)
    if layer is None:
        if optional:
            return None
        raise QgsProcessingException(f"No map points layer given ({layer_name}).")
    label = alg.parameterAsString(parameters, field_name, context) or "label"
    try:
        return spec_from_layer(layer, label)
    except MapPointsError as exc:
        raise QgsProcessingException(f"Map points: {exc}") from exc


class NeighbourhoodParameters:
    """Mixin for a CrimeMapperAlgorithm that takes neighbourhoods: outlines from a polygon
    layer and/or an LSOA lookup, with populations for rates.

    ``add_neighbourhood_parameters`` in ``initAlgorithm``; in ``processAlgorithm``,
    ``neighbourhood_outlines`` (the layer's polygons, read on the algorithm's thread) and
    ``lookup_source`` (the lookup and LSOA populations, for core.publish.summaries_run).
    """

    NEIGHBOURHOODS = "NEIGHBOURHOODS"
    CODE_FIELD = "CODE_FIELD"
    NAME_FIELD = "NAME_FIELD"
    POPULATION_FIELD = "POPULATION_FIELD"
    LOOKUP = "LOOKUP"
    LOOKUP_CODE_FIELD = "LOOKUP_CODE_FIELD"
    LOOKUP_NAME_FIELD = "LOOKUP_NAME_FIELD"
    LSOA_POPULATION = "LSOA_POPULATION"

    def add_neighbourhood_parameters(self: Any) -> None:
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.NEIGHBOURHOODS,
                "Neighbourhood polygons",
                [SOURCE_VECTOR_POLYGON],
                optional=True,
            )
        )
        for name, label in (
            (self.CODE_FIELD, "Neighbourhood code field"),
            (self.NAME_FIELD, "Neighbourhood name field"),
            (self.POPULATION_FIELD, "Neighbourhood population field"),
        ):
            self.addParameter(
                QgsProcessingParameterField(
                    name, label, parentLayerParameterName=self.NEIGHBOURHOODS, optional=True
                )
            )
        self.addParameter(
            QgsProcessingParameterFile(
                self.LOOKUP, "LSOA to neighbourhood lookup (CSV)",
                behavior=FILE_BEHAVIOUR_FILE, extension="csv", optional=True,
            )
        )  # fmt: skip
        for name, label in (
            (self.LOOKUP_CODE_FIELD, "Lookup: neighbourhood code column"),
            (self.LOOKUP_NAME_FIELD, "Lookup: neighbourhood name column"),
        ):
            self.addParameter(QgsProcessingParameterString(name, label, optional=True))
        self.addParameter(
            QgsProcessingParameterFile(
                self.LSOA_POPULATION, "LSOA populations (CSV, for rates)",
                behavior=FILE_BEHAVIOUR_FILE, extension="csv", optional=True,
            )
        )  # fmt: skip

    def neighbourhood_outlines(
        self: Any, parameters: dict, context: QgsProcessingContext, *, name_as_code: bool
    ) -> Any:
        """The polygons of the NEIGHBOURHOODS layer as core Neighbourhoods, or None without
        a layer. ``name_as_code``: the name field may stand in for a missing code field."""
        from ..core.publish.neighbourhoods import NeighbourhoodError
        from ..qgis_bridge.neighbourhood_layer import neighbourhoods_from_layer

        layer = self.parameterAsVectorLayer(parameters, self.NEIGHBOURHOODS, context)
        if layer is None:
            return None
        code = self.parameter_text(parameters, self.CODE_FIELD, context)
        name = self.parameter_text(parameters, self.NAME_FIELD, context)
        if name_as_code:
            code = code or name
        if not code:
            raise NeighbourhoodError(
                "choose the code or name field of the neighbourhoods"
                if name_as_code
                else "choose the code field of the neighbourhood layer"
            )
        population = self.parameter_text(parameters, self.POPULATION_FIELD, context)
        return neighbourhoods_from_layer(layer, code, name or None, population or None)

    def lookup_source(self: Any, parameters: dict, context: QgsProcessingContext, **more: Any):
        """core.publish.summaries_run.NeighbourhoodSource of the lookup and LSOA populations
        (``more``: further NeighbourhoodSource fields, e.g. a names file)."""
        from ..core.publish.summaries_run import NeighbourhoodSource

        return NeighbourhoodSource(
            lookup=self.parameter_path(parameters, self.LOOKUP, context),
            lookup_code_field=self.parameter_text(parameters, self.LOOKUP_CODE_FIELD, context),
            lookup_name_field=(
                self.parameter_text(parameters, self.LOOKUP_NAME_FIELD, context) or None
            ),
            lsoa_population=self.parameter_path(parameters, self.LSOA_POPULATION, context),
            **more,
        )

    def has_lookup(self: Any, parameters: dict, context: QgsProcessingContext) -> bool:
        """Whether a lookup or LSOA populations were given (a source beyond the outlines)."""
        return bool(
            self.parameter_path(parameters, self.LOOKUP, context)
            or self.parameter_path(parameters, self.LSOA_POPULATION, context)
        )
