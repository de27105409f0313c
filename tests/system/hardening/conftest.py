"""A stack whose services the hardening tests may stop, slow down or break (one per test session)."""
import pytest


@pytest.fixture(scope="session")
def controllable_stack(tmp_path_factory):
    from bot.testing.stack import controllable_stack

    with controllable_stack(tmp_path_factory.mktemp("controllable")) as stack:
        yield stack
