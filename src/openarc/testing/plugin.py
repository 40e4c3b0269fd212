"""The pytest plugin (entry point ``pytest11``): the fixture ``openarc``.

One ``openarc serve --sandbox`` per test session (per xdist worker), started the
first time a test asks for ``openarc`` and never otherwise; before each such test,
the merchant's data, request log and clock are reset, so tests do not see each
other's customers.  The database is a new SQLite file unless
``--openarc-database URL`` or ``OPENARC_PYTEST_DATABASE_URL`` names another one
(it is migrated, and only the merchant ``tests`` is reset)::

    def test_create_customer(openarc):
        payarc = Payarc(bearer_token=openarc.key, base_url=openarc.url)
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from openarc.testing import OpenArc, SandboxServer

DATABASE_ENV = "OPENARC_PYTEST_DATABASE_URL"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("openarc", "OpenArc sandbox")
    group.addoption(
        "--openarc-database",
        metavar="URL",
        default=None,
        help=f"database of the `openarc` fixture's server (default: ${DATABASE_ENV}, else a temporary SQLite file)",
    )


@pytest.fixture(scope="session")
def openarc_server(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """The session's sandbox server; most tests want ``openarc`` instead."""
    database = pytestconfig.getoption("openarc_database") or os.environ.get(DATABASE_ENV) or None
    server = SandboxServer.start(tmp_path_factory.mktemp("openarc"), database)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def openarc(openarc_server: SandboxServer) -> OpenArc:
    """``.url`` and ``.key`` of a PayArc-compatible server with no customers, its clock on the wall clock."""
    handle = openarc_server.handle()
    handle.reset()
    return handle
