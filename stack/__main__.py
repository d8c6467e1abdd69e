"""`python -m stack serve|boot ...`: the launcher's command line (`stack.cli`)."""

import sys

from stack.cli import main

sys.exit(main())
