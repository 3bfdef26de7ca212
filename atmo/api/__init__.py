"""The REST API under ``/api/v1/``, its personal access tokens and their page."""
