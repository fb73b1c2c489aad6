"""`python -m lifecycle` runs the `lifecycle` command."""

import sys

from lifecycle.cli import main

sys.exit(main())
