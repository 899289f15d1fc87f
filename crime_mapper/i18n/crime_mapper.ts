<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_GB">
<context>
    <name>CrimeMapperDock</name>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>A load is already running.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Add a folder of extracts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Add at least one file, folder or zip to load.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Add extracts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Add files…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Add folder…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Choose an output folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Clear</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Column-mapping profile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Crime mapper</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Edit profile…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Extracts: police.uk CSV files, folders or monthly .zip archives, or a force's records-system export (with its mapping profile below)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Files, folders and zips to load together</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Folder for the crimes GeoPackage, the rejects CSV and the validation report</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Force extract to build a profile from</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Hotspots</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Load</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Load cancelled; previous outputs are unchanged.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Load failed: {error}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Load finished with an error: {error}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Load finished: layers added; the validation report is in the panel.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Loaded, but adding the layers failed: {error}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Loading {count} input(s)…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Mapping profile (optional)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Mapping profile not found: {profile}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Monthly release</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>New profile from extract…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Not found: {paths}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Open the chosen mapping profile in the editor</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Optional: JSON profile mapping a force's column names; police.uk files and known header variants are detected without one</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Output folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>QA</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Read a force extract's columns and build a mapping profile for it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Release</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Remove</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Summaries</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>The validation report of the last load shows here.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Validation report</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Warning: {text}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/dock.py"/>
        <source>Web map</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>GuidedReleasePanel</name>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>1. Load</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>2. Check</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>3. Anonymise</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>4. Hotspots (internal)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>5. Publish</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>A QGIS project too</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>A map points file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>A self-contained accessible web map of the public release (map/index.html)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Add layers when done</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Add the release's layers: public visible, internal ones switched off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Add to map</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Also a PDF atlas</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Also write a QGIS project holding every layer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Areas</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Cancelled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Cancelled: nothing was changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Code field</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Column-mapping profile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Details</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Done</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Done: </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Earlier extracts, police.uk files or a saved *.qa_history.json</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Every row accounted for</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Extracts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Families</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Fix the problems shown under the steps first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Force</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Gi* and kernel density</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Hexagon centres (last resort)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>History</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Hotspots on the internal exact data for intelligence staff; never published</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Idle</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>LSOA lookup</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>LSOA population</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>LSOA to neighbourhood lookup</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Lookup LSOA field</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Lookup code field</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Lookup name field</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Map points</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Map points sources</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Max distance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Month</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Month and folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Name field</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Names code field</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Names file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Names name field</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Neighbourhood outlines</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Neighbourhood summaries: a page and CSV per neighbourhood (neighbourhoods/), from the public release</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Not ready: see the problems under </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Not run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Not run here</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Not run: an earlier step failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Not run: the release was cancelled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Only for a force's own export: the profile that maps its columns</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Open a release configuration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Open a release configuration file (.toml or .json)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Open folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Open the neighbourhood summaries</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Open the release folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Open the web map in the browser</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Open web map</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Optional: a CSV of code,family; each page compares its neighbourhood with the others of its family instead of the nearest in density and crime mix</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Out of date: an earlier step changed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Outlines</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Police neighbourhoods, wards or MSOAs: polygons with a code field</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Population field</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Profile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Published police.uk history</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>QA report</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Ready: every input is there.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Recent configurations…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Release QA</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Release QA: compare this month with the force's earlier months (counts, categories, places); findings go into the audit and never stop the release</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Release configurations opened or saved recently</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Release rules</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Release warning: {first}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Rules</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Run every step in the background; Cancel stops it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Run only this step, in the background</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Run the earlier step first: </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Run the whole release</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Run this step</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Running </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Running…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Salt file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Save the release configuration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Save these settings as a release configuration file, to run next month or from the command line</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Show audit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Show the audit page in the browser</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Skipped (turned off)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Small-count threshold</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Sources</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Street-level crime map, force, month</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Summaries</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Summaries only: counts below this number are shown as 'fewer than N' (Off, as police.uk). Not with the web map, whose points show every count</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Team information</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>The configuration was not saved: </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>The force's history</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>The force's published police.uk files (folders, zips) or one map points .gpkg/.csv</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>The internal folder: crimes, rejects</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>The internal hotspot layers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>The month's release in five steps. Fill in each step (problems show under it), then run the steps one by one or press Run the whole release. Settings are kept with the project. &lt;a href="{url}"&gt;Help&lt;/a&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>The neighbourhood policing teams: who they are, their priorities and events (police.uk API JSON or CSV, by neighbourhood code); shown on each summary page</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>The outlines' field holding each area's code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>The public CSV, GeoPackage and audit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>The release QA report</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>The release cannot start: </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>The release failed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>The release folder; {month} is replaced by the month</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>The release is already running.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>The release month, YYYY-MM; it replaces {month} in paths</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>The release salt: a secret kept outside the output folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>The release's layers could not all be added: </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>The saved release settings could not be read: </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>The summaries as a PDF atlas too, one page per neighbourhood (neighbourhoods_atlas.pdf; needs Summaries)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>The web map's title; empty for the default</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>This month's extracts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Title</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Validation report</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Web map</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>When the whole release ends, add its layers to the map (public visible)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>Where each output is, once the release ran.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>e.g. Leicestershire</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>e.g. msoa11cd</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>none: police.uk files</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>optional</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>police.uk CSV files, monthly .zip archives or a force's records-system export; {month} is replaced by the month</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>the documented default rules</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/guided_release.py"/>
        <source>the release</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>HotspotsPanel</name>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source> m</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>A hotspot run is already going.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>All crimes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Apply heatmap preview (points)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Bandwidth</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Baseline months</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Category</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Choose the count or rate field to colour the areas by.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Choropleth by area (polygons)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Classification</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Count or rate field</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Counts or Gi* (settings above) from the public release CSV, checked by the leak gate against the crimes of the last load</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Crime points</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Current month(s)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Empty = the crimes of the last load</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Enter the current month(s) to compare, e.g. 2022-10.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>False discovery rate correction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Heatmap preview of {layer}: each crime spreads over {radius:.0f} m on the ground.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Hexagon size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Map points</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Maximum cells</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Method</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Months</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>No load yet: choose a point layer.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Output file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Public layer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Publish for the public</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Publish through the leak gate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Publishing through the leak gate…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Quick styles for the active layer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Raster cell size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Release CSV</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Running…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Select a point layer for the heatmap preview.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>Select a polygon layer (areas) for the choropleth.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>The crimes of the last load</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>The hotspot file was written, but adding the layer failed: {exc}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>The output file must end with {expected}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>The output's folder cannot be made: {folder} ({error})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>all months, or e.g. 2022-09,2022-10</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>automatic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>default: beside the crimes GeoPackage</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>default: beside the release CSV</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>e.g. 2022-10</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>empty = all earlier months</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>map points file (.gpkg or .csv)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/hotspots_panel.py"/>
        <source>public release CSV (from Anonymise)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MonthlyReleaseAlgorithm</name>
    <message>
        <location filename="../../crime_mapper/processing/monthly_release.py"/>
        <source>Audit page</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/processing/monthly_release.py"/>
        <source>Extracts (without a configuration)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/processing/monthly_release.py"/>
        <source>Hotspots for intelligence staff</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/processing/monthly_release.py"/>
        <source>Leak gate passed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/processing/monthly_release.py"/>
        <source>Manifest</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/processing/monthly_release.py"/>
        <source>Map points from</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/processing/monthly_release.py"/>
        <source>Map points sources (history files or one map points file)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/processing/monthly_release.py"/>
        <source>Maximum distance to a map point (metres)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/processing/monthly_release.py"/>
        <source>Month (YYYY-MM)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/processing/monthly_release.py"/>
        <source>Monthly release (every step)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/processing/monthly_release.py"/>
        <source>Public CSV</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/processing/monthly_release.py"/>
        <source>Release configuration (.toml or .json)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/processing/monthly_release.py"/>
        <source>Release folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/processing/monthly_release.py"/>
        <source>Release folder (without a configuration)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/processing/monthly_release.py"/>
        <source>Runs the whole monthly release in one go: load and validate the extracts, anonymise them for the public (map points, salted Crime IDs, rules, audit, leak gate), hotspots on the internal exact data for intelligence staff, publish, and one manifest (manifest.json) covering every step: inputs with checksums (the profile and the map points files included), settings, software versions, outputs with checksums and every leak-gate result.

