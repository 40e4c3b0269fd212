#!/usr/bin/env python3
"""Build OpenArc's wheel and sdist, install the wheel into a new venv outside the checkout,
and use it there as someone who installed it would.  scripts/test runs it; standard library only.

    python scripts/smoke_wheel.py                      # build (python -m build), twine check, install, smoke
    python scripts/smoke_wheel.py --openarc PATH       # only smoke an installed `openarc` command

What the smoke proves, from a folder outside the checkout (so nothing is imported from src/):
the wheel holds every file of the package (templates, static files, migrations); `openarc
--version`; `openarc keys create`/`keys list` migrate a new SQLite database from nothing;
`openarc serve --temporary --port 0 --sandbox-key KEY` starts, creates and reads back a
customer over HTTP, signs in to the dashboard (following the sign-in form's CSRF token) and
renders its customer list and stylesheet, writes a JSON access log line per request, and
stops cleanly, deleting its database.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEY = "smoke-wheel-key-0123"  # 20 characters: a key chosen with --sandbox-key
CUSTOMER = "Wheel Smoke"


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--openarc", metavar="PATH", help="smoke this installed `openarc` instead of building")
    args = options.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="openarc-smoke-") as tmp:
        work = Path(tmp)
        if args.openarc:
            command = str(Path(args.openarc).resolve())
        else:
            wheel = build(work / "dist")
            command = install(wheel, work / "venv")
        smoke(command, work)
    print(f"smoke-wheel: passed in {time.monotonic() - started:.0f} s")
    return 0


def step(what: str) -> None:
    print(f"smoke-wheel: {what}", flush=True)


def run(*argv: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise SystemExit(f"smoke-wheel: {' '.join(argv)} exited {done.returncode}\n{done.stdout}{done.stderr}")
    return done.stdout


def build(dist: Path) -> Path:
    step("python -m build (sdist, then the wheel from it)")
    run(sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT), cwd=ROOT)
    found = sorted(dist.iterdir())
    step("twine check " + " ".join(p.name for p in found))
    run(sys.executable, "-m", "twine", "check", "--strict", *map(str, found), cwd=ROOT)
    [wheel] = [p for p in found if p.suffix == ".whl"]
    # Every file of the package in the checkout is in the wheel: a template, stylesheet or
    # migration left out of package-data would only fail once installed.
    inside = set(zipfile.ZipFile(wheel).namelist())
    package = ROOT / "src"
    missing = [str(p.relative_to(package)) for p in (package / "openarc").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
               and str(p.relative_to(package)) not in inside]
    if missing:
        raise SystemExit(f"smoke-wheel: the wheel lacks {len(missing)} file(s) of the package: {missing[:10]}")
    return wheel


def install(wheel: Path, venv: Path) -> str:
    step(f"pip install {wheel.name} into a new venv, with constraints.txt")
    run(sys.executable, "-m", "venv", str(venv), cwd=venv.parent)
    run(str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "-c", str(ROOT / "constraints.txt"), str(wheel), cwd=venv.parent)
    where = run(str(venv / "bin" / "python"), "-c", "import openarc; print(openarc.__file__)", cwd=venv.parent)
    if not where.strip().startswith(str(venv)):
        raise SystemExit(f"smoke-wheel: openarc was imported from {where.strip()}, not the new venv")
    return str(venv / "bin" / "openarc")


def clean_env() -> dict[str, str]:
    """This environment without OpenArc's settings or a path into the checkout."""
    drop = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    return {k: v for k, v in os.environ.items() if not k.startswith("OPENARC_") and k not in drop}


