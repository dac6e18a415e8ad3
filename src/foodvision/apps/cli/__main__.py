"""``python -m foodvision.apps.cli``: the ``foodvision`` command."""

import sys

from foodvision.apps.cli.command import main

sys.exit(main())
