"""``python -m vnsearch``: the same as the ``vnsearch`` command."""

from .cli import main

main()
