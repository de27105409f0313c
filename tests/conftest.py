"""Settings every test needs before Rasa or transformers are imported."""
import os

# No traffic may leave the machine: Rasa's telemetry off, no model hub; transformers must not pick
# TensorFlow (installed for Rasa) as its backend.
os.environ["RASA_TELEMETRY_ENABLED"] = "false"
os.environ["USE_TF"] = "0"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def bot_stack(tmp_path_factory):
    """The reference bot's full stack, started once per test session for the tests that ask for it."""
    from tests.support.stack import running_stack

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