def smoke(openarc: str, work: Path) -> None:
    home = work / "elsewhere"  # outside the checkout: nothing can come from src/
    home.mkdir()
    env = clean_env()

    version = run(openarc, "--version", cwd=home, env=env).strip()
    step(version)
    if not re.fullmatch(r"openarc \d+\.\d+\.\d+\S*", version):
        raise SystemExit(f"smoke-wheel: unexpected --version output {version!r}")

    step("keys create / keys list on a new database (runs every migration)")
    database = f"sqlite:///{home / 'migrated.db'}"
    created = run(openarc, "keys", "create", "--account", "smoke", "--database", database, cwd=home, env=env)
    key_id = created.split("Key id:")[1].split()[0]
    if key_id not in run(openarc, "keys", "list", "--database", database, cwd=home, env=env):
        raise SystemExit("smoke-wheel: keys list does not show the key just created")

    step("openarc serve --temporary --port 0 --sandbox-key …")
    out, err = home / "serve.out", home / "serve.err"
    server = subprocess.Popen(
        [openarc, "serve", "--temporary", "--port", "0", "--sandbox-key", KEY],
        cwd=home, env=env, stdout=out.open("w"), stderr=err.open("w"), start_new_session=True,
    )
    try:
        url = first_url(server, out, err)
        exercise(url)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    log = err.read_text()
    if server.returncode != 0:
        raise SystemExit(f"smoke-wheel: the server exited {server.returncode}\n{out.read_text()}{log}")
    if "Traceback" in log or KEY in log:
        raise SystemExit(f"smoke-wheel: the server's log holds a traceback or the key\n{log}")
    requests = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    if not any(r.get("event") == "request" and r.get("path") == "/v1/customers" for r in requests):
        raise SystemExit(f"smoke-wheel: no JSON access log line for POST /v1/customers\n{log}")
    database_line = re.search(r"Database: .*?(/\S+openarc\.db)", out.read_text())
    if database_line is None or Path(database_line.group(1)).exists():
        raise SystemExit("smoke-wheel: --temporary's database is not named, or outlived its server")


def first_url(server: subprocess.Popen[bytes], out: Path, err: Path) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        lines = out.read_text().splitlines()
        match = re.match(r"OpenArc listening on (http://\S+)", lines[0]) if lines else None
        if match:
            try:
                with urllib.request.urlopen(f"{match.group(1)}/healthz", timeout=2):
                    return match.group(1)
            except OSError:
                pass
        if server.poll() is not None:
            break
        time.sleep(0.1)
    raise SystemExit(f"smoke-wheel: the server did not come up\n{out.read_text()}{err.read_text()}")


def exercise(url: str) -> None:
    auth = {"Authorization": f"Bearer {KEY}", "Accept": "application/json"}
    step(f"POST {url}/v1/customers, then read it back")
    status, body = call(urllib.request.Request(
        f"{url}/v1/customers", method="POST", headers={**auth, "Content-Type": "application/json"},
        data=json.dumps({"name": CUSTOMER, "email": "smoke@example.com"}).encode()))
    expect(status == 201, f"create answered {status}: {body[:500]!r}")
    customer = json.loads(body)["data"]
    status, body = call(urllib.request.Request(f"{url}/v1/customers/{customer['customer_id']}", headers=auth))
    expect(status == 200 and json.loads(body)["data"]["name"] == CUSTOMER, f"read back: {status} {body[:500]!r}")

    step("dashboard: sign in with the key (CSRF token from the form), render the customers")
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    status, form = call(urllib.request.Request(f"{url}/dashboard/signin"), browser)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    expect(status == 200 and token is not None, f"sign-in form: {status} {form[:500]!r}")
    assert token is not None
    fields = urllib.parse.urlencode({"csrf_token": token.group(1), "next": "", "api_key": KEY}).encode()
    status, page = call(urllib.request.Request(f"{url}/dashboard/signin", data=fields, method="POST"), browser)
    expect(status == 200 and CUSTOMER in page and "Sign out" in page, f"customers page: {status} {page[:800]!r}")
    status, css = call(urllib.request.Request(f"{url}/dashboard/static/dashboard.css"), browser)
    expect(status == 200 and len(css) > 100, f"dashboard.css: {status}")
    status, docs = call(urllib.request.Request(f"{url}/docs"))
    expect(status == 200 and "openapi.json" in docs, f"/docs: {status}")


def call(request: urllib.request.Request, opener: urllib.request.OpenerDirector | None = None) -> tuple[int, str]:
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=15) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def expect(ok: bool, otherwise: str) -> None:
    if not ok:
        raise SystemExit(f"smoke-wheel: {otherwise}")


if __name__ == "__main__":
    sys.exit(main())
