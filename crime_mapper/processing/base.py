"""The base every crime_mapper Processing algorithm stands on, as QGIS's own algorithms stand
on ``QgisAlgorithm``.

Why one base: each algorithm used to repeat the same plumbing (``createInstance``, group names,
a feedback adapter, a layer post-processor to style its result, path splitting for
``qgis_process``), and its help went to QGIS as-is. QGIS shows ``shortHelpString`` as HTML, so
help that says "On or near <label>" or "<YYYY-MM>-<force>-street.csv" lost everything from the
first ``<`` on. Here an algorithm writes its help as plain text (:meth:`help_text`) and the
base escapes it once (:func:`help_html`).

A new algorithm: subclass :class:`CrimeMapperAlgorithm`, set ``GROUP_ID`` (a key of
:data:`GROUPS`), write ``name``, ``displayName``, ``help_text``, ``initAlgorithm`` and
``processAlgorithm``; use :meth:`core_feedback` to hand progress/cancel to core code,
:meth:`load_styled_on_completion` to add a styled result to the project, and the
``parameter_*`` readers for text, file and multiple-file values (the file readers check
the paths; every file and folder input is also checked before the run, found by its type,
in :meth:`CrimeMapperAlgorithm.checkParameterValues`). Parameters that several algorithms
share (crimes, map points, neighbourhoods) are declared and read in processing/parameters.py.
"""

from __future__ import annotations

import contextlib
import functools
import html
import math
import numbers
import re
from collections.abc import Iterator
from typing import Any, Callable, ClassVar, Optional

from qgis.core import (
    QgsMapLayer,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingOutputLayerDefinition,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterVectorDestination,
    QgsProcessingUtils,
)
from qgis.PyQt.QtCore import QCoreApplication

from ..compat import FILE_BEHAVIOUR_FOLDER, NUMBER_DOUBLE, SOURCE_FILE
from ..core.common.feedback import Feedback
from ..core.common.layer_source import source_file
from ..core.common.text_file import output_problem, path_problem, shown_path, shown_text
from ..core.common.vocabulary import FLAG_WORDS, flag_value, flag_word

#: Processing group id -> the group's name in the toolbox (one list, so a new algorithm
#: cannot invent a near-duplicate group).
GROUPS: dict[str, str] = {
    # numbered: the toolbox sorts groups by name, and should list them in the month's order
    "load": "1. Load",
    "qa": "2. Check (release QA)",
    "release": "3. Release",
    "hotspots": "4. Hotspots",
    "publish": "5. Publish",
}

#: How a styled result is drawn: called with the layer QGIS has just loaded.
LayerStyler = Callable[[QgsMapLayer], None]


def help_html(text: str) -> str:
    """Plain help text as the HTML QGIS renders: ``<``, ``>`` and ``&`` escaped, line breaks
    kept (as ``<br>``, so the toolbox, the algorithm dialog and ``qgis_process help`` all
    break lines alike)."""
    return html.escape(text, quote=False).replace("\r\n", "\n").replace("\n", "<br>")


def split_paths(value: Any) -> list[str]:
    """Paths from a multiple-file parameter: a ';'- or newline-separated string, or a list.

    A list arrives when qgis_process is given the parameter more than once, or from a model.
    Surrounding quotes (as a pasted Windows path might carry) are dropped.
    """
    items = value if isinstance(value, (list, tuple)) else [value]
    paths: list[str] = []
    for item in items:
        if item is None:
            continue
        for part in re.split(r"[;\r\n]+", str(item)):
            part = part.strip().strip('"').strip("'").strip()
            if part:
                paths.append(part)
    return paths


def input_kind(definition: QgsProcessingParameterDefinition) -> Optional[str]:
    """What a file or folder input parameter takes (core.common.text_file.WANTED: "file",
    "folder", or "either" for a multiple-file parameter of extracts, folders and zips), or
    None for any other parameter (a layer, a number, an output)."""
    if isinstance(definition, QgsProcessingParameterFile):
        return "folder" if definition.behavior() == FILE_BEHAVIOUR_FOLDER else "file"
    if isinstance(definition, QgsProcessingParameterMultipleLayers) and (
        definition.layerType() == SOURCE_FILE
    ):
        return "either"
    return None


