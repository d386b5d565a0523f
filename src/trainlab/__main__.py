"""``python -m trainlab``: the ``trainlab`` command."""

import sys

from trainlab.cli import main

sys.exit(main())
