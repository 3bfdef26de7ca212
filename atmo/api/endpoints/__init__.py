"""The ``/api/v1/`` endpoints, one module per resource; :mod:`.common` holds what they share."""
