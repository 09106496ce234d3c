"""The ``avas`` command line.

    avas demo                       # generate a sample video, ingest it, answer three questions
    avas ingest talk.mp4 --name talk && avas ask "What did the speaker say about the budget?"

Exit codes: 0 ok, 2 bad input (the message names it), 3 missing dependency, 4 store problem,
1 anything unexpected.
"""

# Importing a module registers its commands, in the order `avas --help` lists them.
# isort: off
from avas.interfaces.cli.app import app, main
from avas.interfaces.cli import ingest, query, graph, serve, demo  # noqa: F401
# isort: on

__all__ = ["app", "main"]
