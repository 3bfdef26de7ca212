"""The deployed configuration refuses insecure or missing values, naming them."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "k" * 20 + "-Zq8w3-n0t-a-real-secret-but-long-enough-0123456789"


def prod_env(**overrides: str | None) -> dict[str, str]:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "OIDC_", "ATMO_"))
    }
    env.update(
        ATMO_ENVIRONMENT="prod",
        DJANGO_SECRET_KEY=GOOD_SECRET,
        DJANGO_ALLOWED_HOSTS="atmo.example.org",
        DJANGO_SITE_URL="https://atmo.example.org",
        # A throw-away database: these checks must not depend on the test database's name.
        DATABASE_URL=f"sqlite:///{Path(tempfile.gettempdir()) / 'atmo-prod-check.sqlite3'}",
        REDIS_URL=os.environ["REDIS_URL"],
        OIDC_RP_CLIENT_ID="atmo",
        OIDC_RP_CLIENT_SECRET="secret",
        OIDC_OP_AUTHORIZATION_ENDPOINT="https://sso.example.org/authorize",
        OIDC_OP_TOKEN_ENDPOINT="https://sso.example.org/token",
        OIDC_OP_USER_ENDPOINT="https://sso.example.org/userinfo",
        OIDC_OP_JWKS_ENDPOINT="https://sso.example.org/jwks",
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def load_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import atmo.settings"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_prod_settings_load_with_complete_secure_values() -> None:
    result = load_settings(prod_env())
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"DJANGO_DEBUG": "true"}, "DJANGO_DEBUG must be off"),
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY must be set"),
        (
            {"DJANGO_SECRET_KEY": "insecure-development-key-never-use-it-in-production"},
            "DJANGO_SECRET_KEY must be a random value",
        ),
        ({"DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY must be a random value"),
        ({"DATABASE_URL": None}, "DATABASE_URL must be set"),
        ({"REDIS_URL": None}, "REDIS_URL must be set"),
        ({"DJANGO_ALLOWED_HOSTS": None}, "DJANGO_ALLOWED_HOSTS must be set"),
        ({"DJANGO_ALLOWED_HOSTS": ","}, "DJANGO_ALLOWED_HOSTS must be set"),
        ({"DJANGO_ALLOWED_HOSTS": "  "}, "DJANGO_ALLOWED_HOSTS must be set"),
        ({"DJANGO_SITE_URL": " "}, "DJANGO_SITE_URL must be set"),
        ({"DJANGO_SITE_URL": None}, "DJANGO_SITE_URL must be set"),
        ({"DJANGO_SITE_URL": "/"}, "DJANGO_SITE_URL must be set"),
        ({"OIDC_RP_CLIENT_SECRET": None}, "OIDC_RP_CLIENT_SECRET must be set"),
        ({"OIDC_OP_TOKEN_ENDPOINT": None}, "OIDC_OP_TOKEN_ENDPOINT must be set"),
        ({"DJANGO_DEBUG": "perhaps"}, "DJANGO_DEBUG must be a boolean"),
        ({"ATMO_ENVIRONMENT": "production"}, "ATMO_ENVIRONMENT must be one of"),
    ],
)
def test_prod_settings_refuse_insecure_or_missing_values(overrides: dict, message: str) -> None:
    result = load_settings(prod_env(**overrides))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def read_setting(env: dict[str, str], expression: str) -> str:
    """What ``expression`` (over ``atmo.settings`` as ``s``) prints in a process with ``env``."""
    result = subprocess.run(
        [sys.executable, "-c", f"from atmo import settings as s; print({expression})"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_prod_reads_the_allowed_hosts_from_a_file(tmp_path: Path) -> None:
    hosts = tmp_path / "allowed-hosts"
    hosts.write_text("atmo.example.org, atmo-internal.example.org\n")
    env = prod_env(DJANGO_ALLOWED_HOSTS=None, DJANGO_ALLOWED_HOSTS_FILE=str(hosts))
    assert read_setting(env, "s.ALLOWED_HOSTS") == "['atmo.example.org', 'atmo-internal.example.org']"


def test_prod_refuses_an_allowed_hosts_file_that_lists_nothing(tmp_path: Path) -> None:
    hosts = tmp_path / "allowed-hosts"
    hosts.write_text(",\n")
    result = load_settings(prod_env(DJANGO_ALLOWED_HOSTS=None, DJANGO_ALLOWED_HOSTS_FILE=str(hosts)))
    assert "DJANGO_ALLOWED_HOSTS must be set when ATMO_ENVIRONMENT=prod" in result.stderr


def test_the_broker_redelivers_no_message_a_worker_still_holds() -> None:
    """A retry waits at most the backoff cap, then runs at most the hard time limit."""
    from django.conf import settings

    held_at_most = settings.ATMO_RETRY_BACKOFF_CAP + settings.CELERY_TASK_TIME_LIMIT
    visibility_timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert held_at_most < visibility_timeout <= 2 * 60 * 60


def test_check_deploy_passes_on_the_prod_configuration() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=prod_env(DJANGO_SETTINGS_MODULE="atmo.settings"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    # Unapplied migrations on a throw-away database are dockerflow's warning, not a
    # security issue; everything else must be clean.
    issues = [
        line
        for line in result.stderr.splitlines()
        if line.startswith("?:") and "dockerflow.health.W001" not in line
    ]
    assert issues == [], result.stderr
    assert "security." not in result.stderr


def test_dev_is_the_default_environment_and_uses_sqlite_without_database_url() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("ATMO_ENVIRONMENT", "DATABASE_URL")}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from atmo import settings as s; print(s.ENVIRONMENT, s.DEBUG, s.DATABASES['default']['ENGINE'])",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["dev", "True", "django.db.backends.sqlite3"], result.stderr


def test_a_local_sqlite_database_makes_a_second_writer_wait_for_the_first(tmp_path: Path) -> None:
    # make run's web, worker and scheduler share one SQLite file: a writer that starts
    # while another transaction writes must wait for it (as on PostgreSQL), not fail
    # halfway with "database is locked" after reading stale rows.
    script = """
import threading, time
import django
django.setup()
from django.db import connections, transaction
print(connections["default"].settings_dict["OPTIONS"].get("transaction_mode"))
with connections["default"].cursor() as cursor:
    cursor.execute("CREATE TABLE counter (n integer)")
    cursor.execute("INSERT INTO counter VALUES (0)")

def bump(pause):
    with transaction.atomic():
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT n FROM counter")
            (n,) = cursor.fetchone()
            time.sleep(pause)
            cursor.execute("UPDATE counter SET n = %s", [n + 1])
    connections["default"].close()

threads = [threading.Thread(target=bump, args=(0.3,)), threading.Thread(target=bump, args=(0,))]
threads[0].start(); time.sleep(0.1); threads[1].start()
for thread in threads: thread.join()
with connections["default"].cursor() as cursor:
    cursor.execute("SELECT n FROM counter")
    print(cursor.fetchone()[0])
"""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "ATMO_"))}
    env.update(
        ATMO_ENVIRONMENT="dev",
        DJANGO_SETTINGS_MODULE="atmo.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'shared.sqlite3'}",
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["IMMEDIATE", "2"]
