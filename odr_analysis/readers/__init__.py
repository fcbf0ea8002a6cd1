"""Readers: Amazon's files (and our claims log) into the canonical frames, every row accounted for.

One module per format, the two things they share, and the folder loader that recognises each
file by its content:

* :mod:`~odr_analysis.readers.table`: the careful reading of delimited text every text reader
  shares (a spec per format, rejects, duplicates, row checks);
* :mod:`~odr_analysis.readers.marketplaces`: the marketplace registry (ids, names, countries,
  feedback date formats);
* :mod:`~odr_analysis.readers.orders`: the All Orders report;
* :mod:`~odr_analysis.readers.feedback`: the seller feedback report;
* :mod:`~odr_analysis.readers.claims`: our claims-and-chargebacks log;
* :mod:`~odr_analysis.readers.health`: Amazon's account-health report;
* :mod:`~odr_analysis.readers.account`: one folder = one account (:func:`load_account`), and a
  folder of account folders (:func:`load_portfolio`).
"""

from odr_analysis.readers.account import Account, detect_format, load_account, load_portfolio
from odr_analysis.readers.health import HealthReport, read_account_health
from odr_analysis.readers.table import ReportFormatError

__all__ = [
    "Account",
    "HealthReport",
    "ReportFormatError",
    "detect_format",
    "load_account",
    "load_portfolio",
    "read_account_health",
]
