"""The monthly release as one run (issue 14, section 2): the configuration file, the command
line, crime_mapper:monthly_release through qgis_process.bin, and one manifest.

Every run is real: the bundled force extract, its profile and the published police.uk
history in sample_data/, real QGIS, real files. Runs write into tmp_path.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import tomllib

from crime_mapper.core.common.feedback import Cancelled, Feedback
from crime_mapper.core.monthly import toml_lite
from crime_mapper.core.monthly.config import (
    ConfigError,
    ReleaseConfig,
    example_config_text,
    read_config,
    write_config,
)
from crime_mapper.core.monthly.release import (
    MonthlyReleaseError,
    default_map_title,
    run_monthly_release,
)
from tests.support.monthly_config import MONTH, SAMPLE, cli, config_file, folder_files
from tests.support.qgis_process import qgis_process_env, run_qgis_process

# --- the configuration file -----------------------------------------------------------------


def test_the_lite_toml_reader_reads_what_tomllib_reads():
    for text in (example_config_text(), (SAMPLE / "release.toml").read_text(encoding="utf-8")):
        assert toml_lite.loads_lite(text) == tomllib.loads(text)
    tricky = 'a = "x\\"y # not a comment" # comment\nb = [1, 2.5,\n  true, \'c:\\\\d\',]\n'
    assert toml_lite.loads_lite(tricky) == tomllib.loads(tricky)


@pytest.mark.parametrize(
    "text, where",
    [
        ("a = 1\na = 2\n", "line 2"),
        ("[t]\nx = 1\n[t]\n", "line 3"),
        ('a = "open\n', "line 1"),
        ("a = NaN\n", "line 1"),  # (nan itself is TOML: read as tomllib reads it)
        ("a = 1 b\n", "line 1"),
        ("[[t]]\n", "line 1"),
    ],
)
def test_the_lite_toml_reader_refuses_what_it_cannot_read(text, where):
    with pytest.raises(toml_lite.TomlError, match=where):
        toml_lite.loads_lite(text)


def test_a_configuration_round_trips_through_toml_and_json(tmp_path):
    config = read_config(config_file(tmp_path))
    for name in ("again.toml", "again.json"):
        again = read_config(write_config(config, tmp_path / name))
        assert again.to_dict() == config.to_dict()
    assert config.input_paths(MONTH) == [
        SAMPLE / "force" / "2022-10-leicestershire-force-extract.csv"
    ]
    assert config.output_dir("2022-11") == tmp_path / "out" / "2022-11"


def test_a_configuration_saved_with_a_byte_order_mark_reads_as_without(tmp_path):
    """Windows Notepad saves UTF-8 with a byte-order mark: the TOML was refused as an
    "Invalid statement" on line 1, which no one could see in the file."""
    config = read_config(config_file(tmp_path))
    for name in ("marked.toml", "marked.json"):
        path = write_config(config, tmp_path / name)
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
        assert read_config(path).to_dict() == config.to_dict()


@pytest.mark.parametrize(
    "content, message",
    [
        ('[load]\ninputs = ["a.csv"]\nprofle = "p.json"\n', "unknown setting(s): load.profle"),
        ("[hotspots]\ngi = 1\n", "hotspots.gi must be true or false"),
        ("[anonymise]\nmax_distance_m = -5\n", "anonymise.max_distance_m must be a positive"),
        ('[anonymise.map_points]\nkind = "roads"\n', "kind must be one of"),
        ("[release]\nforce = [1]\n", "release.force must be text"),
        ("release = 3\n", "[release] must be a table"),
        # an integer no float holds: an OverflowError traceback, exit 1
        ("[anonymise]\nmax_distance_m = 1" + "0" * 400 + "\n", "max_distance_m is too large"),
        # a 1 mm hotspot grid: refused when read, not after loading and anonymising
        ("[hotspots]\ngi_cell_m = 0.001\n", "hotspots.gi_cell_m must be at least 10 m"),
        ("[hotspots]\nkde_cell_m = 1\n", "hotspots.kde_cell_m must be at least 10 m"),
        ("[hotspots]\nbandwidth_m = 5\n", "hotspots.bandwidth_m must be at least 10 m"),
    ],
)
def test_a_bad_configuration_names_the_key(tmp_path, content, message):
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_config(path)
    assert message in str(caught.value) and str(path) in str(caught.value)


@pytest.mark.parametrize(
    "content, message",
    [
        ("null", "the configuration must be a table (a JSON object), not null"),
        ("[]", "the configuration must be a table (a JSON object), not list"),
        ('{"release": null}', "[release] must be a table, not null"),
        ('{"hotspots": null}', "[hotspots] must be a table, not null"),
        ('{"anonymise": {"map_points": null}}', "[anonymise.map_points] must be a table"),
    ],
)
def test_a_json_null_table_is_refused_not_read_as_defaults(tmp_path, content, message):
    """JSON null read as an empty table: `null` as the whole file ran a release with no
    settings (refused only for the missing inputs), `{"hotspots": null}` ran hotspots."""
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_config(path)
    assert message in str(caught.value) and str(path) in str(caught.value)


def test_a_json_null_configuration_is_refused_by_the_command_line(tmp_path):
    path = tmp_path / "r.json"
    path.write_text("null\n", encoding="utf-8")
    run = cli("release", path, "--month", MONTH)
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert f"{path}: the configuration must be a table (a JSON object), not null" in run.stderr


def test_problems_are_found_before_anything_runs(tmp_path):
    config = ReleaseConfig(
        inputs=["missing-{month}.csv"], salt_file="", output="out/{month}", base_dir=tmp_path
    )
    problems = config.problems(MONTH)
    assert f"Extract not found: {tmp_path / 'missing-2022-10.csv'}" in problems
    assert "No salt file is given (anonymise.salt_file)." in problems
    assert "Map points (history) need at least one path." in problems
    assert config.problems("2022-13") == [
        "the month must be YYYY-MM (for example 2022-10), not '2022-13'"
    ]
    with pytest.raises(MonthlyReleaseError) as caught:
        run_monthly_release(config, MONTH)
    assert caught.value.step == "check" and "Extract not found" in str(caught.value)
    assert not (tmp_path / "out").exists()


# --- whole releases -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_release(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    tmp = tmp_path_factory.mktemp("cli")
    run = cli("release", config_file(tmp), "--month", MONTH)
    return tmp / "out" / MONTH, run


def test_the_command_line_runs_every_step_and_says_where_everything_is(cli_release):
    out, run = cli_release
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    for text in (
        "- load: done",
        "- anonymise: done",
        "- hotspots: done",
        "manifest.json",
        "audit.html",
        f"qgis {out / 'release.qgz'}",
    ):
        assert text in run.stdout, text
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [s["step"] for s in manifest["steps"]] == [
        "load",
        "check",
        "anonymise",
        "hotspots",
        "publish",
    ]
    check = manifest["steps"][1]
    assert check["summary"]["verdict"] and "qa/qa_report.json" in {
        o["name"] for o in check["outputs"]
    }
    public_audit = json.loads((out / "public" / "audit.json").read_text(encoding="utf-8"))
    assert public_audit["release_qa"]["verdict"] == check["summary"]["verdict"]
    assert all(s["status"] == "done" for s in manifest["steps"])
    listed = {o["name"] for s in manifest["steps"] for o in s["outputs"]}
    on_disk = set(folder_files(out)) - {"manifest.json"}
    assert listed == on_disk
    inputs = manifest["inputs"]
    assert inputs["profile"]["name"] == "leicestershire-force-extract.profile.json"
    assert [f["name"] for f in inputs["qa"]["history"]] == [
        "leicester-city-2021-10-to-2022-09.qa_history.json"
    ]
    assert inputs["publish"]["team"]["name"] == "leicester-city-teams.json"
    assert [f["name"] for f in inputs["map_points"]["files"]] == [
        "2022-09-leicestershire-street.csv",
        "2022-10.zip",
    ]
    assert manifest["leak_gate"]["passed"] is True
    assert {c["output"] for c in manifest["leak_gate"]["checks"]} == {
        "2022-10-leicestershire-street.csv",
        "2022-10-leicestershire-street.gpkg",
    }
    assert manifest["software"]["qgis"] != "none (command line)"
    # the public release's own manifest no longer loses the profile
    public = json.loads((out / "public" / "release_manifest.json").read_text(encoding="utf-8"))
    assert public["inputs"]["profile"]["name"] == "leicestershire-force-extract.profile.json"
    assert inputs["salt_fingerprint"] == public["settings"]["salt_fingerprint"]
    salt = (out.parent.parent / "secret" / "release.salt").read_bytes()
    for data in folder_files(out).values():
        assert salt not in data


def test_qgis_process_gives_the_same_bytes_as_the_command_line(cli_release, tmp_path):
    out, run = cli_release
    assert run.returncode == 0
    config = config_file(tmp_path)
    # the same salt, so the same Crime IDs
    (tmp_path / "secret" / "release.salt").write_bytes(
        (out.parent.parent / "secret" / "release.salt").read_bytes()
    )
    env = qgis_process_env(tmp_path)
    result = run_qgis_process(
        [
            "--json",
            "run",
            "crime_mapper:monthly_release",
            "--",
            f"CONFIG={config}",
            f"MONTH={MONTH}",
        ],
        env,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    outputs = json.loads(result.stdout)["results"]
    assert outputs["GATE_PASSED"] is True
    here = tmp_path / "out" / MONTH
    assert Path(outputs["MANIFEST"]) == here / "manifest.json"
    first, second = folder_files(out), folder_files(here)
    assert sorted(first) == sorted(second)
    differ = [name for name in first if first[name] != second[name]]
    # the manifest records the configuration, whose output folder differs; nothing else may
    assert differ == ["manifest.json"], differ
    one = json.loads(first["manifest.json"])
    two = json.loads(second["manifest.json"])
    one.pop("configuration"), two.pop("configuration")
    assert one == two


def test_a_rerun_gives_the_same_bytes_and_a_cancelled_one_changes_nothing(tmp_path):
    from crime_mapper.qgis_bridge.monthly_release import QgisStepRunners

    config = read_config(config_file(tmp_path))
    out = config.output_dir(MONTH)
    run_monthly_release(config, MONTH, runners=QgisStepRunners())
    first = folder_files(out)
    run_monthly_release(config, MONTH, runners=QgisStepRunners())
    assert folder_files(out) == first

    class CancelDuringAnonymise(Feedback):
        def __init__(self) -> None:
            super().__init__()
            self.steps: list[str] = []

        def is_cancelled(self) -> bool:
            return "anonymise" in self.steps

    feedback = CancelDuringAnonymise()
    with pytest.raises(Cancelled):
        run_monthly_release(
            config,
            MONTH,
            runners=QgisStepRunners(),
            feedback=feedback,
            on_step=lambda step, state: feedback.steps.append(step),
        )
    assert folder_files(out) == first
    assert not [p for p in out.rglob("*") if ".tmp" in p.name]


def test_publish_in_the_run_gives_the_bytes_of_publish_run_on_its_own(tmp_path):
    """In one run the publish step takes what the anonymise step read (crimes, map points)
    and the web map takes the summaries' rows, assignment and neighbourhoods, instead of
    reading and computing them again: the files must be those of a publish step run on its
    own afterwards, which reads everything afresh (the bundled configuration has summaries
    history, so the release's rows are the tail of the summaries' table)."""
    from crime_mapper.qgis_bridge.monthly_release import QgisStepRunners

    config = read_config(config_file(tmp_path))
    config.hotspots.enabled = False
    out = config.output_dir(MONTH)
    outputs = run_monthly_release(config, MONTH, runners=QgisStepRunners())
    assert outputs.opened is None  # the raw tables are not kept after the run
    together = folder_files(out)
    assert any(name.startswith("map/") for name in together)
    assert any(name.startswith("neighbourhoods/") for name in together)
    run_monthly_release(
        config, MONTH, runners=QgisStepRunners(), steps=("publish",), previous=outputs
    )
    alone = folder_files(out)
    assert sorted(alone) == sorted(together)
    assert [name for name in together if together[name] != alone[name]] == []
    # and the web map exported on its own (the Web map tab, `cli webmap`), assigning its
    # rows itself: the public CSV's, and the summaries' history rows of the map's 12 months
    from crime_mapper.core.monthly.release import MAP_MONTHS
    from crime_mapper.core.publish.summaries_history import read_history
    from crime_mapper.core.publish.webmap_run import run_webmap
    from crime_mapper.core.release.map_points_files import MapPointsSpec
    from crime_mapper.core.release.public_schema import read_public_csv

    history, _ = read_history(
        [config.path(p, MONTH) for p in config.publish.summaries_history], [MONTH]
    )
    months = sorted(set(history["Month"]))[-(MAP_MONTHS - 1) :]

    points = config.map_points
    run_webmap(
        [outputs.release.public_csv],
        out / "map",
        raw=outputs.load.crimes,
        points=MapPointsSpec(
            kind=points.kind, paths=[str(p) for p in config.map_points_paths(MONTH)]
        ),
        profile_path=config.optional_path(config.profile, MONTH),
        neighbourhoods=config.neighbourhood_source(MONTH),
        title=default_map_title(config.force, MONTH),
        street_table=read_public_csv(outputs.release.public_csv),
        history_table=history[history["Month"].isin(months)].reset_index(drop=True),
    )
    on_its_own = folder_files(out)
    maps = [name for name in together if name.startswith("map/")]
    assert [name for name in maps if together[name] != on_its_own[name]] == []


@pytest.mark.parametrize(
    "inputs",
    [
        ["force/2022-10-leicestershire-force-extract.csv"],
        ["police-uk/2022-09", "police-uk/2022-10.zip", "police-uk/2022-07"],
        ["police-uk/history/leicester-city-2021-10-to-2022-08.zip"],
        ["../tests/data/malformed", "../tests/data/police-uk-strays"],
    ],
    ids=["force-extract", "several-files", "months-in-a-zip", "damaged-with-rejects"],
)
def test_the_loaded_table_stands_for_the_geopackage_read_back(inputs, tmp_path):
    """The monthly release's QGIS load hands the anonymise step the table it wrote instead
    of the GeoPackage read back (~6 s nationally): the two must be equal in every value,
    dtype and category order, with the same rejects and manifest description."""
    from crime_mapper.core.gate.leak_gate import same_table
    from crime_mapper.core.release.crimes_input import crimes_from_gpkg
    from crime_mapper.qgis_bridge.run_load import run_load

    paths = [SAMPLE / p for p in inputs]
    profile = SAMPLE / "force" / "leicestershire-force-extract.profile.json"
    out = run_load(
        paths, tmp_path, profile_path=profile if "force" in inputs[0] else None, keep_table=True
    )
    kept = crimes_from_gpkg(out.gpkg, loaded=out.table)
    read = crimes_from_gpkg(out.gpkg)
    assert len(read.crimes) > 0
    assert same_table(kept.crimes, read.crimes)
    assert same_table(kept.rejects, read.rejects)
    if "damaged" in str(inputs):
        assert len(read.rejects) > 0
    assert kept.input_entries == read.input_entries
    assert (kept.input_files, kept.description) == (read.input_files, read.description)


def test_without_qgis_the_rest_runs_and_the_public_files_are_the_same(cli_release, tmp_path):
    out, _ = cli_release
    config = config_file(tmp_path)
    (tmp_path / "secret" / "release.salt").write_bytes(
        (out.parent.parent / "secret" / "release.salt").read_bytes()
    )
    run = cli("release", config, "--month", MONTH, "--no-qgis")
    assert run.returncode == 1, run.stderr
    assert "hotspots not run: hotspot layers are written by QGIS" in run.stderr
    here = tmp_path / "out" / MONTH
    name = "public/2022-10-leicestershire-street.csv"
    assert (here / name).read_bytes() == (out / name).read_bytes()
    assert (here / "public" / "audit.html").read_bytes() == (
        out / "public" / "audit.html"
    ).read_bytes()
    manifest = json.loads((here / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["software"]["qgis"] == "none (command line)"
    hotspots = next(s for s in manifest["steps"] if s["step"] == "hotspots")
    assert hotspots["status"] == "not run" and hotspots["outputs"] == []


def test_a_failing_step_names_itself_and_what_to_do(tmp_path):
    config = config_file(tmp_path, load__profile=str(SAMPLE / "release.toml"))
    run = cli("release", config, "--month", MONTH, "--no-qgis")
    assert run.returncode == 2
    assert "crime_mapper: error: The load step failed:" in run.stderr
    assert "What to do:" in run.stderr
    assert not (tmp_path / "out" / MONTH / "manifest.json").exists()


def test_a_release_publishing_nothing_says_so_in_its_summary(tmp_path):
    """The anonymise step was "done" like any other when every crime was withheld: the
    summary (the command line's and the dock's) now says nothing is published."""
    from crime_mapper.core.common import vocabulary
    from crime_mapper.core.release.rules import ReleaseRules
    from tests.support.monthly_config import quick_config

    config = quick_config(tmp_path)
    rules = tmp_path / "rules.json"
    ReleaseRules({name: "withhold" for name in vocabulary.all_category_names()}).save(rules)
    config.rules = str(rules)
    done = run_monthly_release(config, MONTH, steps=("load", "check", "anonymise"))
    step = next(s for s in done.steps if s.name == "anonymise")
    assert step.summary["published_rows"] == 0
    assert step.note.startswith("Nothing is published: all ")
    assert "- anonymise: done (Nothing is published: all " in done.summary_text()


def test_the_check_step_names_a_history_month_left_out(tmp_path):
    """A later month given as history was left out of the QA's baseline in silence."""
    config = read_config(config_file(tmp_path))
    history = json.loads(Path(config.qa.history[0]).read_text(encoding="utf-8"))
    later = tmp_path / "later.json"
    later.write_text(json.dumps([{**history[0], "month": "2022-11"}]), encoding="utf-8")
    config.qa.history.append(str(later))
    done = run_monthly_release(config, MONTH, steps=("load", "check"))
    check = next(s for s in done.steps if s.name == "check")
    line = f"2022-11 from {later}: not before the release month 2022-10, left out"
    assert check.summary["history_left_out"] == [line]
    assert f"history months left out: {line}" in done.summary_text()


