"""Fixtures: one stand-in subprocess shared by the session, reset before each test that uses it."""

import pytest

from standin_client import running_standin


@pytest.fixture(name="shared_standin", scope="session")
def shared_standin_fixture(tmp_path_factory):
    with running_standin(tmp_path_factory.mktemp("standin")) as server:
        yield server


@pytest.fixture(name="standin")
def standin_fixture(shared_standin):
    """The shared server, reset to the data file's state with an empty log and fault queue."""
    shared_standin.reset()
    return shared_standin
