"""``python -m foodvision``: the ``foodvision`` command."""

import sys

from foodvision.apps.cli import main

sys.exit(main())
