"""``python -m klantladder``: the command line, where the ``klantladder`` script is not on the path."""

from .cli import main

raise SystemExit(main())
