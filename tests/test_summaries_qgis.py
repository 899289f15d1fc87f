"""crime_mapper:neighbourhood_summaries in real QGIS Processing, with neighbourhoods from a QGIS
polygon layer, and the PDF atlas: pages turned into images with pdftoppm and checked (not
blank, the map drawn, the right neighbourhood's name on each page). A few pages are kept as
artefacts in build/test-artifacts/atlas/."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingFeedback, QgsVectorLayer
from qgis.PyQt.QtGui import QImage

from crime_mapper.core.common.palette import OUTCOME_GROUP_COLOURS
from tests.support.summaries_release import (
    HOODS,
    POPULATION,
    SAMPLE,
    TEAM,
    make_release,
    points_layer,
)

ARTIFACTS = Path(__file__).resolve().parent.parent / "build" / "test-artifacts" / "atlas"


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return make_release(tmp_path_factory.mktemp("summaries_qgis"))


def test_processing_algorithm_with_layer_and_atlas(release, provider, tmp_path):
    from qgis import processing

    hoods_layer = QgsVectorLayer(str(HOODS / "msoa11_leicestershire.geojson"), "msoa", "ogr")
    assert hoods_layer.isValid()
    points = points_layer(release["points"])
    out = tmp_path / "out"
    context = QgsProcessingContext()
    feedback = QgsProcessingFeedback()
    result = processing.run(
        "crime_mapper:neighbourhood_summaries",
        {
            "RAW_FILES": [str(Path(__file__).resolve().parent.parent / "sample_data" / "force"
                              / "2022-10-leicestershire-force-extract.csv")],
            "PROFILE": str(Path(__file__).resolve().parent.parent / "sample_data" / "force"
                           / "leicestershire-force-extract.profile.json"),
            "MAP_POINTS": points,
            "LABEL_FIELD": "label",
            "RELEASE": str(release["csv"]),
            "NEIGHBOURHOODS": hoods_layer,
            "CODE_FIELD": "msoa11cd",
            "LOOKUP": str(HOODS / "lsoa11_to_msoa11_leicestershire.csv"),
            "LOOKUP_CODE_FIELD": "msoa11cd",
            "LOOKUP_NAME_FIELD": "msoa11nm",
            "NAMES": str(HOODS / "msoa11_names_leicestershire.csv"),
            "NAMES_CODE_FIELD": "msoa11cd",
            "NAMES_NAME_FIELD": "msoa11hclnm",
            "LSOA_POPULATION": str(POPULATION),
            "TEAM": str(TEAM),
            "HISTORY": [str(SAMPLE / "police-uk" / "history"),
                        str(SAMPLE / "police-uk" / "2022-09")],
            "FORCE_NAME": "Leicestershire Police",
            "ATLAS": False,
            "OUTPUT": str(out),
        },
        context=context,
        feedback=feedback,
    )  # fmt: skip
    assert result["PAGES"] == 125
    assert Path(result["INDEX"]).is_file()
    tidy = (Path(result["FOLDER"]) / "neighbourhood_summaries.csv").read_text(encoding="utf-8")
    assert "force,Whole force,2021-10,All crime," in tidy  # the history reached the figures
    layer = QgsVectorLayer(f"{result['GPKG']}|layername=neighbourhood_summaries", "n", "ogr")
    assert layer.isValid() and layer.featureCount() == 125


def _ink(image: QImage, box: tuple[float, float, float, float]) -> tuple[float, int]:
    """(share of non-white pixels, number of distinct colours) inside a box given as
    fractions of the page (x0, y0, x1, y1)."""
    w, h = image.width(), image.height()
    x0, y0, x1, y1 = int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)
    ptr = image.convertToFormat(QImage.Format.Format_RGB32).constBits()
    ptr.setsize(image.height() * image.width() * 4)
    pixels = np.frombuffer(ptr, np.uint8).reshape(h, w, 4)[y0:y1, x0:x1, :3]
    non_white = (pixels < 245).any(axis=2).mean()
    colours = len(np.unique(pixels.reshape(-1, 3)[::7], axis=0))
    return float(non_white), colours


def _palette_colours(image: QImage, box: tuple[float, float, float, float], colours) -> int:
    """How many of the given #rrggbb colours fill at least 20 pixels inside the box."""
    w, h = image.width(), image.height()
    x0, y0, x1, y1 = int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)
    ptr = image.convertToFormat(QImage.Format.Format_RGB32).constBits()
    ptr.setsize(h * w * 4)
    bgr = np.frombuffer(ptr, np.uint8).reshape(h, w, 4)[y0:y1, x0:x1, :3]  # 0xffRRGGBB words
    pixels = bgr[:, :, ::-1].reshape(-1, 3).astype(int)
    found = 0
    for colour in colours:
        want = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
        if (np.abs(pixels - want).max(axis=1) <= 6).sum() >= 20:
            found += 1
    return found


