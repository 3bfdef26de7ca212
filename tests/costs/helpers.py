"""Helpers of the cost tests."""

from __future__ import annotations

import importlib

from django.apps import apps


def seed_prices() -> None:
    """The price rows the data migration seeds (a transactional test before may have emptied the table)."""
    importlib.import_module("atmo.costs.migrations.0002_seed_instance_prices").seed(apps, None)
