"""ATMO's notebook runner: runs a job's Jupyter or Zeppelin notebook once and leaves its outputs.

The batch step (``emr/batch.sh``) calls ``python -m atmo_runner`` on the cluster's
master node; the local AWS emulator calls the same entry point against the local
S3. Nothing here imports Django or the portal: the portal imports
:mod:`atmo_runner.notebooks` to check uploads with the same rules the runner applies.
"""
