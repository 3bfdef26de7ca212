"""``atmo clusters …``, ``atmo jobs …``, ``atmo runs …``."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from atmo_cli.client import Client, load_settings

#: States after which nothing changes any more.
FINAL = {"TERMINATED", "TERMINATED_WITH_ERRORS"}
#: Seconds between two looks at a cluster or run with ``--wait`` (ATMO_POLL_SECONDS overrides).
POLL_SECONDS = float(os.environ.get("ATMO_POLL_SECONDS", "10"))
sleep = time.sleep  # replaced by the tests, which advance the world instead of waiting


def show(data: Any, as_json: bool, columns: list[str]) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    rows = data if isinstance(data, list) else [data]
    for row in rows:
        click.echo("  ".join(str(row.get(name) if row.get(name) is not None else "-") for name in columns))


json_option = click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")


def wait_for(client: Client, path: str, done: set[str]) -> dict[str, Any]:
    """Poll ``path`` until its state is in ``done`` or final, printing each new state."""
    last = ""
    while True:
        row = client.get(path)
        if row["state"] != last:
            click.echo(f"{row['state']}", err=True)
            last = row["state"]
        if row["state"] in done | FINAL:
            return row
        sleep(POLL_SECONDS)


@click.group()
@click.pass_context
def cli(context: click.Context) -> None:
    """ATMO from a terminal: set ATMO_URL and ATMO_TOKEN (or ~/.config/atmo/config.toml)."""
    context.obj = None


def client() -> Client:
    context = click.get_current_context()
    if context.find_root().obj is None:
        context.find_root().obj = Client(load_settings())
    return context.find_root().obj


@cli.group()
def clusters() -> None:
    """Launch, list, extend, terminate and reach clusters."""


CLUSTER_COLUMNS = ["id", "identifier", "state", "size", "expires_at", "master_address"]


@clusters.command("list")
@click.option("--state", help="A state (WAITING…) or active/final.")
@json_option
def clusters_list(state: str | None, as_json: bool) -> None:
    show(client().pages("clusters/", state=state), as_json, CLUSTER_COLUMNS)


@clusters.command()
@click.option("--identifier")
@click.option("--size", type=int)
@click.option("--lifetime", type=int)
@click.option("--ssh-key", type=int)
@click.option("--emr-release")
@click.option("--wait", is_flag=True, help="Wait until the cluster is ready (exit 1 if it fails).")
@json_option
def launch(wait: bool, as_json: bool, **fields: Any) -> None:
    """Launch a cluster; left-out options take the launch page's defaults."""
    cluster = client().post("clusters/", json={k: v for k, v in fields.items() if v is not None})
    click.echo(f"Cluster {cluster['id']} ({cluster['identifier']}) requested.", err=True)
    if wait:
        cluster = wait_for(client(), f"clusters/{cluster['id']}/", {"WAITING"})
    show(cluster, as_json, CLUSTER_COLUMNS)
    sys.exit(1 if cluster["state"] in FINAL else 0)


@clusters.command()
@click.argument("cluster_id", type=int)
@click.option("--hours", type=int, default=8, show_default=True)
def extend(cluster_id: int, hours: int) -> None:
    cluster = client().post(f"clusters/{cluster_id}/extend/", json={"extension": hours})
    click.echo(f"Cluster {cluster_id} now expires at {cluster['expires_at']}.")


@clusters.command()
@click.argument("cluster_id", type=int)
def terminate(cluster_id: int) -> None:
    click.echo(client().post(f"clusters/{cluster_id}/terminate/")["detail"])


@clusters.command()
@click.argument("cluster_id", type=int)
@click.option("--print", "print_only", is_flag=True, help="Print the ssh command instead of running it.")
def ssh(cluster_id: int, print_only: bool) -> None:
    """Open an SSH session on the cluster's master node (as ``hadoop``)."""
    address = client().get(f"clusters/{cluster_id}/")["master_address"]
    if not address:
        raise click.ClickException("The cluster has no address yet; wait until it is ready.")
    command = ["ssh", f"hadoop@{address}"]
    if print_only:
        click.echo(" ".join(command))
        return
    os.execvp(command[0], command)  # noqa: S606 (the user's own ssh, by design)


@cli.group()
def jobs() -> None:
    """Schedule, list and run Spark jobs; read their results and logs."""


JOB_COLUMNS = ["id", "identifier", "interval_in_hours", "is_enabled", "start_date"]


@jobs.command("list")
@click.option("--state", help="The latest run's state, or active/final.")
@json_option
def jobs_list(state: str | None, as_json: bool) -> None:
    show(client().pages("jobs/", state=state), as_json, JOB_COLUMNS)


