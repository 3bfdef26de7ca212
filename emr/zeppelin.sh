#!/usr/bin/env bash
# ATMO's Zeppelin set-up step: points Zeppelin's PySpark at the runner's virtualenv (the
# Python the bootstrap action installed, with the same libraries as scheduled runs) and
# serves Zeppelin on localhost:8890, where the cluster page's SSH tunnel leads.
#
#   zeppelin.sh [--dry-run]
set -euo pipefail
# shellcheck source=emr/lib.sh
. "$(dirname "$0")/lib.sh"

ZEPPELIN_CONF=${ZEPPELIN_CONF:-/etc/zeppelin/conf}
VENV=${ATMO_HOME:-/mnt/atmo}/venv
ZEPPELIN_PORT=8890

while [ "$#" -gt 0 ]; do
  case $1 in
    --dry-run) DRY_RUN=1; shift ;;
    *) die "unknown argument: $1" ;;
  esac
done

say "configuring Zeppelin: PySpark on $VENV/bin/python, port $ZEPPELIN_PORT on localhost"
write_file "$ZEPPELIN_CONF/zeppelin-env.sh.atmo" <<CONF
export PYSPARK_PYTHON=$VENV/bin/python
export PYSPARK_DRIVER_PYTHON=$VENV/bin/python
export ZEPPELIN_ADDR=127.0.0.1
export ZEPPELIN_PORT=$ZEPPELIN_PORT
CONF
run sudo sh -c "cat '$ZEPPELIN_CONF/zeppelin-env.sh.atmo' >> '$ZEPPELIN_CONF/zeppelin-env.sh'"
run sudo systemctl restart zeppelin
say "Zeppelin set up"
