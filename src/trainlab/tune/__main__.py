"""``python -m trainlab.tune --config JSON --index K --parent PID``: one worker process of a search.

:func:`trainlab.tune.workers.run_workers` starts these; the body is :func:`trainlab.tune.search.main`.
"""

import sys

from trainlab.tune.search import main

sys.exit(main())
