"""Command-line commands, one module per concern; each exposes ``COMMANDS``."""
