"""The server refuses to start without what it needs, with a message that says what to do."""
import os
import subprocess
import sys

from tests.support.shop_api import REPO_ROOT


def _start(tmp_path, *args, env_extra=None):
    env = {key: value for key, value in os.environ.items() if key not in {"SHOP_API_KEY", "SHOP_DB_PATH"}}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "bot.shop_api", "--port", "1", "--db", str(tmp_path / "shop.sqlite3"), *args],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_no_api_key_no_start(tmp_path):
    result = _start(tmp_path)

    assert result.returncode == 2
    assert "SHOP_API_KEY is not set" in result.stderr
    assert not (tmp_path / "shop.sqlite3").exists()


def test_a_blank_api_key_counts_as_none(tmp_path):
    assert _start(tmp_path, env_extra={"SHOP_API_KEY": "   "}).returncode == 2


def test_a_missing_catalogue_is_reported_with_its_path(tmp_path):
    missing = tmp_path / "no-such-products.yml"

    result = _start(tmp_path, "--products", str(missing), env_extra={"SHOP_API_KEY": "k"})

    assert result.returncode == 1
    assert str(missing) in result.stderr
    assert "Traceback" not in result.stderr
