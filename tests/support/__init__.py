"""Test support code: generators of realistic inputs built from real published data.

Why a package: the generators are used both by the tests and by small command-line reports
(for example ``python -m tests.support.raw_extract --report``), so they live apart from the
test modules and import nothing from pytest.
"""
