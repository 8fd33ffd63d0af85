"""``python -m lvmdsl``: the command line (see ``lvmdsl.cli``)."""

import sys

from .cli import main

sys.exit(main())
