"""Load with wrk (Debian's package): Lua scripts for each scenario, and the parsing of its report."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

CREATE_LUA = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Bearer %(key)s"
local letters = "abcdefghijklmnopqrstuvwxyz"
local function word(n) local s = "" repeat local i = n %% 26 s = s .. letters:sub(i + 1, i + 1) n = math.floor(n / 26) until n == 0 return s end
math.randomseed(os.time())
request = function()
  local n = math.random(1, 2000000000)
  local body = "name=John%%20" .. word(n) .. "&email=c" .. n .. "%%40xyz.com&send_email_address=invoicing%%40xyz.com" ..
    "&cc_email_address=cc%%40xyz.com&address_1=103%%20Mason%%20Street&address_2=2nd%%20Floor&city=New%%20York" ..
    "&state=NY&zip=10469&phone=" .. (n %% 99999999999) .. "&country=US"
  return wrk.format(nil, "/v1/customers", nil, body)
end
"""

# localstripe speaks Stripe's fields: the same varied customers, with what Stripe accepts.
STRIPE_CREATE_LUA = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Bearer %(key)s"
math.randomseed(os.time())
request = function()
  local n = math.random(1, 2000000000)
  local body = "name=John%%20" .. n .. "&email=c" .. n .. "%%40xyz.com&phone=" .. n .. "&description=Donut%%20shop"
  return wrk.format(nil, "/v1/customers", nil, body)
end
"""

PATHS_LUA = r"""
wrk.headers["Authorization"] = "Bearer %(key)s"
local paths = {%(paths)s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""

POSTS_LUA = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Bearer %(key)s"
local paths = {%(paths)s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format(nil, paths[i], nil, "%(body)s")
end
"""

_LATENCY = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
_NON2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def lua_create(workdir: Path, key: str) -> Path:
    path = workdir / "create.lua"
    path.write_text(CREATE_LUA % {"key": key})
    return path


def lua_stripe_create(workdir: Path, key: str) -> Path:
    path = workdir / "stripe_create.lua"
    path.write_text(STRIPE_CREATE_LUA % {"key": key})
    return path


def lua_paths(workdir: Path, name: str, key: str, paths: list[str]) -> Path:
    path = workdir / f"{name}.lua"
    quoted = ", ".join('"' + p.replace('"', "") + '"' for p in paths)
    path.write_text(PATHS_LUA % {"key": key, "paths": quoted})
    return path


def lua_posts(workdir: Path, name: str, key: str, paths: list[str], body: str) -> Path:
    """POSTs of one form ``body`` to ``paths`` in turn."""
    path = workdir / f"{name}.lua"
    quoted = ", ".join('"' + p.replace('"', "") + '"' for p in paths)
    path.write_text(POSTS_LUA % {"key": key, "paths": quoted, "body": body.replace('"', "")})
    return path


def run(url: str, script: Path | None, seconds: int, connections: int = 32, headers: dict[str, str] | None = None) -> Result:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if script is not None:
        cmd += ["-s", str(script)]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=seconds + 30, check=True).stdout
    latency = {p: float(v) * _UNIT[u] for p, v, u in _LATENCY.findall(out)}
    errors = _NON2XX.search(out)
    return Result(float(_RPS.search(out).group(1)), latency.get("50", 0.0), latency.get("99", 0.0),
                  int(errors.group(1)) if errors else 0)