def output_kind(definition: QgsProcessingParameterDefinition) -> Optional[str]:
    """What a file or folder output parameter writes ("file" or "folder"), or None for any
    other parameter. A layer output (the hotspots' GeoPackage, the density GeoTIFF) is a
    file here: a value naming a provider instead ("ogr:", "memory:") is not checked
    (:data:`_PROVIDER_URI`)."""
    if isinstance(definition, QgsProcessingParameterFolderDestination):
        return "folder"
    if isinstance(
        definition,
        (
            QgsProcessingParameterFileDestination,
            QgsProcessingParameterVectorDestination,
            QgsProcessingParameterRasterDestination,
        ),
    ):
        return "file"
    return None


#: A layer output that names a provider or a database ("ogr:...", "memory:", "postgis:..."),
#: not a file: two letters or more before the colon, so a Windows drive ("C:") is a path.
_PROVIDER_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:")


def output_path_message(definition: QgsProcessingParameterDefinition, path: str) -> Optional[str]:
    """What is wrong with ``path`` given to the file or folder output ``definition``, in
    :func:`input_path_message`'s words, else None. A path of spaces only is refused: the
    run wrote a file named three spaces in the folder QGIS ran in."""
    wanted = output_kind(definition) or "file"
    if not path.strip():
        return f"{parameter_label(definition)} is blank (spaces only): name a {wanted}"
    problem = output_problem(path, wanted)
    return f"{parameter_label(definition)} {problem}: {shown_path(path)}" if problem else None


def enum_problem(definition: QgsProcessingParameterDefinition, value: Any) -> Optional[str]:
    """Why ``value``, given as a number to a one-choice list parameter (an enum), names
    none of its choices, else None: a choice is a whole number from 0 to the last choice's.
    Why: QGIS takes any number there, and 1.5 ran as choice 1 (the second crime category),
    NaN and 1e300 as some other, each without a word. A text, a list or a model's value is
    left to QGIS's own checks, which refuse what they cannot read."""
    if not isinstance(definition, QgsProcessingParameterEnum) or definition.allowMultiple():
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    options = definition.options()
    number = float(value)
    if math.isfinite(number) and number == int(number) and 0 <= number < len(options):
        return None
    choices = ", ".join(f"{i} ({option})" for i, option in enumerate(options))
    return f"{definition.name()} must be the number of one of its choices, not {value!r}: {choices}"


def parameter_label(definition: QgsProcessingParameterDefinition) -> str:
    """How a message names a parameter: its label up to any aside, then its name, e.g.
    "Salt file (SALT_FILE)" for "Salt file (secret; kept outside the outputs)"."""
    label = re.split(r" \(|, ", definition.description(), maxsplit=1)[0].strip()
    label = re.sub(r"^Or ", "", label)
    label = label[:1].upper() + label[1:]
    return f"{label} ({definition.name()})" if label else definition.name()


def input_path_message(definition: QgsProcessingParameterDefinition, path: str) -> Optional[str]:
    """What is wrong with ``path`` given to the file or folder input ``definition``, as the
    analyst reads it (which input, what is wrong, the path shown safely), else None.

    A path of spaces only is refused, as the command line refuses ``--profile " "``: it is
    no file, and an optional input read as not given would run without the salt or rules
    the user meant to name."""
    wanted = input_kind(definition) or "either"
    if not path.strip():
        what = "folder" if wanted == "folder" else "file"
        label = parameter_label(definition)
        return f"{label} is blank (spaces only): name a {what}, or leave it empty"
    problem = path_problem(path, wanted)
    if problem == "not found" and wanted == "either" and "|" in path:
        # (a GeoPackage layer as QGIS names it, "path|layername=...": the file by
        # layer_source's rule, as the run reads it; "a|b.gpkg|layername=L" is not "a")
        problem = path_problem(source_file(path), wanted)
    return f"{parameter_label(definition)} {problem}: {shown_path(path)}" if problem else None