def test_pdf_atlas_pages_checked_as_images(release, tmp_path, qgis_app):
    from crime_mapper.core.publish.summaries_run import (
        NeighbourhoodSource,
        read_release,
        run_summaries,
    )
    from crime_mapper.qgis_bridge.atlas import ATLAS_FONT, OUTCOMES_CAPTION, export_atlas

    assert shutil.which("pdftoppm") and shutil.which("pdftotext"), "poppler-utils missing"
    fonts = subprocess.run(["fc-list", ATLAS_FONT], capture_output=True, text=True).stdout
    assert ATLAS_FONT in fonts, f"the atlas font {ATLAS_FONT} is not installed"
    root = Path(__file__).resolve().parent.parent / "sample_data" / "force"
    done = run_summaries(
        [root / "2022-10-leicestershire-force-extract.csv"],
        release["points"],
        release["csv"],
        tmp_path / "out",
        NeighbourhoodSource(
            boundaries=HOODS / "msoa11_leicestershire.geojson",
            code_field="msoa11cd",
            lookup=HOODS / "lsoa11_to_msoa11_leicestershire.csv",
            lookup_code_field="msoa11cd",
            names=HOODS / "msoa11_names_leicestershire.csv",
            names_code_field="msoa11cd",
            names_name_field="msoa11hclnm",
            lsoa_population=POPULATION,
        ),
        profile_path=root / "leicestershire-force-extract.profile.json",
        history=[SAMPLE / "police-uk" / "history", SAMPLE / "police-uk" / "2022-09"],
    )
    assert len(done.table) > 50_000  # the history months came too: the atlas must use them
    hoods = done.summaries.hoods
    # the busiest city neighbourhoods (crimes to draw) and one with none
    order = np.argsort(-done.summaries.cube[: hoods.__len__(), -1, -1])
    picked = [hoods.slugs[i] for i in order[:4]] + [hoods.slugs[order[-1]]]
    names = {hoods.slugs[i]: hoods.names[i] for i in range(len(hoods))}
    pdf = export_atlas(done, read_release(release["csv"]), tmp_path / "atlas.pdf", slugs=picked)
    assert pdf.is_file()
    pages_dir = tmp_path / "pages"
    pages_dir.mkdir()
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(pages_dir / "p")], check=True)
    images = sorted(pages_dir.glob("p-*.png"))
    assert len(images) == len(picked)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    expected_order = sorted(picked, key=lambda slug: names[slug])
    busy = set(picked[:4])
    for k, (image_path, slug) in enumerate(zip(images, expected_order)):
        text = subprocess.run(
            ["pdftotext", "-f", str(k + 1), "-l", str(k + 1), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert names[slug] in text, (slug, text[:200])
        assert "Crimes:" in text and "Per 1,000 residents" in text
        assert "Open Government Licence" in text
        if k < 3:
            shutil.copy(image_path, ARTIFACTS / f"atlas-page-{k + 1}-{slug}.png")
        image = QImage(str(image_path))
        page_ink, _ = _ink(image, (0, 0, 1, 1))
        assert page_ink > 0.02, "blank page"
        map_ink, map_colours = _ink(image, (0.07, 0.12, 0.93, 0.55))
        assert map_ink > 0.005, "map not drawn"
        if slug in busy:
            assert map_colours >= 4, "no coloured crime markers on the map"
        # the outcomes chart (how crime is being tackled), below the figures
        assert OUTCOMES_CAPTION in " ".join(text.split())
        chart_box = (0.06, 0.77, 0.94, 0.94)
        assert _ink(image, chart_box)[0] > 0.002, "outcomes chart not drawn"
        if slug in busy:
            assert _palette_colours(image, chart_box, OUTCOME_GROUP_COLOURS.values()) >= 2, (
                "no outcome bars in the outcome groups' colours"
            )
    # the provider's algorithm list includes the new algorithm
    assert QgsApplication.processingRegistry() is not None


def test_an_atlas_whose_neighbourhoods_do_not_open_names_the_folder_on_one_line(
    release, tmp_path, qgis_app
):
    """The summaries' folder named ``out\\nLeak gate: passed``: "The PDF atlas failed: ..."
    (Processing, the dock) printed it on two lines, the second read as the plugin's own."""
    from crime_mapper.core.publish.summaries_export import GPKG_NAME
    from crime_mapper.core.publish.summaries_run import read_release, run_summaries
    from crime_mapper.qgis_bridge.atlas import export_atlas
    from tests.support.summaries_release import msoa_source

    root = Path(__file__).resolve().parent.parent / "sample_data" / "force"
    done = run_summaries(
        [root / "2022-10-leicestershire-force-extract.csv"],
        release["points"],
        release["csv"],
        tmp_path / "out\nLeak gate: passed",
        msoa_source(),
        profile_path=root / "leicestershire-force-extract.profile.json",
    )
    (done.folder / GPKG_NAME).write_bytes(b"not a GeoPackage")  # (as a failed copy leaves it)
    with pytest.raises(RuntimeError) as failed:
        export_atlas(done, read_release(release["csv"]), tmp_path / "atlas.pdf")
    shown = f"{tmp_path}/out\\nLeak gate: passed/{done.folder.name}"
    assert str(failed.value) == f"cannot open the neighbourhood layer in {shown}"
    assert not (tmp_path / "atlas.pdf").exists()


def test_a_cancel_stops_the_atlas_at_its_next_page_not_once_the_pdf_is_written(
    release, tmp_path, qgis_app
):
    """QgsLayoutExporter.exportToPdf is given a QgsFeedback that asks the run's cancel
    before each page (qgis_bridge.atlas._page_cancel): a cancel was heard only once every
    page was drawn (minutes for a national atlas); an earlier atlas stays as it was."""
    from crime_mapper.core.common.feedback import Cancelled, Feedback
    from crime_mapper.core.publish.summaries_run import read_release, run_summaries
    from crime_mapper.qgis_bridge.atlas import export_atlas
    from tests.support.summaries_release import msoa_source

    root = Path(__file__).resolve().parent.parent / "sample_data" / "force"
    done = run_summaries(
        [root / "2022-10-leicestershire-force-extract.csv"],
        release["points"],
        release["csv"],
        tmp_path / "out",
        msoa_source(),
        profile_path=root / "leicestershire-force-extract.profile.json",
    )
    pages = len(done.summaries.hoods)
    assert pages > 10

    class CancelledOnTheThirdAsk(Feedback):
        """Not cancelled before the export, cancelled once it has begun its pages."""

        asked = 0

        def is_cancelled(self) -> bool:
            self.asked += 1
            return self.asked >= 3

    earlier = tmp_path / "atlas.pdf"
    earlier.write_bytes(b"%PDF the earlier atlas")
    cancel = CancelledOnTheThirdAsk()
    with pytest.raises(Cancelled):
        export_atlas(done, read_release(release["csv"]), earlier, feedback=cancel)
    assert cancel.asked < pages  # (asked at a page, and no more once it was cancelled)
    assert earlier.read_bytes() == b"%PDF the earlier atlas"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".crime_mapper-stage-")]


