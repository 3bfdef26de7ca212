"""Sphinx configuration of the ATMO documentation."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atmo.settings_test")

import django  # noqa: E402

django.setup()

project = "ATMO"
author = "The ATMO team"
copyright = "2026, the ATMO team"  # noqa: A001
extensions = ["sphinx.ext.autodoc", "sphinx.ext.viewcode"]
exclude_patterns = ["_build"]
html_theme = "alabaster"
autodoc_member_order = "bysource"