@jobs.command()
@click.argument("notebook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--identifier", required=True)
@click.option("--description", required=True)
@click.option("--size", type=int)
@click.option("--interval-in-hours", type=int)
@click.option("--job-timeout", type=int)
@click.option("--start-date")
@click.option("--end-date")
@click.option("--result-visibility", type=click.Choice(["private", "public"]))
@click.option("--emr-release")
@json_option
def create(notebook: Path, as_json: bool, **fields: Any) -> None:
    """Schedule NOTEBOOK; left-out options take the new-job page's defaults."""
    data = {k: str(v) for k, v in fields.items() if v is not None}
    with notebook.open("rb") as file:
        job = client().post("jobs/", data=data, files={"notebook": (notebook.name, file)})
    show(job, as_json, JOB_COLUMNS)


RUN_COLUMNS = ["id", "job", "state", "jobflow_id", "scheduled_at", "finished_at"]


def parse_params(context: click.Context, option: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    """``--param name=value`` options as ``{name: value}``; the job's own parameter types check the values."""
    params: dict[str, str] = {}
    for value in values:
        name, equals, given = value.partition("=")
        if not equals or not name.strip():
            raise click.BadParameter(f"{value!r} is not name=value.", context, option)
        params[name.strip()] = given
    return params


@jobs.command()
@click.argument("job_id", type=int)
@click.option(
    "--param",
    "params",
    multiple=True,
    callback=parse_params,
    metavar="NAME=VALUE",
    help="A parameter's value for this run only (repeatable); the others keep their defaults.",
)
@click.option("--wait", is_flag=True, help="Wait for the run to end (exit 1 if it failed).")
@json_option
def run(job_id: int, params: dict[str, str], wait: bool, as_json: bool) -> None:
    """Run the job now."""
    started = client().post(f"jobs/{job_id}/run/", json={"parameters": params})
    click.echo(f"Run {started['id']} started.", err=True)
    if wait:
        started = wait_for(client(), f"runs/{started['id']}/", set())
    show(started, as_json, RUN_COLUMNS)
    sys.exit(1 if started["state"] == "TERMINATED_WITH_ERRORS" else 0)


@jobs.command()
@click.argument("job_id", type=int)
@json_option
def results(job_id: int, as_json: bool) -> None:
    """The job's result files, with links."""
    files = client().get(f"jobs/{job_id}/results/")
    show(files["data"], as_json, ["name", "url"])


@jobs.command()
@click.argument("job_id", type=int)
@json_option
def logs(job_id: int, as_json: bool) -> None:
    """The job's run logs, newest first, with links."""
    files = client().get(f"jobs/{job_id}/results/")
    show(files["logs"], as_json, ["name", "url"])


@cli.group()
def runs() -> None:
    """Runs of jobs."""


@runs.command("list")
@click.argument("job_id", type=int)
@click.option("--state", help="A state (RUNNING…) or active/final.")
@json_option
def runs_list(job_id: int, state: str | None, as_json: bool) -> None:
    """The job's runs, newest first."""
    show(client().pages(f"jobs/{job_id}/runs/", state=state), as_json, RUN_COLUMNS)


@runs.command("show")
@click.argument("run_id", type=int)
@json_option
def runs_show(run_id: int, as_json: bool) -> None:
    """A run: its state, parameters, why it failed and links to its outputs."""
    shown = client().get(f"runs/{run_id}/")
    show(shown, as_json, RUN_COLUMNS)
    if as_json:
        return
    how = "manual, by " + shown["requested_by"] if shown["manual"] else "scheduled"
    retry = f", retry of run {shown['retry_of']}" if shown["retry_of"] is not None else ""
    click.echo(f"Attempt {shown['attempt']} ({how}{retry}); outcome: {shown['outcome'] or 'unknown'}")
    for name, value in shown["parameters"].items():
        click.echo(f"  {name} = {json.dumps(value)}")
    failure = shown["failure"]
    if failure is not None:
        where = f"Cell {failure['cell_index']}" if failure["cell_index"] is not None else "The notebook"
        click.echo(f"{where} failed: {failure['exception']}: {failure['message']}")
        for line in failure["cell_source_excerpt"].splitlines():
            click.echo(f"  | {line}")
    for alert in shown["alerts"]:
        click.echo(f"  {alert['reason_code']}: {alert['reason_message']}")
    click.echo(f"Run page: {shown['web_url']}")
    for output in shown["outputs"]:
        click.echo(f"{output['label']} ({output['name']}): {output['url']}")
