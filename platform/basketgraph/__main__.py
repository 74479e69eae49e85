"""Run the command line as ``python -m basketgraph``."""

from basketgraph.cli import main

main()
