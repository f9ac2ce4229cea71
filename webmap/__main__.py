"""``python -m webmap`` runs the ``clustermap`` command line."""

from webmap.cli import main

main()
