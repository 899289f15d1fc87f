"""Release QA: this month's extract against the force's own recent history, before anonymising.

``profile`` reduces a month to the counts the checks need (so a year of history is twelve small
summaries, cacheable as JSON), ``stats`` holds the documented tests, ``checks`` the findings,
``report`` runs them and writes the report, ``when`` the analyst's hour-by-day and month views.
QGIS-free.
"""
