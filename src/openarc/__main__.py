"""``python -m openarc`` is the ``openarc`` command."""

import sys

from openarc.cli import main

sys.exit(main())
