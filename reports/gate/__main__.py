import sys

from reports.gate.cli import main

sys.exit(main())