def test_example_and_usage(tmp_path):
    run = cli("release", "--example")
    assert run.returncode == 0 and tomllib.loads(run.stdout)["release"]["output"]
    run = cli("release", tmp_path / "none.toml", "--month", MONTH)
    assert run.returncode == 2 and "cannot read the release configuration" in run.stderr


def test_the_toolbox_lists_groups_in_the_order_of_the_month(provider):
    """The Processing toolbox sorts groups by name: they read Load, Check, Release, Hotspots,
    Publish, and the monthly release is in Release."""
    groups = sorted({alg.group() for alg in provider.algorithms()})
    assert groups == ["1. Load", "2. Check (release QA)", "3. Release", "4. Hotspots", "5. Publish"]
    assert provider.algorithm("monthly_release").group() == "3. Release"


def test_the_audit_page_names_the_release_and_the_file_each_check_ran_on(cli_release):
    """Issue 14 section 4: month and force in the heading, the file of every gate check, the
    counts explained, and only the categories present in the rules table."""
    import re

    out, run = cli_release
    assert run.returncode == 0
    audit = json.loads((out / "public" / "audit.json").read_text(encoding="utf-8"))
    html = (out / "public" / "audit.html").read_text(encoding="utf-8")
    forces = ", ".join(audit["input"]["forces"])
    assert f"<h1>Release audit: {forces}, {MONTH}</h1>" in html
    for name in ("2022-10-leicestershire-street.csv", "2022-10-leicestershire-street.gpkg"):
        checks = [c for c in audit["leak_gate"]["checks"] if c["output"] == name]
        assert checks and html.count(f"<td>{name}</td>") == len(checks)
    assert "The gate checks each public file on its own" in html
    rules = html[html.index("Release rule per category") :]
    listed = re.findall(r'<tr><th scope="row">([^<]+)</th>', rules)
    present = [c["category"] for c in audit["categories"] if c["rows_in"]]
    assert sorted(listed) == sorted(present)


