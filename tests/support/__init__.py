"""Helpers shared by the tests (and the benchmarks that start hubs): one copy each."""
