"""``python -m odr_analysis.report``: the ``odr-report`` command."""

import sys

from odr_analysis.report.run import main

if __name__ == "__main__":
    sys.exit(main())
