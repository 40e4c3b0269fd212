"""OpenArc installs beside other projects: its dependencies are ranges (a tested lower bound,
below the next major release), and the exact versions CI installs live in constraints.txt.
The built wheel itself is smoke-tested by scripts/smoke_wheel.py (run by scripts/test)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _requirements() -> list[Requirement]:
    project = PROJECT["project"]
    listed = [*project["dependencies"], *(r for extra in project["optional-dependencies"].values() for r in extra)]
    return [Requirement(r) for r in listed]


def _constraints() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for number, raw in enumerate((ROOT / "constraints.txt").read_text().splitlines(), 1):
        line = raw.split("#")[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        [spec] = requirement.specifier  # one exact version, no extras, no markers
        assert spec.operator == "==" and not requirement.extras and not requirement.marker, f"line {number}: {raw}"
        name = canonicalize_name(requirement.name)
        assert name not in pins, f"line {number}: {name} twice"
        pins[name] = Version(spec.version)
    return pins


def test_every_dependency_is_a_range_with_a_lower_and_an_upper_bound() -> None:
    for requirement in _requirements():
        operators = {spec.operator for spec in requirement.specifier}
        assert operators == {">=", "<"}, f"{requirement}: a tested lower bound and the next major release"
        low = next(Version(s.version) for s in requirement.specifier if s.operator == ">=")
        high = next(Version(s.version) for s in requirement.specifier if s.operator == "<")
        assert low < high, str(requirement)


def test_constraints_pin_every_dependency_inside_its_range() -> None:
    pins = _constraints()
    for requirement in _requirements():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not pinned in constraints.txt"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} is outside {requirement.specifier}"
        if name == "psycopg" and "binary" in requirement.extras:  # an extra is a package of its own
            assert pins["psycopg-binary"] == pins["psycopg"]


def test_the_build_backend_stays_pinned() -> None:
    assert all("==" in r for r in PROJECT["build-system"]["requires"])


def test_every_file_of_the_package_goes_into_the_wheel() -> None:
    package = ROOT / "src" / "openarc"
    patterns = PROJECT["tool"]["setuptools"]["package-data"]["openarc"]
    covered = {path for pattern in patterns for path in package.glob(pattern)}
    for path in package.rglob("*"):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        in_a_package = path.suffix == ".py" and (path.parent / "__init__.py").exists()
        assert in_a_package or path in covered, f"{path.relative_to(package)} is not in package-data"
