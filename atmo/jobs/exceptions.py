"""Errors the Spark job code raises for its callers to handle."""

from __future__ import annotations


class SparkJobNotFound(Exception):
    """The job was deleted (or never committed) before its task ran."""


class SparkJobNotEnabled(Exception):
    """The job is disabled; its runs are skipped until an operator enables it."""