class ProcessingFeedbackAdapter(Feedback):
    """core.common.feedback.Feedback over QgsProcessingFeedback: progress bar and Cancel button."""

    def __init__(self, feedback: Optional[QgsProcessingFeedback]) -> None:
        self._feedback = feedback

    def set_progress(self, percent: float) -> None:
        if self._feedback is not None:
            self._feedback.setProgress(max(0.0, min(100.0, float(percent))))

    def is_cancelled(self) -> bool:
        return bool(self._feedback is not None and self._feedback.isCanceled())


class StylePostProcessor(QgsProcessingLayerPostProcessorInterface):
    """Styles a result layer when Processing adds it to the project, and names it.

    Processing loads result layers without their stored default style, so the style is applied
    here. QGIS keeps only a C++ pointer to a post-processor: the Python object must stay alive
    until QGIS calls it, hence the class-level list of live instances.
    """

    _alive: ClassVar[list[StylePostProcessor]] = []
    _KEEP = 16  # only the latest few can still be pending

    def __init__(self, style: LayerStyler, name: str) -> None:
        super().__init__()
        self.style = style
        self.name = name

    @classmethod
    def create(cls, style: LayerStyler, name: str) -> StylePostProcessor:
        instance = cls(style, name)
        cls._alive.append(instance)
        del cls._alive[: -cls._KEEP]
        return instance

    def postProcessLayer(self, layer, context, feedback) -> None:
        if layer is None:
            return
        self.style(layer)
        layer.setName(self.name)
        layer.triggerRepaint()


class ShownFeedback:
    """A run's QgsProcessingFeedback whose messages are shown escaped
    (core.common.text_file.shown_text: control and invisible characters written as
    ``\\x1b``, ``\\r``, ``\\u202e``; a message's own newlines and tabs kept); everything else
    (progress, cancel) is the feedback's own.

    Why: the log and ``qgis_process``'s terminal get what the core says, and the core's
    messages quote the analyst's file names, layer names and values read from files. An
    ESC sequence in one rewrote qgis_process's terminal, a bare CR wrote over the line, and
    a bidi override reordered it. This is the one gate every algorithm's messages pass
    (:meth:`CrimeMapperAlgorithm.__init_subclass__` hands it to ``processAlgorithm``), so a
    message nobody thought to escape is escaped too. It is not a QgsFeedback: hand
    ``feedback.feedback`` to a QGIS API that needs one (none does today; the core gets
    :meth:`CrimeMapperAlgorithm.core_feedback`)."""

    #: The feedback's methods whose first argument is text for the log.
    TEXT_METHODS = frozenset(
        (
            "pushInfo",
            "pushWarning",
            "reportError",
            "pushCommandInfo",
            "pushDebugInfo",
            "pushConsoleInfo",
            "setProgressText",
        )
    )

    def __init__(self, feedback: QgsProcessingFeedback) -> None:
        self.feedback = feedback

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.feedback, name)
        if name not in self.TEXT_METHODS:
            return found
        return lambda text, *rest: found(shown_text(text), *rest)


def _shown_messages(run: Callable[..., dict]) -> Callable[..., dict]:
    """``processAlgorithm`` with its messages shown escaped (:class:`ShownFeedback`): what it
    pushes to the feedback, and the message of a QgsProcessingException it raises (QGIS
    reports that to the log and to qgis_process's stderr itself, past the feedback). An
    exception whose message needs nothing escaped is raised as it is."""

    @functools.wraps(run)
    def process(self, parameters: dict, context: QgsProcessingContext, feedback) -> dict:
        shown = None if feedback is None else ShownFeedback(feedback)
        try:
            return run(self, parameters, context, shown)
        except QgsProcessingException as exc:
            message = shown_text(exc)
            if message == str(exc):
                raise
            raise QgsProcessingException(message) from exc

    return process


