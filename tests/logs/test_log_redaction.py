"""The logging filter that masks personal data and secrets, and the logging file the services use."""
import io
import logging
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from bot.environment import PROJECT_ENV
from rasa_llm.logs.log_redaction import RedactingFilter, mask_secrets, secret_values_from_environment

ROOT = Path(__file__).resolve().parents[2]
LOGGING_FILE = ROOT / "bot" / "logging.yml"
SECRET_VALUE = secrets.token_urlsafe(18)  # made per run: no secret-looking literal in the repo


@pytest.fixture
def captured_logger():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter(environ={"LLM_API_KEY": SECRET_VALUE}))
    logger = logging.getLogger("tests.logs.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    yield logger, stream
    logger.removeHandler(handler)


def test_secret_values_come_from_variables_named_like_secrets():
    environ = {"SHOP_API_KEY": "k" * 24, "RASA_AUTH_TOKEN": "t" * 20, "DB_PASSWORD": "p" * 12,
               "HOME": "/root/somewhere", "SHORT_TOKEN": "abc"}

    assert secret_values_from_environment(environ) == ["k" * 24, "t" * 20, "p" * 12]


@pytest.mark.parametrize(
    "text, secret",
    [
        ("GET /conversations/x/tracker?token=abcdef123456 200", "abcdef123456"),
        ("headers {'X-API-Key': 'shopkey-123456'}", "shopkey-123456"),
        ("Authorization: Bearer eyJhbGciOi.payload.sig", "eyJhbGciOi.payload.sig"),
        ('{"api_key": "llm-key-987654"}', "llm-key-987654"),
        ("tracker store postgresql://rasa:hunter2hunter2@127.0.0.1:5432/rasa", "hunter2hunter2"),
    ],
)
def test_secrets_are_recognised_by_where_they_stand(text, secret):
    masked = mask_secrets(text)

    assert secret not in masked
    assert "[SECRET]" in masked


def test_a_record_is_masked_after_formatting_its_arguments(captured_logger):
    logger, stream = captured_logger

    logger.info(
        "user %s paid with %s using key %s", "maria.garcia@example.com", "4111 1111 1111 1111", SECRET_VALUE
    )

    assert stream.getvalue() == "user [EMAIL] paid with [CARD] using key [SECRET]\n"


def test_a_traceback_is_masked(captured_logger):
    logger, stream = captured_logger

    try:
        raise ValueError("no order for john.smith@example.com")
    except ValueError:
        logger.exception("lookup failed")

    output = stream.getvalue()
    assert "john.smith@example.com" not in output
    assert "ValueError: no order for [EMAIL]" in output


def test_a_record_whose_arguments_do_not_fit_is_still_written(captured_logger):
    logger, stream = captured_logger

    logger.info("two placeholders %s %s", "maria.garcia@example.com")

    assert "maria.garcia@example.com" not in stream.getvalue()
    assert "unformattable log arguments dropped" in stream.getvalue()


def _log_in_subprocess(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            **PROJECT_ENV,
            "SHOP_API_KEY": SECRET_VALUE,
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "PATH": "/usr/bin:/bin",
        },
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_rasa_keeps_the_filter_through_its_own_logging_set_up():
    # Rasa ignores a logging file it cannot apply (it says so at debug level only), and after
    # applying it installs coloured console logging: both must leave the filter in place.
    stderr = _log_in_subprocess(
        "import logging\n"
        "import rasa.utils.io\n"
        "from rasa.utils.common import configure_logging_and_warnings, update_sanic_log_level\n"
        f"configure_logging_and_warnings(logging.INFO, {str(LOGGING_FILE)!r})\n"
        "rasa.utils.io.configure_colored_logging('INFO')\n"
        "update_sanic_log_level()\n"
        "logging.getLogger('rasa.core.processor').info('message from maria.garcia@example.com')\n"
        "logging.getLogger('sanic.error').error('failed with key %s', "
        "__import__('os').environ['SHOP_API_KEY'])\n"
    )

    assert "message from [EMAIL]" in stderr
    assert "failed with key [SECRET]" in stderr
    assert "maria.garcia@example.com" not in stderr and SECRET_VALUE not in stderr


def test_the_action_server_applies_the_logging_file():
    stderr = _log_in_subprocess(
        "import logging\n"
        "from rasa_sdk import utils\n"
        "from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME\n"
        "utils.configure_colored_logging(logging.INFO)\n"
        "utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), None, logging.INFO,\n"
        f"                            {str(LOGGING_FILE)!r})\n"
        "utils.update_sanic_log_level()\n"
        "logging.getLogger('actions').warning('call 555-123-4567 about 221B Baker Street')\n"
    )

    assert "call [PHONE] about [ADDRESS]" in stderr
