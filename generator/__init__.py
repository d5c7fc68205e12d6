"""BIFROST: a deterministic, vectorised generator of messy Jira-style raw event tables.

Never imports Textual or the CLI.
"""