def _atlas_parameters(release: dict, out: Path) -> dict:
    """crime_mapper:neighbourhood_summaries with ATLAS on the force extract, into ``out``."""
    from tests.support.summaries_release import summaries_parameters

    return summaries_parameters(
        release,
        out,
        QgsVectorLayer(str(HOODS / "msoa11_leicestershire.geojson"), "msoa", "ogr"),
        LABEL_FIELD="label",
        CODE_FIELD="msoa11cd",
        LOOKUP=str(HOODS / "lsoa11_to_msoa11_leicestershire.csv"),
        LOOKUP_CODE_FIELD="msoa11cd",
        ATLAS=True,
    )


def test_a_processing_cancel_during_the_atlas_stops_it_and_changes_nothing(
    release, provider, tmp_path
):
    """ATLAS made the atlas without the run's feedback: Cancel waited for every page, and
    the summaries were moved in before the atlas began. Now the feedback's cancel reaches
    QgsLayoutExporter.exportToPdf (cancelled here from progressChanged once the atlas's
    first page is drawn, past the summaries' half of the bar), the run says it was
    cancelled, and the earlier summaries and atlas stay exactly as they were."""
    from qgis import processing
    from qgis.core import QgsProcessingException

    from crime_mapper.qgis_bridge.atlas import SUMMARIES_SHARE

    out = tmp_path / "out"
    (out / "neighbourhoods").mkdir(parents=True)
    (out / "neighbourhoods" / "index.html").write_text("earlier", encoding="utf-8")
    (out / "neighbourhoods_atlas.pdf").write_bytes(b"%PDF the earlier atlas")
    feedback = QgsProcessingFeedback()
    seen: list[float] = []

    def cancel_in_the_atlas(progress: float) -> None:
        """Cancelled past the first page: the summaries' end, then a page's progress."""
        if progress > SUMMARIES_SHARE and SUMMARIES_SHARE in seen and not feedback.isCanceled():
            feedback.cancel()
        seen.append(progress)

    feedback.progressChanged.connect(cancel_in_the_atlas)
    with pytest.raises(QgsProcessingException, match="cancelled; nothing was changed"):
        processing.run(
            "crime_mapper:neighbourhood_summaries",
            _atlas_parameters(release, out),
            context=QgsProcessingContext(),
            feedback=feedback,
        )
    assert feedback.isCanceled()
    in_atlas = seen[seen.index(SUMMARIES_SHARE) :]
    assert len(in_atlas) > 1 and max(in_atlas) < 100.0, seen  # (at a page, not the end)
    assert (out / "neighbourhoods_atlas.pdf").read_bytes() == b"%PDF the earlier atlas"
    assert (out / "neighbourhoods" / "index.html").read_text(encoding="utf-8") == "earlier"
    assert sorted(p.name for p in out.iterdir()) == ["neighbourhoods", "neighbourhoods_atlas.pdf"]


