"""docker-compose.yml sets the stack up the way `make run` does, with nothing dangling.

No Docker engine runs the test suite, so these checks read the file: every
service can be built or pulled, starts a verb bin/run knows, waits only for
services that exist, and every variable the file interpolates is documented.
(``docker compose config -q`` validates the syntax where Compose v2 exists.)
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
#: Services from public images; every other one runs ATMO's image through bin/run.
THIRD_PARTY = {"db", "redis"}


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


def bin_run_verbs() -> set[str]:
    """The verbs of bin/run's dispatching ``case`` (its last one)."""
    dispatch = (ROOT / "bin" / "run").read_text().rsplit('case "$verb" in', 1)[1]
    verbs = set()
    for pattern in re.findall(r"^ {4}([a-z][a-z| -]*)\)$", dispatch, re.M):
        verbs |= {verb.strip() for verb in pattern.split("|")}
    return verbs


def env_dist_variables() -> set[str]:
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env-dist").read_text(), re.M))


def test_every_service_has_an_image_or_a_build() -> None:
    for name, service in services().items():
        assert service.get("image") or service.get("build"), name


def test_every_atmo_service_runs_a_bin_run_verb() -> None:
    verbs = bin_run_verbs()
    assert {"web", "web-dev", "worker", "scheduler", "migrate", "init", "aws", "oidc"} <= verbs
    for name, service in services().items():
        if name not in THIRD_PARTY:
            command = service["command"]
            verb = command if isinstance(command, str) else command[0]
            assert verb.split()[0] in verbs, name


def test_services_wait_only_for_services_that_exist() -> None:
    names = services().keys()
    for name, service in services().items():
        assert set(service.get("depends_on", {})) <= names, name


def test_every_interpolated_variable_is_in_env_dist() -> None:
    referenced = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE_FILE.read_text()))
    assert referenced, "the test should see the interpolations"
    assert referenced <= env_dist_variables()


def test_the_stack_is_prepared_once_before_the_processes_start() -> None:
    stack = services()
    init = stack["init"]
    assert init["command"] == "init"
    assert init["environment"]["ATMO_ENVIRONMENT"] == "dev"  # so init also loads releases and the admin
    assert {"db", "redis"} <= set(init["depends_on"])
    for name in ("web", "worker", "scheduler"):
        assert stack[name]["depends_on"]["init"] == {"condition": "service_completed_successfully"}, name


def test_bin_run_init_does_what_make_run_prepares() -> None:
    script = (ROOT / "bin" / "run").read_text()
    init = script[script.index("init() {") : script.index("\n}\n", script.index("init() {"))]
    assert "migrate" in init
    assert "manage.py load_emr_releases" in init
    assert 'manage.py ensure_admin "${ATMO_LOCAL_ADMIN_EMAIL:-admin@example.com}"' in init


def test_the_local_provider_offers_the_administrator_like_make_run() -> None:
    script = (ROOT / "bin" / "run").read_text()
    procfile = (ROOT / "Procfile").read_text()
    assert "--user ${ATMO_LOCAL_ADMIN_EMAIL:-admin@example.com}" in procfile
    assert '--user "${ATMO_LOCAL_ADMIN_EMAIL:-admin@example.com}"' in script
    assert "analyst@example.com" not in script


@pytest.mark.parametrize("name", ["web", "worker", "scheduler", "init"])
def test_public_result_links_point_at_the_emulator_the_browser_reaches(name: str) -> None:
    environment = services()[name]["environment"]
    assert environment["ATMO_PUBLIC_DATA_URL"].startswith("http://localhost:4566/")
    assert environment["AWS_ENDPOINT_URL"] == "http://aws:4566"


def run_bin_run(tmp_path: Path, *args: str) -> list[str]:
    """The commands ``bin/run ARGS`` runs, with ``python`` and ``gunicorn`` recording
    instead of running (no port is bound, no database touched)."""
    log = tmp_path / "commands"
    for program in ("python", "gunicorn"):
        stub = tmp_path / program
        stub.write_text(f'#!/bin/sh\necho "{program} $*" >> "{log}"\n')
        stub.chmod(0o755)
    env = {"PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path)}
    subprocess.run([str(ROOT / "bin" / "run"), *args], env=env, check=True, timeout=30)
    return log.read_text().splitlines()


def test_the_web_process_does_not_migrate_by_default(tmp_path: Path) -> None:
    commands = run_bin_run(tmp_path, "web")
    assert len(commands) == 1 and commands[0].startswith("gunicorn atmo.wsgi:application")


def test_the_web_process_migrates_first_when_asked(tmp_path: Path) -> None:
    commands = run_bin_run(tmp_path, "web", "--migrate", "--timeout", "60")
    assert commands[0] == "python manage.py migrate --noinput"
    assert commands[1].startswith("gunicorn atmo.wsgi:application")
    assert commands[1].endswith("--timeout 60") and "--migrate" not in commands[1]
