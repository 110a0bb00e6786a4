"""`python -m workbench ...` runs the command line (see workbench/cli.py)."""

import sys

from .cli import main

sys.exit(main())
