"""Fixtures of the report tests: the command's runs on the sample, one account computed."""

from __future__ import annotations

import pytest

from odr_analysis import report
from odr_analysis.report.summary_json import EXIT_BREACHED

from .runs import SAMPLE, Run, broken_run, sample_run


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """``odr-report data/sample``: it must succeed, with the exit status that says a channel is
    over the target (summit-outdoor MFN and tiny-letterpress MFN are)."""
    run = sample_run(tmp_path_factory)
    assert run.returncode == EXIT_BREACHED, f"odr-report failed:\n{run.stdout}\n{run.stderr}"
    return run


@pytest.fixture(scope="session")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """``odr-report`` on the sample plus a broken account (it must fail, for that account)."""
    return broken_run(tmp_path_factory)


@pytest.fixture(scope="session")
def summit() -> report.ReportData:
    """summit-outdoor computed in process (200 simulations: quick)."""
    return report.compute(SAMPLE, "summit-outdoor", n_sims=200)
