"""What operators watch: metrics, error reports, liveness in the heartbeat and the admin's system page.

Everything here hooks into the rest of ATMO from the outside (Celery signals,
middleware, boto3's event system, dockerflow checks), so the apps' own code
does not change to be observed.
"""
