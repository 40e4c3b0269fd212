"""The first minutes with OpenArc, as a CI job or a newcomer meets them: a known key, a free
port, a throwaway database, a front page, help."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from openarc.cli import main

KEY = "ci-job-key-0123456789"


def _serve(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / "serve.log"
    process = subprocess.Popen([sys.executable, "-m", "openarc", "serve", *args], stdout=log.open("w"),
                               stderr=subprocess.STDOUT, cwd=tmp_path, env={**os.environ, **(env or {})},
                               start_new_session=True)
    return process, log


def _first_url(process: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines()
        if lines:
            match = re.match(r"OpenArc listening on (http://\S+)", lines[0])
            assert match, lines[0]
            url = match.group(1)
            try:
                httpx.get(f"{url}/healthz", timeout=1)
                return url
            except httpx.TransportError:
                pass
        assert process.poll() is None, log.read_text()
        time.sleep(0.1)
    raise AssertionError(log.read_text())


def _stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(15)


def test_a_ci_job_sets_the_key_and_takes_any_free_port_on_a_throwaway_database(tmp_path: Path) -> None:
    process, log = _serve(tmp_path, "--port", "0", "--temporary", "--sandbox", env={"OPENARC_SANDBOX_KEY": KEY})
    try:
        url = _first_url(process, log)
        assert not url.endswith(":0")
        auth = {"Authorization": f"Bearer {KEY}"}
        created = httpx.post(f"{url}/v1/customers", json={"name": "Known Key"}, headers=auth)
        assert created.status_code == 201, created.text
        assert "oa_sk_" not in log.read_text()  # no key was made up and printed
        database = re.search(r"Database: (.+)", log.read_text()).group(1)
    finally:
        _stop(process)
    assert process.returncode == 0
    path = Path(re.search(r"/\S+openarc\.db", database).group(0))
    assert not path.parent.exists(), "the temporary database outlived its server"


def test_the_chosen_key_survives_restarts_and_is_refused_when_weak(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'kept.db'}"
    for _ in range(2):  # the second start finds the key already there
        process, log = _serve(tmp_path, "--port", "0", "--database", db, "--sandbox-key", KEY)
        try:
            url = _first_url(process, log)
            assert httpx.get(f"{url}/v1/customers", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
        finally:
            _stop(process)
    weak = subprocess.run([sys.executable, "-m", "openarc", "serve", "--database", db, "--sandbox-key", "short"],
                          check=False, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert weak.returncode == 2 and "16 to 256" in weak.stderr


def test_the_front_page_points_to_the_docs_and_the_dashboard(client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "href='docs'" in page.text and "href='dashboard'" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_openarc_alone_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: openarc") and "serve" in out and "import" in out
