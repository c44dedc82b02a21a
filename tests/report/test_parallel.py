"""The report stage's writers run side by side in forked workers (issue 13, third round).

The files must not depend on the number of workers: the same bytes, in the same order in the
list of written files. A task that fails in a worker raises its own error in the parent.
"""

from __future__ import annotations

import os
import sys
import time

import pytest

from gender_diag.report import write_reports
from gender_diag.report.charts import CHART_NAMES
from gender_diag.report.parallel import default_workers, run_tasks
from gender_diag.report.writer import TASK_ORDER

linux = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="workers are forked on Linux only"
)


def _square(i: int) -> tuple[int, int]:
    return i * i, os.getpid()


@linux
def test_values_in_task_order_from_worker_processes():
    tasks = [lambda i=i: _square(i) for i in range(7)]
    done = run_tasks(tasks, workers=2)
    assert [v for v, _ in done] == [i * i for i in range(7)]
    assert os.getpid() not in {pid for _, pid in done}  # each ran in a worker


def test_one_worker_runs_in_this_process():
    done = run_tasks([lambda: _square(3)], workers=1)
    assert done == [(9, os.getpid())]
    assert run_tasks([], workers=2) == []


def _fails() -> None:
    raise ValueError("sheet 'gaps', column 'estimate': not a number")


@linux
def test_failed_task_raises_its_own_error_here():
    with pytest.raises(ValueError, match="sheet 'gaps', column 'estimate'"):
        run_tasks([lambda: 1, _fails, lambda: 3], workers=2)


def test_default_workers_bounded():
    n = default_workers()
    assert 1 <= n <= 4
    if not sys.platform.startswith("linux"):
        assert n == 1


def test_every_chart_is_a_task():
    charts = [name for kind, name in TASK_ORDER if kind == "chart"]
    assert sorted(charts) == sorted({"brief", *CHART_NAMES})
    assert {kind for kind, _ in TASK_ORDER} == {"chart", "excel", "annex", "csv"}


@linux
def test_same_files_with_and_without_workers(result_factory, written, tmp_path):
    """The session's reports (written with the default workers, forked when the machine has
    several cores) against the same result written in this process alone."""
    forked_dir, forked = written
    if default_workers() < 2:  # one core: fork two workers explicitly
        forked_dir = tmp_path / "two"
        forked = write_reports(result_factory(), forked_dir, workers=2)
    serial = write_reports(result_factory(), tmp_path / "one", workers=1)
    rel = [p.relative_to(tmp_path / "one") for p in serial]
    assert rel == [p.relative_to(forked_dir) for p in forked]
    assert len(rel) > 40  # charts × languages, reports, workbooks, briefs, tables
    different = [
        str(r) for r in rel if (tmp_path / "one" / r).read_bytes() != (forked_dir / r).read_bytes()
    ]
    assert different == []


@linux
def test_dead_worker_tasks_run_here():
    parent = os.getpid()

    def dies_in_worker():
        if os.getpid() != parent:
            os._exit(1)  # a worker killed (say, by the out-of-memory killer)
        return "here"

    assert run_tasks([lambda: 1, dies_in_worker], workers=2) == [1, "here"]


@linux
def test_stuck_worker_is_stopped_and_its_tasks_run_here():
    parent = os.getpid()

    def stuck_in_worker():
        if os.getpid() != parent:
            time.sleep(3600)  # a worker stuck on a lock inherited from one of our threads
        return "here"

    started = time.perf_counter()
    assert run_tasks([lambda: 1, stuck_in_worker], workers=2, deadline=2.0) == [1, "here"]
    assert time.perf_counter() - started < 30  # the stuck worker was not waited for
