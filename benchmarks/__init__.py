"""Load and scale benchmarks for /v1/models (`make bench`); not part of the test run."""
