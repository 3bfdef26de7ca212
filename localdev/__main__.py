"""``python -m localdev``: run the whole portal on this machine.

Sets up what a fresh clone lacks (database, EMR releases, an admin account,
Redis when ``REDIS_URL`` is unset), then starts the processes of the
``Procfile`` with honcho: web, Celery worker, redbeat scheduler, the local AWS
emulator and the local OpenID Connect provider. Ctrl-C stops all of them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCAL_DIR = ROOT / ".local"

#: What the local processes need unless the developer's environment or .env says otherwise.
LOCAL_DEFAULTS = {
    "ATMO_ENVIRONMENT": "dev",
    "DJANGO_SETTINGS_MODULE": "atmo.settings",
    "PYTHONUNBUFFERED": "1",
    "PORT": "8000",
    "DJANGO_SITE_URL": "http://localhost:8000",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "us-west-2",
    # The local provider signs ID tokens without a key id.
    "OIDC_VERIFY_KID": "false",
    "ATMO_LOCAL_ADMIN_EMAIL": "admin@example.com",
    # Mails go to files, shown at /dev/mail/, rather than into the worker's console.
    "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
    "EMAIL_FILE_PATH": str(LOCAL_DIR / "mail"),
}


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=value`` lines of a .env file (comments and blank lines skipped)."""
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip().strip("'\"")
        if value:  # blank entries (as in .env-dist) leave the default in place
            values[key.strip()] = value
    return values


def local_environment() -> dict[str, str]:
    env = dict(os.environ)
    for key, value in {**LOCAL_DEFAULTS, **read_env_file(ROOT / ".env")}.items():
        env.setdefault(key, value)
    # Public results are served by the emulator, not by s3-<region>.amazonaws.com.
    bucket = env.get("AWS_PUBLIC_DATA_BUCKET", "atmo-public-data")
    env.setdefault("ATMO_PUBLIC_DATA_URL", f"{env['AWS_ENDPOINT_URL']}/{bucket}/")
    # Every local process counts its metrics into these files; /metrics adds them up.
    env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(LOCAL_DIR / "metrics"))
    # Make the venv's console scripts (celery, honcho, oidc-provider-mock) win.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def prepare(env: dict[str, str]) -> None:
    # No system checks here: they would warn about the very migrations being applied.
    manage(env, "migrate", "--noinput", "--skip-checks", "-v", "0")
    manage(env, "load_emr_releases")
    manage(env, "ensure_admin", env["ATMO_LOCAL_ADMIN_EMAIL"])


def empty_metrics_dir(directory: Path) -> None:
    """Start the metrics from zero: the files of the last run would add their counts."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def banner(env: dict[str, str], seconds: float) -> str:
    url = env["DJANGO_SITE_URL"]
    return f"""
================================================================================
 ATMO is starting (set-up took {seconds:.0f}s). Open {url}
 Log in: click "Sign in with single sign-on", then on the local provider's page
   - click {env["ATMO_LOCAL_ADMIN_EMAIL"]} to log in as an administrator, or
   - type any email address (e.g. analyst@example.com) for a plain analyst.
 Local AWS: {env["AWS_ENDPOINT_URL"]}  Local OIDC: http://127.0.0.1:9400
 Redis: {env["REDIS_URL"]}  Database: {env.get("DATABASE_URL") or "SQLite (db.sqlite3)"}
 Mails: nothing is sent; they are written to {env.get("EMAIL_FILE_PATH", "the console")}
   and shown at {url}/dev/mail/ (when DJANGO_EMAIL_BACKEND is the file-based backend).
 System status (admin): {url}/admin/monitoring/systemstatus/
 Metrics: {url}/metrics   Heartbeat: {url}/__heartbeat__   `make scrape` watches them for a minute.
 Press Ctrl-C to stop everything.
================================================================================
"""


def main() -> int:
    started = time.monotonic()
    env = local_environment()
    if not env.get("REDIS_URL"):
        from localdev.redis import start_embedded_redis

        env["REDIS_URL"] = start_embedded_redis(data_dir=LOCAL_DIR / "redis", persist=True)
    empty_metrics_dir(Path(env["PROMETHEUS_MULTIPROC_DIR"]))
    prepare(env)
    print(banner(env, time.monotonic() - started), flush=True)
    honcho = subprocess.Popen(
        [sys.executable, "-m", "honcho", "start", "-f", str(ROOT / "Procfile"), "-d", str(ROOT)],
        cwd=ROOT,
        env=env,
    )
    try:
        return honcho.wait()
    except KeyboardInterrupt:
        # The terminal sent SIGINT to honcho too; give it time to stop its children.
        try:
            return honcho.wait(timeout=20)
        except subprocess.TimeoutExpired:
            honcho.kill()
            return 1


if __name__ == "__main__":
    sys.exit(main())