def test_a_folder_where_the_atlas_goes_is_said_and_the_summaries_stay_as_they_were(
    release, provider, tmp_path
):
    """A folder named as the atlas PDF stops the move into place: Processing says so in a
    QgsProcessingException naming it (a raw OSError came out of the run since the summaries
    and atlas move in together), and the earlier summaries are not replaced."""
    from qgis import processing
    from qgis.core import QgsProcessingException

    out = tmp_path / "out"
    (out / "neighbourhoods").mkdir(parents=True)
    (out / "neighbourhoods" / "index.html").write_text("earlier", encoding="utf-8")
    (out / "neighbourhoods_atlas.pdf").mkdir()
    (out / "neighbourhoods_atlas.pdf" / "kept.txt").write_text("kept", encoding="utf-8")
    with pytest.raises(QgsProcessingException, match="neighbourhoods_atlas.pdf") as raised:
        processing.run(
            "crime_mapper:neighbourhood_summaries",
            _atlas_parameters(release, out),
            context=QgsProcessingContext(),
            feedback=QgsProcessingFeedback(),
        )
    assert "Traceback" not in str(raised.value)
    assert (out / "neighbourhoods" / "index.html").read_text(encoding="utf-8") == "earlier"
    assert (out / "neighbourhoods_atlas.pdf" / "kept.txt").read_text(encoding="utf-8") == "kept"
    assert not [p for p in out.iterdir() if p.name.startswith(".crime_mapper-stage-")]