def test_decimal_number_fields_show_sensible_decimals(provider):
    """Issue 14 section 4: QGIS shows six decimals for a decimal number unless told; every
    crime_mapper decimal parameter says how many (none for metres)."""
    from qgis.core import QgsProcessingParameterNumber

    from crime_mapper.compat import NUMBER_DOUBLE

    seen = 0
    for algorithm in provider.algorithms():
        for parameter in algorithm.parameterDefinitions():
            if isinstance(parameter, QgsProcessingParameterNumber) and (
                parameter.dataType() == NUMBER_DOUBLE
            ):
                seen += 1
                decimals = parameter.metadata()["widget_wrapper"]["decimals"]
                if "metre" in parameter.description().lower():
                    assert decimals == 0, (algorithm.id(), parameter.name())
                else:
                    assert decimals <= 2, (algorithm.id(), parameter.name())
    assert seen >= 5


def test_the_summary_counts_the_web_map_and_summaries_files(tmp_path):
    """A national release writes thousands of summary pages in sub-folders: the summary the
    dock and the command line show counts them under their folder instead of listing each."""
    from crime_mapper.core.monthly.release import MonthlyOutputs, StepRecord

    out = tmp_path / MONTH
    pages = [out / "neighbourhoods" / f"E0{i:07d}" / "index.html" for i in range(500)]
    written = [out / "neighbourhoods" / "index.html", out / "map" / "index.html", *pages]
    outputs = MonthlyOutputs(
        month=MONTH,
        out_dir=out,
        manifest=out / "manifest.json",
        steps=[StepRecord("publish", "done", outputs=[*written, out / "public" / "x.csv"])],
    )
    text = outputs.summary_text()
    assert f"{out / 'neighbourhoods'}/ (501 files)" in text and f"{out / 'map'}/ (1 files)" in text
    assert f"    {out / 'public' / 'x.csv'}" in text and "E0000001" not in text


