"""``odr-fetch``: every account's reports from Amazon's Selling Partner API, unattended.

Built on python-amazon-sp-api (the ``amazon`` extra: ``pip install 'odr-analysis[amazon]'``),
imported only inside this package's functions, so ``odr_analysis`` imports without it:

* :mod:`~odr_analysis.fetch.settings`: an account folder's ``account.toml`` (marketplaces,
  credentials profile);
* :mod:`~odr_analysis.fetch.plan`: what to fetch (the 30-day All Orders slices, what is due);
* :mod:`~odr_analysis.fetch.amazon`: the calls (create report, poll, download, financial
  events), throttling and retries, secrets kept out of every message;
* :mod:`~odr_analysis.fetch.store`: files written atomically, the state file;
* :mod:`~odr_analysis.fetch.run`: the command (``main``) and :func:`fetch_all`.
"""

from odr_analysis.fetch.run import AccountResult, Outcome, fetch_account, fetch_all, main
from odr_analysis.fetch.settings import AccountSettings, SettingsError, find_accounts

__all__ = [
    "AccountResult",
    "AccountSettings",
    "Outcome",
    "SettingsError",
    "fetch_account",
    "fetch_all",
    "find_accounts",
    "main",
]
