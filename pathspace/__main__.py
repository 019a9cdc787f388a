"""``python -m pathspace`` runs the command line."""

from pathspace.cli import main

main()
