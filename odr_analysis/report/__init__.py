"""Stakeholder reports: one self-contained HTML file per account, plus a portfolio summary.

``odr-report DATA_DIR --date YYYY-MM-DD --out OUT_DIR`` (also ``python -m odr_analysis.report``
and ``make report``) writes, for people who never open JupyterLab (a brand owner, a finance
lead), one HTML page per account and ``index.html``, the portfolio summary. The report is
Python that renders HTML; no notebook is involved:

* :mod:`~odr_analysis.report.data`: :func:`compute` reads one account and computes every
  number of its report once (:class:`ReportData`);
* :mod:`~odr_analysis.report.sections` and :mod:`~odr_analysis.report.try_it`: the sections,
  each a function of :class:`ReportData` that gives HTML (input text escaped), charts and CSV
  downloads;
* :mod:`~odr_analysis.report.page`: the page's definition (the sections in order, with the
  prose between them) and the page file: CSS, the chart bundle inlined, the generated line
  (:func:`build_page`);
* :mod:`~odr_analysis.report.summary`: the portfolio summary page;
* :mod:`~odr_analysis.report.run`: the accounts of a folder side by side, each in its own
  process, the files, the command line (:func:`run_reports`, :func:`main`);
* :mod:`~odr_analysis.report.pdf`: a page printed to PDF (:func:`write_pdf`).

In Python, one account's page as HTML text::

    from odr_analysis import report

    html = report.build_page(report.compute("data/sample", "summit-outdoor")).html()
"""

from odr_analysis.report.data import ReportData, compute
from odr_analysis.report.page import Page, build_page
from odr_analysis.report.pdf import write_pdf
from odr_analysis.report.run import AccountRun, ReportError, RunResult, main, run_reports

__all__ = [
    "AccountRun",
    "Page",
    "ReportData",
    "ReportError",
    "RunResult",
    "build_page",
    "compute",
    "main",
    "run_reports",
    "write_pdf",
]
