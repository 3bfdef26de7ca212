#!/usr/bin/env bash
# ATMO's batch step: runs a job's notebook once on the master node and stores its outputs.
#
#   batch.sh --notebook-uri s3://CODE/jobs/JOB/report.ipynb --output-uri s3://DATA/JOB/runs/RUN/
#            --job-identifier JOB --run-id RUN --timeout-seconds N [--parameters-json JSON] [--dry-run]
#
# The runner (python -m atmo_runner, installed by bootstrap.sh) fetches the notebook, runs
# it and uploads notebook.ipynb, notebook.html, log.txt and outcome.json; this script exits
# with its status (0 succeeded, 1 failed, 124 timed out), so that the EMR step fails with it.
# ATMO_RUNNER_HOME and ATMO_RUNNER_PYTHON say where the runner is (the local emulator sets them).
set -euo pipefail
# shellcheck source=emr/lib.sh
. "$(dirname "$0")/lib.sh"

RUNNER_HOME=${ATMO_RUNNER_HOME:-/mnt/atmo/runner}
PYTHON=${ATMO_RUNNER_PYTHON:-/mnt/atmo/venv/bin/python}
# Seconds the runner gets past the notebook's own timeout to save and upload what it has.
SAVE_SECONDS=300

notebook_uri='' output_uri='' job_identifier='' run_id='' timeout_seconds='' parameters_json='{}'
while [ "$#" -gt 0 ]; do
  case $1 in
    --notebook-uri) need_value "$@"; notebook_uri=$2; shift 2 ;;
    --output-uri) need_value "$@"; output_uri=$2; shift 2 ;;
    --job-identifier) need_value "$@"; job_identifier=$2; shift 2 ;;
    --run-id) need_value "$@"; run_id=$2; shift 2 ;;
    --timeout-seconds) need_value "$@"; timeout_seconds=$2; shift 2 ;;
    --parameters-json) need_value "$@"; parameters_json=$2; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    *) die "unknown argument: $1" ;;
  esac
done
for required in notebook_uri output_uri job_identifier run_id timeout_seconds; do
  [ -n "${!required}" ] || die "--${required//_/-} is required"
done
case $timeout_seconds in ''|*[!0-9]*) die "--timeout-seconds wants whole seconds" ;; esac

say "running $notebook_uri for job $job_identifier (run $run_id); outputs to $output_uri"
export PYTHONPATH="$RUNNER_HOME${PYTHONPATH:+:$PYTHONPATH}"
# The runner stops the notebook at its timeout; `timeout` stops the runner should it hang itself.
run timeout --kill-after=60 "$((timeout_seconds + SAVE_SECONDS))" "$PYTHON" -m atmo_runner \
  --notebook-uri "$notebook_uri" --output-uri "$output_uri" --job-identifier "$job_identifier" \
  --run-id "$run_id" --timeout-seconds "$timeout_seconds" --parameters-json "$parameters_json"