def test_summaries_made_with_the_web_map_link_to_it(cli_release):
    """The release publishes the web map beside the summaries, and the map's popups link to
    the summaries; the summaries' pages did not link back (their command's --with-map was
    never set by the release), so a reader of a neighbourhood's page had no way to the map."""
    out, run = cli_release
    assert run.returncode == 0
    pages = sorted((out / "neighbourhoods").glob("*.html"))
    index = (out / "neighbourhoods" / "index.html").read_text(encoding="utf-8")
    assert '<a href="../map/index.html">Crime map</a>' in index
    page = next(p for p in pages if p.name != "index.html").read_text(encoding="utf-8")
    link = re.search(r'<a href="(\.\./map/index\.html#[^"]*)">See [^<]* on the crime map</a>', page)
    assert link, page[:3000]
    assert (out / "neighbourhoods" / link.group(1).split("#")[0]).resolve().is_file()
    assert "m=2022-10" in link.group(1)


def test_the_web_map_title_names_the_month_in_words(cli_release):
    """The release's default title was "Street-level crime map, Leicestershire 2022-10": the
    page's heading and the browser tab named the month as a code, under a line and a table
    that name it "October 2022". Now the heading says it as the rest of the page does."""
    out, run = cli_release
    assert run.returncode == 0
    html = (out / "map" / "index.html").read_text(encoding="utf-8")
    title = "Street-level crime map, Leicestershire, October 2022"
    assert f"<title>{title}</title>" in html and f"<h1>{title}</h1>" in html
