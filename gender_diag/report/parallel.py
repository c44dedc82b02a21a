"""Run the independent writers of the report stage in forked worker processes.

The report stage is a near-fixed cost (12–15 s whatever the number of households) spent in
matplotlib, XlsxWriter and Jinja: drawing 6 charts in 3 languages as PNG and SVG, and
writing 3 workbooks and 3 annexes. None of these reads another's output, so they run side
by side, one task per chart (all its languages) and one per workbook or annex, on the
machine's cores. Each task produces the same bytes as it does in the parent process, so the
outputs are identical whatever the number of workers (tested).

Workers are **forked** (Linux only): they share the parent's published tables without
copying or pickling them, and :func:`gc.freeze` keeps the garbage collector of a worker from
touching (and so copying) the parent's objects. Elsewhere (macOS, Windows, where forking a
process that has loaded these libraries is unsafe), and with one core, the tasks run one
after the other in the parent.

A failed task is run again in the parent, so that its error is raised there with its own
message and traceback (a worker's exception does not always survive pickling). When no
worker can be forked (no memory left for one), a worker dies (killed when the machine runs
out of memory) or the workers have not finished by a deadline (a worker stuck on a lock it
inherited from a thread of the parent), the workers are stopped and every task runs again in
the parent.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

#: At most this many workers: the report has about a dozen tasks of very unequal size.
MAX_WORKERS = 4

#: Seconds the workers have for all their tasks before they are stopped and the parent writes
#: everything itself. The whole report stage takes 6–15 s on 2 cores at any survey size
#: measured (benchmarks/results/scale.md), so only a stuck worker reaches it.
DEADLINE_S = 600.0

# the tasks of the current run_tasks call, inherited by the forked workers (never pickled)
_TASKS: Sequence[Callable[[], Any]] = ()


def default_workers() -> int:
    """Cores this process may use (at most :data:`MAX_WORKERS`); 1 where fork is unsafe."""
    if not sys.platform.startswith("linux"):
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - Linux always has it
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def _run(index: int) -> tuple[bool, Any]:
    try:
        return True, _TASKS[index]()
    except BaseException as exc:  # re-run in the parent, which raises it
        return False, f"{type(exc).__name__}: {exc}"


def _stop(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's worker processes (stuck ones never return) and let the pool go."""
    # the executor has no public way to stop running workers before Python 3.14
    # (``terminate_workers``): read its private process table, absent → nothing to kill
    for process in list(getattr(pool, "_processes", {}).values()):
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def run_tasks(
    tasks: Sequence[Callable[[], Any]],
    *,
    workers: int | None = None,
    deadline: float = DEADLINE_S,
) -> list[Any]:
    """``[task() for task in tasks]``, the tasks shared among forked worker processes.

    Parameters
    ----------
    tasks : sequence of callables without arguments
        Independent of one another; each returns a picklable value (bytes, text, a path).
        Longest first: they are handed out in order to the first free worker.
    workers : int, optional
        Worker processes; default :func:`default_workers`. ``1`` runs the tasks in order in
        this process.
    deadline : float
        Seconds the workers have for all the tasks; past it they are killed and the tasks run
        here (default :data:`DEADLINE_S`).

    Returns
    -------
    list
        The tasks' values, in the order of ``tasks``.
    """
    global _TASKS
    workers = default_workers() if workers is None else workers
    workers = min(workers, len(tasks))
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [task() for task in tasks]
    _TASKS = tasks
    gc.freeze()  # the workers' collections then leave the parent's objects (and pages) alone
    try:
        with warnings.catch_warnings():
            # Python >= 3.12 warns on any fork of a process with threads (BLAS, Arrow, DuckDB
            # pools): the workers only draw and write files, they take none of their locks
            warnings.filterwarnings(
                "ignore", r".*fork\(\) may lead to deadlocks", DeprecationWarning
            )
            context = multiprocessing.get_context("fork")
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
            stuck = False
            try:
                done = list(pool.map(_run, range(len(tasks)), timeout=deadline))
            except TimeoutError:
                stuck = True
                raise
            finally:
                if stuck:  # a stuck worker is killed, never waited for
                    _stop(pool)
                else:
                    pool.shutdown(wait=True, cancel_futures=True)
    except (OSError, BrokenProcessPool, TimeoutError):
        # no memory left to fork, a worker was killed (out of memory) or is stuck: all here
        done = [(False, None)] * len(tasks)
    finally:
        _TASKS = ()
        gc.unfreeze()
    return [value if ok else tasks[i]() for i, (ok, value) in enumerate(done)]
