"""Command line: ``convscope`` and its subcommands."""
