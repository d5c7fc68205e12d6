"""The project's benchmark: `python -m benchmarks` prints DESIGN.md §7's targets as measured here."""