From a file: CONFIG is a release configuration (.toml or .json; `python3 -m crime_mapper.cli release --example` prints a commented one, the dock saves one) and MONTH the release month (YYYY-MM), which replaces {month} in its paths. The file then decides every setting: leave the other parameters at their defaults (a value given for one is refused, since it would not be used).

From parameters (no CONFIG): INPUTS (extract files, folders or police.uk zips), PROFILE (a force export's column-mapping profile), MAP_POINTS_KIND and MAP_POINTS (the force's published police.uk history, or a map points .gpkg/.csv file; its labels written 'On or near X' are read as 'X'), SALT_FILE (kept outside the output folder), RULES, MAX_DISTANCE, HOTSPOTS and OUTPUT_FOLDER.

The map points are also checked against the project's other loaded months (the internal crimes table of each other load): map points at their raw locations are refused. Under qgis_process there is no project, so none.

It stops at the first failing step with the reason and what to do; every step writes all of its files or none, so earlier outputs stay as they were. Re-running the same release gives byte-identical files (the QGIS project apart).

Command line: qgis_process.bin run crime_mapper:monthly_release -- CONFIG=release.toml MONTH=2022-10</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/processing/monthly_release.py"/>
        <source>Summary</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/processing/monthly_release.py"/>
        <source>a map points file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/processing/monthly_release.py"/>
        <source>hexagon centres (last resort)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/processing/monthly_release.py"/>
        <source>the force's published police.uk history</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ProfileDialog</name>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>'auto' reads ISO and day-first UK dates. Otherwise a strftime format; when a time column is chosen it applies to 'date time' (e.g. %d/%m/%Y %H:%M)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>(none)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>All {n_rows} rows map to a police.uk category.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>Auto (guess from the coordinate values)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>Browse…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>Cannot map offences: {exc}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>Choose an Offence (or category) column to preview.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>Column-mapping profile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>Comma ,</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>Coordinate reference system of the x / y columns</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>Coordinates CRS</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>Date format</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>Defaults to Reported by</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>Delimiter</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>EPSG:2157 Irish Transverse Mercator</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>EPSG:27700 British National Grid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>EPSG:4326 WGS84 longitude / latitude</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>Encoding</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>Falls within</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>How to read it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>No extract read yet: columns come from the profile.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>Not in the offence table: this row would be rejected as unknown_category</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>Not saved: {exc}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>Offence table (CSV)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>Pipe |</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>Profile name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>Read an extract to preview how its offences map.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>Read columns from extract…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>Ready to save.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>Reported by</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>Semicolon ;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>Tab</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>Which column holds what</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>auto</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>e.g. Leicestershire Police (when no column)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>{column} (not in this extract)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>{n_unmapped} of {n_rows} rows unmapped: {names}. Add them to the offence table, or these rows will be rejected (unknown_category).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/profile_dialog.py"/>
        <source>{name}: {n_header} columns, {encoding}, first {n_rows} rows read</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PublishPanel</name>
    <message>
        <location filename="../../crime_mapper/ui/publish_panel.py"/>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/publish_panel.py"/>
        <source>Open in browser</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/publish_panel.py"/>
        <source>{needs} {missing}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/publish_panel.py"/>
        <source>{noun} cancelled; nothing was changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/publish_panel.py"/>
        <source>{noun} failed: {error}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>QaPanel</name>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>All crimes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>Column-mapping profile for a force extract (police.uk files need none)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>Column-mapping profile for force extracts among the history files</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>History</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>History months left out: {notes}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>History profile (optional)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>Hour-by-day views for each category, each area, or all</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>Input file not used: {error}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>Map points (optional)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>Mapping profile (optional)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>Neighbourhoods (optional)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>No QA run yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>Open report</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>Optional LSOA code to neighbourhood lookup (two columns): test neighbourhoods</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>Optional map points: a force extract's rows take their point's label and LSOA, and the distance to it is checked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>Per area (LSOA)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>Per category</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>QA cancelled; the previous report is unchanged.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>QA report folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>Release QA cancelled.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>Release QA failed: {error}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>Release QA {month}: {verdict}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>Report folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>Run QA</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>Running the release QA…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>Select a finding to read what it means.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>The QA could not run: {error}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>The previous months: extracts, police.uk street files or monthly zips, and/or a QA history file (.json) saved by an earlier run; the last 12 are used</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>This month</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>This month: the extract files, or the crimes GeoPackage of a load</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>When views not written: {error}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>When views written: {path}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>When views…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>When:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>Write and open the hour-by-day table and heat chart and the month trend (internal data with exact times: never publish the page)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/qa_panel.py"/>
        <source>{force} {month}: {verdict} ({high} high, {medium} medium, {low} low; {n_history_months} months of history).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ReleasePanel</name>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source> km</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>A GeoPackage written by 'Build anonymous map points' (layer map_points), or a map points CSV</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>An anonymise is already running.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Anonymise</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Anonymise cancelled; the previous release is unchanged.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Anonymise failed: {error}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Choose an output folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Choose the salt file (or create a new salt).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Create new salt…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Crimes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Crimes GeoPackage from a load</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Crimes farther than this from every map point are published without a location (police.uk: 20 km)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Derive from police.uk history files</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Label field</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Map points GeoPackage</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Map points from</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Map points: {exc}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Maximum distance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>New salt written to {path} (readable only by you). Keep it secret, outside the release folder, and back it up: every Crime ID depends on it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>No crimes to anonymise: load extracts first, or choose a crimes GeoPackage.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>No salt created: {exc}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Open audit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Optional: per-category actions (map, no_location, withhold); default maps every category and withholds rows flagged sensitive</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Output folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Point layer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Point layer with a label field</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Release folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Release rules (optional)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Release written, but adding the public layer failed: {exc}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Release written: {published_at_map_point:,} published at map points, {published_without_location:,} without location, {withheld_by_rule:,} withheld, {rejected:,} rejected; leak gate passed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Salt file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>The force's published police.uk street files: their distinct points are the real map points</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>The force's secret salt file: keep it outside the release folder and reuse it every month so Crime IDs stay stable</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>The internal crimes GeoPackage a load wrote (the Load tab fills this in); choose an earlier load's crimes.gpkg to release it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>The leak gate stopped the release; nothing was written. See the panel for what it found.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>The release summary appears here.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>The street or place name shown as 'On or near …'</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/release_panel.py"/>
        <source>Where the anonymous map points come from</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SummariesPanel</name>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source> PDF atlas: {pdf}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>0 = off (as police.uk); e.g. 10 shows 1-9 as 'fewer than 10'</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Also a PDF atlas</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Boundaries</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Code field</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Column-mapping profile (JSON)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Force name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>History</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>History not found: {path}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>LSOA lookup</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>LSOA lookup CSV</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>LSOA population</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>LSOA population CSV</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Link to the web map</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Lookup code column</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Lookup name column</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Make summaries</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Map points</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Map points CSV</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Month</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Name field</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Names CSV</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Names code column</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Names name column</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Neighbourhood polygons (GeoJSON)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Output folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Period (months)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Profile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Public release CSV</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Raw extracts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Release CSV</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Small-count threshold</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Summaries</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Summaries need</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Summaries of {pages:,} neighbourhoods written to {folder}.{extra} {report}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Summaries warning: {first}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Team information</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>Team information (JSON or CSV)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>The force's earlier published police.uk months (street CSV files, monthly folders or zips) for the 12-month trend, the change on a year earlier and the usual range; without them those months show as missing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>The pages link to the web map in OUTPUT/map</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>The raw extracts the release was made from (for the gate)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>YYYY-MM (default: the latest)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>an output folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>code property, e.g. msoa11cd</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>earlier published months (optional)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>force name for the pages</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>lookup code column</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>lookup name column (optional)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>name property (optional)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>names: code column</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>names: name column</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>the map points</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>the raw extracts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/summaries_panel.py"/>
        <source>the release CSV</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TaskRunner</name>
    <message>
        <location filename="../../crime_mapper/ui/task_runner.py"/>
        <source> (and {more:,} more in the message log)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/task_runner.py"/>
        <source>Crime mapper</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Vocabulary</name>
    <message>
        <location filename="../../crime_mapper/core/hotspots/methods.py"/>
        <source>Change since previous months</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/core/hotspots/methods.py"/>
        <source>Crime counts on hexagons</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/qgis_bridge/renderers.py"/>
        <source>Equal interval</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/core/hotspots/methods.py"/>
        <source>Hexagon size (metres between neighbouring cell centres)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/core/hotspots/methods.py"/>
        <source>Hot and cold spots (Getis-Ord Gi*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/core/hotspots/methods.py"/>
        <source>Kernel density surface</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/qgis_bridge/renderers.py"/>
        <source>Natural breaks (Jenks)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/qgis_bridge/renderers.py"/>
        <source>Quantile (equal count)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/core/hotspots/methods.py"/>
        <source>Raster cell size (metres)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>WebmapPanel</name>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Basemap</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Boundaries</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>CSV address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Code field</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Column-mapping profile (JSON)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Copy the CSVs into the map</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Custom URL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Export web map</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>LSOA lookup</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>LSOA lookup CSV</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>LSOA population</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>LSOA population CSV</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Lookup code column</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Map points</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Map points CSV</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Name field</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Neighbourhood polygons (GeoJSON)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>None</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Only needed when the CSVs are too large to copy and the map is not made beside the release: the page's download link then points here.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>OpenStreetMap</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Output folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Output folder (the map goes in map/)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Page title</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Population field</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Profile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Public release CSVs (or police.uk downloads, with outcomes files)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Raw extracts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Raw extracts the release was made from (full leak gate)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Release</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Street-level crime map</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>The CSV downloads are copied into the map when they fit (30 MB). Larger releases (or with this off) are linked where they are published: export the map beside the release (output folder = the release's folder) so the page links to its public CSV.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>The web map needs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Tile URL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Tile attribution</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Web map</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>Web map written to {index} ({crimes:,} crimes at {points:,} places, {megabytes:.1f} MB). {gate}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>an output folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>code property, e.g. msoa11cd</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>https://… where the CSVs are hosted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>https://…/{z}/{x}/{y}.png</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>lookup code column</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>name property (optional)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>population (optional)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>the map points (with raw extracts)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>the public release</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../crime_mapper/ui/webmap_panel.py"/>
        <source>© the tile provider</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
