"""Throw-away PostgreSQL and Redis servers on loopback for the scale-out test.

Debian's packages (installed by bot/setup_hardening_deps.sh) provide the binaries; each test run
makes its own instance on a free port in a temp dir and removes it afterwards, so nothing depends
on a system service. PostgreSQL refuses to run as root: as root, both servers run as the
unprivileged user the set-up script creates.
"""
from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.processes import ManagedProcess
from bot.testing import free_port

SERVICE_USER = "rasa-llm-test"
START_TIMEOUT_S = 60.0


def postgres_bin_dir() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian keeps them under /usr/lib/postgresql)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(candidates[-1]).parent if candidates else None


def missing_services() -> list[str]:
    """What the set-up script should have installed and did not (empty when all is there)."""
    missing = []
    if postgres_bin_dir() is None:
        missing.append("postgresql")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVICE_USER)
        except KeyError:
            missing.append(f"user {SERVICE_USER}")
    return missing


def _as_service_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", SERVICE_USER, "--", *command] if os.geteuid() == 0 else command


@contextmanager
def _service_dir(prefix: str) -> Iterator[Path]:
    # Not pytest's tmp_path: as root that sits in a directory only root may enter.
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        if os.geteuid() == 0:
            user = pwd.getpwnam(SERVICE_USER)
            os.chown(path, user.pw_uid, user.pw_gid)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _wait_until(ready: Callable[[], bool], process: ManagedProcess, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if not process.running:
            raise RuntimeError(f"{process.name} exited:\n{process.log_tail()}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{process.name} not ready in {timeout:.0f} s:\n{process.log_tail()}")
        time.sleep(0.2)


@dataclass(frozen=True)
class PostgresServer:
    port: int
    username: str
    password: str
    db: str = "rasa"

    def tracker_store(self) -> dict:
        """Rasa's endpoints.yml `tracker_store` entry; Rasa creates `db` through `login_db` on first use."""
        return {"type": "SQL", "dialect": "postgresql", "url": "127.0.0.1", "port": self.port, "db": self.db,
                "username": self.username, "password": self.password, "login_db": "postgres"}

    def connect(self):
        import psycopg2

        return psycopg2.connect(host="127.0.0.1", port=self.port, user=self.username, password=self.password,
                                dbname=self.db, connect_timeout=5)


@contextmanager
def postgres_server(log_dir: Path) -> Iterator[PostgresServer]:
    import psycopg2

    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed: run bot/setup_hardening_deps.sh")
    server = PostgresServer(port=free_port(), username="rasa", password=secrets.token_urlsafe(18))
    with _service_dir("rasa-llm-pg-") as work:
        password_file = work / "password"
        password_file.write_text(server.password)
        if os.geteuid() == 0:
            shutil.chown(password_file, SERVICE_USER)
        subprocess.run(
            _as_service_user([str(bin_dir / "initdb"), "-D", str(work / "data"), "-U", server.username,
                              "--pwfile", str(password_file), "--auth", "scram-sha-256", "--encoding", "UTF8",
                              "--no-sync"]),
            check=True, capture_output=True, timeout=120,
        )
        password_file.unlink()
        process = ManagedProcess(
            "postgres",
            _as_service_user([str(bin_dir / "postgres"), "-D", str(work / "data"), "-p", str(server.port),
                              "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={work}",
                              "-c", "fsync=off", "-c", "max_connections=50"]),
            None, log_dir / "postgres.log",
        )
        process.start()
        try:
            def accepts_connections() -> bool:
                try:
                    psycopg2.connect(host="127.0.0.1", port=server.port, user=server.username,
                                     password=server.password, dbname="postgres", connect_timeout=2).close()
                    return True
                except psycopg2.OperationalError:
                    return False

            _wait_until(accepts_connections, process)
            yield server
        finally:
            process.stop()


@dataclass(frozen=True)
class RedisServer:
    port: int

    def lock_store(self, store_type: str = "redis") -> dict:
        """Rasa's endpoints.yml `lock_store` entry (`redis` is Rasa's own RedisLockStore)."""
        return {"type": store_type, "url": "127.0.0.1", "port": self.port, "db": 1}


@contextmanager
def redis_server(log_dir: Path) -> Iterator[RedisServer]:
    import redis

    server = RedisServer(port=free_port())
    with _service_dir("rasa-llm-redis-") as work:
        process = ManagedProcess(
            "redis",
            _as_service_user(["redis-server", "--port", str(server.port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--dir", str(work)]),
            None, log_dir / "redis.log",
        )
        process.start()
        try:
            def answers_ping() -> bool:
                try:
                    return bool(redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=2).ping())
                except redis.exceptions.ConnectionError:
                    return False

            _wait_until(answers_ping, process)
            yield server
        finally:
            process.stop()
