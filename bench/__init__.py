"""Benchmarks for the JWKS-protected API: `make bench` runs bench/run.py."""
