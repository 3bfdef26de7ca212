#!/usr/bin/env bash
# ATMO's bootstrap action: runs on every node of a cluster or job run before Spark starts.
#
# On the master node it installs the notebook runner (emr/atmo_runner) and its pinned,
# hash-checked requirements in a virtualenv, and registers the "PySpark (ATMO)" Jupyter
# kernel. On an on-demand cluster (given --efs-dns) it also mounts the user's persistent
# home from EFS, installs the public key and starts JupyterLab on localhost:8888, where the
# cluster page's SSH tunnel leads. For a job run (given --timeout) it schedules a shutdown
# of the node as a last resort, should the run outlive its timeout.
#
#   bootstrap.sh --runner-uri s3://BUCKET/runner/ [--timeout MINUTES]
#                [--public-key KEY --email EMAIL --efs-dns DNS] [--dry-run]
set -euo pipefail
# shellcheck source=emr/lib.sh
. "$(dirname "$0")/lib.sh"

ATMO_HOME=${ATMO_HOME:-/mnt/atmo}
RUNNER_HOME="$ATMO_HOME/runner"
VENV="$ATMO_HOME/venv"
PYTHON=${ATMO_PYTHON:-python3.11}
SPARK_HOME=${SPARK_HOME:-/usr/lib/spark}
JUPYTER_PORT=8888
# Minutes the node outlives a job's timeout before it shuts itself down (ATMO stops it first).
SHUTDOWN_GRACE_MINUTES=30

runner_uri='' timeout_minutes='' public_key='' email='' efs_dns='' is_master=''
while [ "$#" -gt 0 ]; do
  case $1 in
    --runner-uri) need_value "$@"; runner_uri=$2; shift 2 ;;
    --timeout) need_value "$@"; timeout_minutes=$2; shift 2 ;;
    --public-key) need_value "$@"; public_key=$2; shift 2 ;;
    --email) need_value "$@"; email=$2; shift 2 ;;
    --efs-dns) need_value "$@"; efs_dns=$2; shift 2 ;;
    --master) is_master=1; shift ;;  # for dry runs off a cluster
    --dry-run) DRY_RUN=1; shift ;;
    *) die "unknown argument: $1" ;;
  esac
done
[ -n "$runner_uri" ] || die "--runner-uri is required"
case $timeout_minutes in ''|*[!0-9]*) [ -z "$timeout_minutes" ] || die "--timeout wants whole minutes" ;; esac

if [ -z "$is_master" ] && grep -q '"isMaster": *true' /mnt/var/lib/info/instance.json 2>/dev/null; then
  is_master=1
fi
if [ -z "$is_master" ]; then
  say "worker node: nothing to install"
  exit 0
fi

say "installing the notebook runner from $runner_uri into $VENV"
run sudo mkdir -p "$ATMO_HOME"
run sudo chown hadoop:hadoop "$ATMO_HOME"
run aws s3 cp --recursive --only-show-errors "$runner_uri" "$RUNNER_HOME"
run "$PYTHON" -m venv "$VENV"
run "$VENV/bin/pip" install --quiet --require-hashes -r "$RUNNER_HOME/requirements.txt"
# EMR's Spark brings its Python half and py4j; the kernel finds them through PYTHONPATH.
py4j_zips=("$SPARK_HOME"/python/lib/py4j-*-src.zip)
run env PYTHONPATH="$RUNNER_HOME" "$VENV/bin/python" -m atmo_runner.kernel --prefix "$VENV" --with-spark \
  --env "SPARK_HOME=$SPARK_HOME" \
  --env "PYTHONPATH=$SPARK_HOME/python:${py4j_zips[0]}:$RUNNER_HOME" \
  --env "PYSPARK_PYTHON=$VENV/bin/python"

if [ -n "$timeout_minutes" ]; then
  say "job run: this node shuts down $((timeout_minutes + SHUTDOWN_GRACE_MINUTES)) minutes from now at the latest"
  run sudo shutdown -h "+$((timeout_minutes + SHUTDOWN_GRACE_MINUTES))"
fi

if [ -n "$public_key" ]; then
  say "installing the public key of ${email:-the owner}"
  printf '%s\n' "$public_key" | write_file /home/hadoop/.ssh/authorized_keys.atmo
  run sudo sh -c 'cat /home/hadoop/.ssh/authorized_keys.atmo >> /home/hadoop/.ssh/authorized_keys'
fi

if [ -n "$efs_dns" ]; then
  [ -n "$email" ] || die "--efs-dns needs --email (it names the home directory)"
  home="/mnt/efs/$(printf '%s' "${email%%@*}" | tr -c 'A-Za-z0-9._-' '_')"
  say "mounting the persistent home $home from $efs_dns"
  run sudo mkdir -p /mnt/efs
  run sudo mount -t nfs4 -o nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2 "$efs_dns:/" /mnt/efs
  run sudo mkdir -p "$home"
  run sudo chown hadoop:hadoop "$home"
  run "$VENV/bin/pip" install --quiet --require-hashes -r "$RUNNER_HOME/requirements.txt" \
    -r "$RUNNER_HOME/jupyterlab.txt"
  say "starting JupyterLab on localhost:$JUPYTER_PORT (reached through the SSH tunnel)"
  # No token: it listens on localhost only, and the SSH key is what lets someone in.
  run_in_background "$ATMO_HOME/jupyterlab.log" sudo -u hadoop -H "$VENV/bin/jupyter" lab --no-browser \
    --ip=127.0.0.1 --port="$JUPYTER_PORT" --ServerApp.root_dir="$home" --IdentityProvider.token= \
    --ServerApp.password= --ServerApp.log_level=WARN
fi
say "bootstrap done"
