"""The notebook runner (emr/atmo_runner): parameters, outputs, failures and the timeout."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from emr.atmo_runner.notebooks import check_zeppelin, zeppelin_notebook
from emr.atmo_runner.spark_startup import NO_JAVA
from tests.emr.conftest import run_runner, runner_env
from tests.emr.notebooks import FAILING_IN_CELL_3, jupyter, zeppelin

PARAMETERS = json.dumps({"run_date": "2026-12-07", "country": "DE", "job_identifier": "not this one"})


def test_parameters_are_injected_and_every_output_is_written(tmp_path: Path) -> None:
    notebook = jupyter(
        "print(f'{run_date}|{job_identifier}|{run_id}|{output_location}|{country}')\n"
        "open('totals.csv', 'w').write('country,total\\nDE,3\\n')",
        parameters="country = 'FR'\nrun_date = None",
    )

    run = run_runner(tmp_path, notebook, "--parameters-json", PARAMETERS)

    assert run.returncode == 0, run.stderr
    expected = f"2026-12-07|weekly-report|42|{tmp_path / 'out'}/|DE"
    executed = nbformat.read(run.output / "notebook.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for cell in executed.cells for o in cell.get("outputs", []))
    assert expected in printed
    assert expected in run.text("notebook.html")
    assert expected in run.text("log.txt")
    outcome = run.outcome
    assert outcome["status"] == "succeeded"
    assert outcome["failure"] is None
    assert outcome["parameters"] == {
        "run_date": "2026-12-07",
        "country": "DE",
        "job_identifier": "weekly-report",  # the run's own identity wins over what is passed
        "run_id": 42,
        "output_location": f"{tmp_path / 'out'}/",
    }
    assert outcome["duration_seconds"] > 0
    assert outcome["started_at"] < outcome["finished_at"]
    assert outcome["files"] == ["files/totals.csv"]
    assert (run.output / "files" / "totals.csv").read_text() == "country,total\nDE,3\n"


def test_the_failing_cell_is_captured_with_its_error(tmp_path: Path) -> None:
    run = run_runner(tmp_path, FAILING_IN_CELL_3)

    assert run.returncode == 1
    outcome = run.outcome
    assert outcome["status"] == "failed"
    failure = outcome["failure"]
    assert failure["cell_index"] == 3  # in the notebook as uploaded, papermill's cells not counted
    assert failure["cell_source"] == "x / 0"
    assert failure["exception"] == "ZeroDivisionError"
    assert failure["message"] == "division by zero"
    assert failure["traceback"][-1] == "ZeroDivisionError: division by zero"
    assert len(failure["traceback"]) <= 40
    assert not any("\x1b[" in line for line in failure["traceback"])
    executed = nbformat.read(run.output / "notebook.ipynb", as_version=4)
    assert "never" not in json.dumps([c.get("outputs") for c in executed.cells])
    assert "ZeroDivisionError" in run.text("log.txt")


def test_a_run_past_its_timeout_ends_timed_out_with_its_partial_outputs(tmp_path: Path) -> None:
    notebook = jupyter("print('first part done', flush=True)", "import time\ntime.sleep(600)")

    run = run_runner(tmp_path, notebook, "--timeout-seconds", "8")

    assert run.returncode == 124
    outcome = run.outcome
    assert outcome["status"] == "timed_out"
    assert outcome["failure"]["cell_index"] == 2
    assert outcome["failure"]["cell_source"] == "import time\ntime.sleep(600)"
    assert "8 seconds" in outcome["failure"]["message"]
    assert outcome["duration_seconds"] < 120
    executed = nbformat.read(run.output / "notebook.ipynb", as_version=4)
    assert executed.cells[2].outputs[0]["text"] == "first part done\n"  # after papermill's parameters cell
    assert (run.output / "notebook.html").exists()


def test_without_java_spark_fails_the_run_with_a_clear_reason(tmp_path: Path) -> None:
    notebook = jupyter("print(spark.range(10).count())")

    run = run_runner(tmp_path, notebook, env=runner_env(PATH="/nonexistent", JAVA_HOME=""))

    assert run.returncode == 1
    assert run.outcome["failure"]["message"] == NO_JAVA
    assert run.outcome["failure"]["cell_index"] == 1
    assert NO_JAVA in run.text("log.txt")


def test_a_zeppelin_note_runs_its_paragraphs_in_one_session_and_keeps_its_markdown(tmp_path: Path) -> None:
    note = zeppelin("%md\n# Totals", "%pyspark\ntotal = 40", "%python\nprint(total + 2)", "print(run_id)")

    run = run_runner(tmp_path, note, name="note.json")

    assert run.returncode == 0, run.stderr
    executed = nbformat.read(run.output / "notebook.ipynb", as_version=4)
    assert executed.cells[0].cell_type == "code"  # papermill's parameters
    assert executed.cells[1].cell_type == "markdown"
    assert executed.cells[1].source == "# Totals"
    assert executed.cells[3].outputs[0]["text"] == "42\n"
    assert executed.cells[4].outputs[0]["text"] == "42\n"


def test_a_zeppelin_failure_names_the_paragraph_as_written(tmp_path: Path) -> None:
    note = zeppelin("%md\nintro", "%pyspark\nraise ValueError('no data for 2026-12-07')")

    run = run_runner(tmp_path, note, name="note.json")

    assert run.returncode == 1
    failure = run.outcome["failure"]
    assert failure["cell_index"] == 1
    assert failure["cell_source"] == "%pyspark\nraise ValueError('no data for 2026-12-07')"
    assert (failure["exception"], failure["message"]) == ("ValueError", "no data for 2026-12-07")


def test_sql_paragraphs_become_spark_sql_calls_one_per_statement() -> None:
    note = json.loads(zeppelin("%sql\nSELECT 1;\nSELECT 'a;b' AS x", "%spark.sql\n"))

    notebook = zeppelin_notebook(check_zeppelin(note))

    assert notebook.cells[0].source == (
        "# %sql\n"
        "spark.sql('SELECT 1').show(1000, truncate=False)\n"
        "spark.sql(\"SELECT 'a;b' AS x\").show(1000, truncate=False)"
    )
    assert notebook.cells[1].cell_type == "markdown"  # an empty paragraph keeps its place


def test_a_stored_notebook_that_is_not_runnable_fails_the_run_with_the_reason(tmp_path: Path) -> None:
    run = run_runner(tmp_path, b"{not json")

    assert run.returncode == 1
    assert run.outcome["status"] == "failed"
    assert run.outcome["failure"]["message"].startswith("The notebook is not valid JSON")
    assert (run.output / "log.txt").exists()


def test_a_missing_notebook_fails_the_run_with_the_reason(tmp_path: Path) -> None:
    run = run_runner(tmp_path, b"", "--notebook-uri", str(tmp_path / "gone.ipynb"))

    assert run.returncode == 1
    assert "could not be read from" in run.outcome["failure"]["message"]
    assert "gone.ipynb" in run.outcome["failure"]["message"]


def test_the_dry_run_says_what_it_would_do_and_does_nothing(tmp_path: Path) -> None:
    run = run_runner(tmp_path, FAILING_IN_CELL_3, "--dry-run", "--parameters-json", PARAMETERS)

    assert run.returncode == 0
    assert f"fetch the notebook {tmp_path / 'report.ipynb'} (jupyter)" in run.stdout
    assert "for at most 86400 seconds, for job weekly-report, run 42" in run.stdout
    assert '"country": "DE"' in run.stdout
    assert f"to {tmp_path / 'out'}/" in run.stdout
    assert not run.output.exists()
