"""Settings every test needs before Rasa or transformers are imported."""
import pytest

from bot import environment

# No traffic may leave the machine, whatever the shell running the tests has set.
environment.apply(override=True)


@pytest.fixture(scope="session")
def bot_stack(tmp_path_factory):
    """The reference bot's full stack, started once per test session for the tests that ask for it."""
    from bot.testing.stack import running_stack

    with running_stack(tmp_path_factory.mktemp("stack"), with_webchat=True) as stack:
        yield stack


@pytest.fixture(scope="module")
def shop_api(tmp_path_factory: pytest.TempPathFactory):
    """One shop API server per test module, for tests that change nothing (reads and refusals)."""
    from tests.support.shop_api import start_shop_api

    with start_shop_api(tmp_path_factory.mktemp("shop_api")) as api:
        yield api


@pytest.fixture
def fresh_shop_api(tmp_path):
    """A shop API server with a newly seeded database, for a test that changes orders."""
    from tests.support.shop_api import start_shop_api

    with start_shop_api(tmp_path) as api:
        yield api
