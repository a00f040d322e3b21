"""Benchmarks of CloudHospital against the software a hospital would otherwise run.

``make bench`` (or ``python -m load_tests.run``) runs every section and writes
docs/benchmarks.md; see load_tests/run.py for the modes.
"""
