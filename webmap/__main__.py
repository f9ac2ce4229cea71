"""``python -m webmap`` runs the ``clustermap`` command line."""

from webmap.commands.cli import main

main()
