"""First deploy on an empty PostgreSQL: gunicorn with two workers comes up every time (no DDL in the workers),
and the deploy step that creates the tables may run from two hosts at once. The members example, as shipped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.local import free_port
from tests.postgres import start_postgres
from tests.scale.test_two_hosts import wait_until

pytestmark = pytest.mark.scale

MEMBERS = Path(__file__).resolve().parents[2] / "examples" / "members"
BOOTS = 8


@pytest.fixture(scope="module")
def postgres() -> Iterator[object]:
    server = start_postgres()
    yield server
    server.destroy()


def test_cold_boots_of_two_workers_on_an_empty_database_all_come_up(postgres, tmp_path):
    for boot in range(BOOTS):
        env = {
            **os.environ,
            "DATABASE_URL": postgres.new_database(),
            "INSTANCE_PATH": str(tmp_path / f"boot{boot}"),
            "SECRET_KEY": "first-boot",
            "LINE_EMULATOR_URL": "http://127.0.0.1:9",  # nothing is signed in here
        }
        port = free_port()
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "app:create_app()"],
            cwd=MEMBERS,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deploy = [sys.executable, "-m", "flask", "--app", "app:create_app", "create-tables"]
        creators = [subprocess.Popen(deploy, cwd=MEMBERS, env=env, stderr=subprocess.PIPE) for _ in range(2)]
        try:
            errors = [creator.communicate(timeout=60)[1].decode() for creator in creators]
            assert [creator.returncode for creator in creators] == [0, 0], errors
            wait_until(
                lambda port=port: requests.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200, "gunicorn"
            )
            signed_up = requests.post(
                f"http://127.0.0.1:{port}/signup",
                data={"name": "Brown", "email": f"brown{boot}@example.com", "password": "correct horse"},
                allow_redirects=False,
                timeout=5,
            )
            assert signed_up.status_code == 302, signed_up.text[:300]
            assert gunicorn.poll() is None, f"boot {boot}: gunicorn exited"
        finally:
            gunicorn.send_signal(signal.SIGTERM)
            gunicorn.wait(timeout=20)
