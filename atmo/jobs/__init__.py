"""Scheduled Spark jobs: a notebook run on a fresh EMR cluster every N hours."""