class CrimeMapperAlgorithm(QgsProcessingAlgorithm):
    """What every crime_mapper algorithm shares; subclasses set ``GROUP_ID`` and write
    ``help_text`` (plain text, escaped here) instead of ``shortHelpString``."""

    GROUP_ID: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A subclass's own ``processAlgorithm`` is run with its messages shown escaped
        (:func:`_shown_messages`): one gate for every algorithm, present and new."""
        super().__init_subclass__(**kwargs)
        run = cls.__dict__.get("processAlgorithm")
        if run is not None and not getattr(run, "shown_messages", False):
            wrapped = _shown_messages(run)
            wrapped.shown_messages = True
            cls.processAlgorithm = wrapped

    def tr(self, text: str) -> str:
        """Translatable text, in the context of the algorithm's class (as QgisAlgorithm)."""
        return QCoreApplication.translate(type(self).__name__, text)

    def addParameter(  # noqa: N802 - QGIS API
        self,
        parameter: QgsProcessingParameterDefinition,
        createOutput: bool = True,  # noqa: N803 - QGIS API
    ) -> bool:
        """Every decimal number field shows sensible decimals (QGIS shows six by default):
        none for metres, two otherwise, unless the algorithm set its own."""
        if isinstance(parameter, QgsProcessingParameterNumber) and (
            parameter.dataType() == NUMBER_DOUBLE
        ):
            metadata = dict(parameter.metadata() or {})
            wrapper = dict(metadata.get("widget_wrapper") or {})
            metres = "metre" in parameter.description().lower()
            wrapper.setdefault("decimals", 0 if metres else 2)
            metadata["widget_wrapper"] = wrapper
            parameter.setMetadata(metadata)
        return super().addParameter(parameter, createOutput)

    def createInstance(self) -> QgsProcessingAlgorithm:
        return type(self)()

    def group(self) -> str:
        return self.tr(GROUPS[self.GROUP_ID])

    def groupId(self) -> str:
        return self.GROUP_ID

    def help_text(self) -> str:
        """The algorithm's help as plain text; ``<``, ``>`` and ``&`` need no escaping."""
        return ""

    def shortHelpString(self) -> str:
        return help_html(self.help_text())

    def parameter_whole(
        self, parameters: dict, name: str, context: QgsProcessingContext, minimum: int = 1
    ) -> int:
        """A whole-number parameter, checked: QgsProcessingException naming it unless it is
        a whole number from ``minimum`` to 2,147,483,647.

        Why: parameterAsInt reads ``nan`` and ``1e308`` as -2,147,483,648 and rounds 2.5 to
        3, and the minimum a parameter declares does not stop ``nan`` from the command line:
        a hotspot grid's maximum of cells then failed with a ZeroDivisionError traceback, or
        a setting was quietly changed."""
        value = self.parameterAsDouble(parameters, name, context)
        if not (math.isfinite(value) and value == int(value) and minimum <= value <= 2**31 - 1):
            given = parameters.get(name, value) if isinstance(parameters, dict) else value
            raise QgsProcessingException(
                f"{name} must be a whole number from {minimum:,} to 2,147,483,647, not {given!r}"
            )
        return int(value)

    def parameter_bool(self, parameters: dict, name: str, context: QgsProcessingContext) -> bool:
        """A yes/no parameter, checked: QgsProcessingException naming it unless it is true or
        false, or a word of core.common.vocabulary.FLAG_WORDS (``no``, ``0``, ``FALSE``...).

        Why: parameterAsBool reads every text but "", "0" and "false" as true, so
        ``FDR=no`` from qgis_process ran with the correction on, ``ATLAS=off`` wrote the
        atlas and ``HOTSPOTS=no`` ran the hotspots, each without a word. A number is read
        by core.common.vocabulary.flag_value (0 or 1): ``FDR=2`` or ``-1`` from Python ran
        with the correction on and ``NaN`` with it off (a number other than 0 or 1 was
        taken for a model's value and read by its truth)."""
        value = parameters.get(name) if isinstance(parameters, dict) else None
        flag: Optional[bool] = None
        if isinstance(value, bool) or value is None:
            return self.parameterAsBool(parameters, name, context)
        if isinstance(value, str):
            flag = flag_word(value)
        elif isinstance(value, numbers.Real) or getattr(value, "dtype", None) is not None:
            flag = flag_value(value)
        else:  # (a model's value QGIS has already resolved, e.g. a QgsProperty)
            return self.parameterAsBool(parameters, name, context)
        if flag is None:
            raise QgsProcessingException(
                f"{name} must be true or false ({', '.join(FLAG_WORDS)}), not {value!r}"
            )
        return flag

    def parameter_enum(self, parameters: dict, name: str, context: QgsProcessingContext) -> int:
        """A one-choice list parameter's choice, checked: QgsProcessingException naming it
        unless it is one of its choices (:func:`enum_problem`), else parameterAsEnum's."""
        value = parameters.get(name) if isinstance(parameters, dict) else None
        problem = enum_problem(self.parameterDefinition(name), value)
        if problem:
            raise QgsProcessingException(problem)
        return self.parameterAsEnum(parameters, name, context)

    def parameter_text(self, parameters: dict, name: str, context: QgsProcessingContext) -> str:
        """A text parameter's value, stripped ("" when not given)."""
        return (self.parameterAsString(parameters, name, context) or "").strip()

    def parameter_path(
        self, parameters: dict, name: str, context: QgsProcessingContext
    ) -> Optional[str]:
        """A file or folder parameter's path, checked (:meth:`input_problem`), or None when
        not given."""
        paths = self._given_paths(name, parameters, context)
        self._refuse_input(name, paths, parameters, context)
        return paths[0] if paths else None

    def parameter_paths(
        self, parameters: dict, name: str, context: QgsProcessingContext
    ) -> list[str]:
        """The paths of a multiple-file parameter (:func:`split_paths`), each checked
        (:meth:`input_problem`)."""
        paths = self._given_paths(name, parameters, context)
        self._refuse_input(name, paths, parameters, context)
        return paths

    def _given_paths(self, name: str, parameters: dict, context: QgsProcessingContext) -> list[str]:
        """The path of a file parameter (none when not given), or the paths of a
        multiple-file parameter (:func:`split_paths`), as given."""
        if isinstance(self.parameterDefinition(name), QgsProcessingParameterMultipleLayers):
            return split_paths(self.parameterAsFileList(parameters, name, context))
        path = self.parameterAsFile(parameters, name, context)
        return [path] if path else []

    def _refuse_input(
        self, name: str, paths: list[str], parameters: dict, context: QgsProcessingContext
    ) -> None:
        definition = self.parameterDefinition(name)
        if definition is None or input_kind(definition) is None:
            return
        for path in paths:
            message = self._path_message(definition, path, parameters, context)
            if message:
                raise QgsProcessingException(message)

    def _path_message(
        self,
        definition: QgsProcessingParameterDefinition,
        path: str,
        parameters: dict,
        context: QgsProcessingContext,
    ) -> Optional[str]:
        if not path.strip():  # (no path to fill in: said as blank)
            return input_path_message(definition, path)
        checked = self.path_to_check(path, parameters, context)
        return None if checked is None else input_path_message(definition, checked)

    def path_to_check(
        self, path: str, parameters: dict, context: QgsProcessingContext
    ) -> Optional[str]:
        """The path a given input names on this computer (None: the run's own reading
        reports it). As given here; an algorithm whose paths are templates (the monthly
        release's ``{month}``) fills them in."""
        return path

    def file_parameters_problem(
        self, parameters: dict, context: QgsProcessingContext
    ) -> Optional[str]:
        """What is wrong with the first file or folder parameter given, input
        (:meth:`input_problem`) or output (:meth:`output_problem`), else None."""
        return self.input_problem(parameters, context) or self.output_problem(parameters)

    def output_problem(self, parameters: dict) -> Optional[str]:
        """What is wrong with the first file or folder output given (:func:`output_kind`),
        else None (:func:`output_path_message`). The value as given is checked: a
        temporary output is QGIS's own, and an expression is left to QGIS."""
        for definition in self.parameterDefinitions():
            if output_kind(definition) is None:
                continue
            value = parameters.get(definition.name()) if isinstance(parameters, dict) else None
            if isinstance(value, QgsProcessingOutputLayerDefinition):
                value = value.sink.staticValue()
            if not isinstance(value, str) or not value or value == "TEMPORARY_OUTPUT":
                continue
            if _PROVIDER_URI.match(value):
                continue
            message = output_path_message(definition, value)
            if message:
                return message
        return None

    def input_problem(self, parameters: dict, context: QgsProcessingContext) -> Optional[str]:
        """What is wrong with the first file or folder input given (:func:`input_kind`:
        every QgsProcessingParameterFile, every multiple-file parameter), else None: a path
        of spaces only, not found, a folder for a file or a file for a folder, a FIFO or a
        device, unreadable, a NUL in it, a name too long (:func:`input_path_message`).

        Why here, over the parameters' types: each algorithm read its paths its own way,
        and a FIFO salt file read "does not exist", a missing QA report a raw "[Errno 2]",
        a NUL "embedded null byte"; a new algorithm's inputs are now checked the same."""
        for definition in self.parameterDefinitions():
            if input_kind(definition) is None or definition.name() not in parameters:
                continue
            if parameters[definition.name()] is None:
                continue
            for path in self._given_paths(definition.name(), parameters, context):
                message = self._path_message(definition, path, parameters, context)
                if message:
                    return message
        return None

    def checkParameterValues(  # noqa: N802 - QGIS API
        self, parameters: dict, context: QgsProcessingContext
    ) -> tuple[bool, str]:
        """Every file and folder parameter checked (:meth:`file_parameters_problem`) before
        QGIS's own checks, whose "Incorrect parameter value for PROFILE" says neither what
        is wrong nor with which path; the toolbox, qgis_process and processing.run all ask
        this before a run."""
        problem = self.file_parameters_problem(parameters, context) or self.enum_problem(parameters)
        if problem:
            return False, problem
        return super().checkParameterValues(parameters, context)

    def enum_problem(self, parameters: dict) -> Optional[str]:
        """What is wrong with the first one-choice list parameter given a number that is
        none of its choices (:func:`enum_problem`), else None."""
        for definition in self.parameterDefinitions():
            if isinstance(parameters, dict) and definition.name() in parameters:
                problem = enum_problem(definition, parameters[definition.name()])
                if problem:
                    return problem
        return None

    @contextlib.contextmanager
    def output_lock(
        self, folders: Any, given: Any = None, feedback: Optional[QgsProcessingFeedback] = None
    ) -> Iterator[None]:
        """Hold the run lock of the output folders the algorithm writes for the ``with``
        block (core.common.run_lock.output_lock, as the command line's commands and the
        monthly release hold it). While another run holds one of them (the month's release
        writing the folder above ``OUTPUT/map``), the algorithm is refused at once with the
        lock's own words, naming that run, before anything is read or written: a
        QgsProcessingException, never a traceback.

        Why: the toolbox's anonymise, web map and summaries took no lock, so one run into a
        release folder while that month's scheduled release ran wrote the folder at once with
        it, the very race the lock stops for the command line.

        A run that goes ahead without the lock (no locks on the file system, a folder above
        the output that the user may not write) says so on ``feedback`` as a warning (in the
        log without one)."""
        from ..core.common.run_lock import FolderBusy, output_lock

        warn = feedback.pushWarning if feedback is not None else None
        held = contextlib.ExitStack()
        try:
            what = f"Processing crime_mapper:{self.name()}"
            held.enter_context(output_lock(folders, what, given, name_lock=True, warn=warn))
        except (FolderBusy, OSError) as exc:  # (OSError: LockNotWritten, a loop of links)
            raise QgsProcessingException(str(exc)) from exc
        with held:
            yield

    @staticmethod
    def core_feedback(feedback: Optional[QgsProcessingFeedback]) -> Feedback:
        """The run's feedback as the core's Feedback (progress and cancel)."""
        return ProcessingFeedbackAdapter(feedback)

    @staticmethod
    def load_styled_on_completion(
        context: QgsProcessingContext,
        uri: str,
        name: str,
        output_name: str,
        style: LayerStyler,
        hint: Any = QgsProcessingUtils.LayerHint.Vector,
    ) -> None:
        """Add a layer the algorithm wrote (not a destination parameter) to the project when
        the run completes, styled and named."""
        if context.project() is None:
            return
        details = QgsProcessingContext.LayerDetails(name, context.project(), output_name, hint)
        details.setPostProcessor(StylePostProcessor.create(style, name))
        context.addLayerToLoadOnCompletion(uri, details)

    @staticmethod
    def style_destination_on_completion(
        context: QgsProcessingContext, path: str, name: str, style: LayerStyler
    ) -> None:
        """Style and name a destination-parameter output Processing is about to load."""
        if not context.willLoadLayerOnCompletion(path):
            return
        details = context.layerToLoadOnCompletionDetails(path)
        details.name = name
        details.setPostProcessor(StylePostProcessor.create(style, name))
