"""Benchmarks at city, prefecture and national scale (`make bench`, docs/benchmarks.md)."""
