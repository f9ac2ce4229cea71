"""``python -m webmap`` runs the ``clustermap`` command line.

The guard matters: the upload cage's children (:mod:`webmap.api.cage`) import the main
module again, as ``__mp_main__``, and must not start the command line there.
"""

from webmap.commands.cli import main

if __name__ == "__main__":
    main()
