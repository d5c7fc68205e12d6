"""MIDGARD: the DuckDB warehouse (raw contract, models, data tests, governed metrics).

Never imports Textual: the CLI report and scripts use it without a terminal UI.
"""
