"""Crash safety at CI size: bench/crash.py kills a loaded server 10 times (and stops one
gracefully 5 times) and loses nothing."""

from __future__ import annotations

import importlib.util
import signal
import sys
from pathlib import Path
from types import ModuleType

import pytest

from conftest import database_url

CRASH_TOOL = Path(__file__).resolve().parent.parent / "bench" / "crash.py"


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("openarc_crash_tool", CRASH_TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_no_acknowledged_write_is_lost_over_10_kill_cycles(tmp_path: Path) -> None:
    crash = load_tool()
    report = crash.run(10, database_url(tmp_path / "crash.db"), tmp_path, writers=8, seed=5,
                       max_load_seconds=0.8, echo=False)
    assert report.cycles == 10
    assert report.lost == []
    assert all(result == "ok" for result in report.integrity)
    # The kills hit real load: many writes acknowledged, some cut off mid-flight.
    # (Counts depend on how busy the machine is; a loaded CI runner still acknowledges dozens.)
    assert report.acknowledged_creates >= 20 and report.acknowledged_updates >= 20
    assert report.unanswered + report.refused >= 1


@pytest.mark.slow
def test_graceful_stops_under_load_lose_nothing_and_end_in_time(tmp_path: Path) -> None:
    # SIGTERM is how deploys and orchestrators stop a server: two workers, each stopped mid-load.
    crash = load_tool()
    report = crash.run(5, database_url(tmp_path / "term.db"), tmp_path, writers=8, seed=11,
                       max_load_seconds=0.8, server_workers=2, echo=False, how=signal.SIGTERM)
    assert report.cycles == 5
    # Each stop ended the server within 15 s, with exit status 0 (a SIGKILL'd server's is -9).
    assert report.lost == [] and report.hung == 0 and report.unclean_exits == 0
    assert all(result == "ok" for result in report.integrity)
    assert report.acknowledged_creates >= 10 and report.acknowledged_updates >= 10
