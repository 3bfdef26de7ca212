"""The ``atmo`` command: ATMO's REST API from a terminal."""
