"""README's code runs as written: its curl sequence and its SDK script, against a live sandbox
server, with only ``URL`` and ``KEY`` in the environment (as a reader's shell would have them)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import LiveServer, start_server, stop_server

README = Path(__file__).resolve().parent.parent / "README.md"
MARKER = "<!-- tested by tests/test_readme.py -->"


def _tested_blocks() -> dict[str, str]:
    """The code blocks README marks as tested, by language."""
    found = re.findall(re.escape(MARKER) + r"\n```(\w+)\n(.*?)\n```", README.read_text(), re.DOTALL)
    return {language: code for language, code in found}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("readme"), "--sandbox")
    yield server
    stop_server(server)


def _env(server: LiveServer) -> dict[str, str]:
    return {**os.environ, "URL": server.url, "KEY": server.first_key}


def test_readme_marks_its_curl_sequence_and_sdk_script() -> None:
    assert set(_tested_blocks()) == {"sh", "python"}


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_curl_sequence_charges_settles_and_refunds(sandbox: LiveServer, tmp_path: Path) -> None:
    script = tmp_path / "readme.sh"
    script.write_text("set -euo pipefail\n" + _tested_blocks()["sh"] + "\n")
    done = subprocess.run(["bash", str(script)], env=_env(sandbox), capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["partial_refund"]


def test_the_sdk_script_charges_settles_and_refunds(sandbox: LiveServer, tmp_path: Path) -> None:
    script = tmp_path / "readme.py"
    script.write_text(_tested_blocks()["python"])
    done = subprocess.run([sys.executable, str(script)], env=_env(sandbox), capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["submitted_for_settlement", "refunded 1500"]


def test_readme_stays_short_and_speaks_of_itself() -> None:
    text = README.read_text()
    assert len(text.encode()) < 15_000
    for private in ("the seed", "spec §", "the issue"):
        assert private not in text.lower()
    for linked in re.findall(r"\]\(((?:docs|bench)/[^)#]+)", text):
        assert (README.parent / linked).exists(), linked
