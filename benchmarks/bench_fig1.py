"""Cost of reproducing Fig. 1: one point of each kind, then whole runs.

Usage: ``python benchmarks/bench_fig1.py [--whole]``. Prints the CPU and
wall seconds of one sweep point of each kind (single thread, in this
process) and, with ``--whole``, of ``reproduce_fig1`` in quick and full
mode from an empty folder (Dask start-up included). CPU seconds are the
better guide on a shared machine: the wall time of a run is about
``fixed + sum(point CPU) / cores``.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time

import torch

from pathspace.experiments import reproduce_fig1
from pathspace.experiments._fig1 import _FULL, _QUICK, _points, fig1_point


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def points() -> None:
    torch.set_num_threads(1)
    for label, mode in (("quick", _QUICK), ("full", _FULL)):
        all_points = _points(mode, 0)
        kinds = {}
        for p in all_points:
            kinds.setdefault((p["model"], p["symmetric"], p["current"]), p)
        total = 0.0
        for (model, symmetric, current), p in kinds.items():
            cpu, wall = time.process_time(), time.perf_counter()
            fig1_point(p)
            cpu = time.process_time() - cpu
            n = sum(
                (q["model"], q["symmetric"], q["current"])
                == (model, symmetric, current)
                for q in all_points
            )
            total += n * cpu
            print(
                f"{label:5s} {model:7s} symmetric={symmetric!s:5s} "
                f"current={current!s:5s} x{n:2d}: cpu {cpu:5.2f} s, wall "
                f"{time.perf_counter() - wall:5.2f} s"
            )
        print(f"{label:5s} all {len(all_points)} points: ~{total:.0f} CPU s")


def whole() -> None:
    for quick in (True, False):
        with tempfile.TemporaryDirectory() as out:
            cpu, wall = _cpu(), time.perf_counter()
            reproduce_fig1(out, quick=quick)
            print(
                f"reproduce_fig1(quick={quick}): wall "
                f"{time.perf_counter() - wall:.1f} s, CPU (with workers) "
                f"{_cpu() - cpu:.1f} s"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--whole", action="store_true")
    args = parser.parse_args()
    points()
    if args.whole:
        whole()
