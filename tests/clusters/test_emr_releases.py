from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from atmo.clusters.models import EMRRelease
from atmo.lib.versions import version_sort_key


def test_version_sort_key_orders_numbers_as_numbers() -> None:
    versions = ["5.9.0", "5.11.0", "5.2.1", "6.0.0", "5.11.10", "5.11.2"]
    assert sorted(versions, key=version_sort_key) == [
        "5.2.1",
        "5.9.0",
        "5.11.0",
        "5.11.2",
        "5.11.10",
        "6.0.0",
    ]


def test_version_sort_key_copes_with_text_parts() -> None:
    versions = ["6.0.0-beta", "6.0.0", "5.x", "6.0.1"]
    assert sorted(versions, key=version_sort_key) == ["5.x", "6.0.0", "6.0.0-beta", "6.0.1"]


@pytest.mark.django_db
def test_releases_sort_naturally_in_the_database() -> None:
    for version in ["5.9.0", "5.11.0", "5.2.1", "10.0.0"]:
        EMRRelease.objects.create(version=version)
    assert list(EMRRelease.objects.values_list("version", flat=True)) == [
        "10.0.0",
        "5.11.0",
        "5.9.0",
        "5.2.1",
    ]
    natural = EMRRelease.objects.natural_sort_by_version()
    assert natural.ordered
    assert [r.version for r in natural] == ["10.0.0", "5.11.0", "5.9.0", "5.2.1"]


@pytest.mark.django_db
def test_release_querysets() -> None:
    EMRRelease.objects.create(version="1.0.0")
    EMRRelease.objects.create(version="2.0.0", is_experimental=True)
    EMRRelease.objects.create(version="3.0.0", is_deprecated=True)
    EMRRelease.objects.create(version="4.0.0", is_active=False)
    EMRRelease.objects.create(version="5.0.0", is_active=False, is_experimental=True)

    def versions(qs: Any) -> list[str]:
        return sorted(qs.values_list("version", flat=True))

    assert versions(EMRRelease.objects.active()) == ["1.0.0", "2.0.0", "3.0.0"]
    assert versions(EMRRelease.objects.stable()) == ["1.0.0"]
    assert versions(EMRRelease.objects.experimental()) == ["2.0.0"]
    assert versions(EMRRelease.objects.deprecated()) == ["3.0.0"]
    assert EMRRelease.objects.get(version="2.0.0").badge == "experimental"
    assert EMRRelease.objects.get(version="1.0.0").badge == ""


@pytest.mark.django_db
def test_load_emr_releases_adds_missing_ones_and_keeps_operator_changes(capsys: Any) -> None:
    call_command("load_emr_releases")
    assert EMRRelease.objects.count() >= 3
    release = EMRRelease.objects.stable().first()
    release.is_active = False
    release.save()
    call_command("load_emr_releases")
    release.refresh_from_db()
    assert release.is_active is False
    assert "already present" in capsys.readouterr().out


@pytest.mark.django_db
def test_load_emr_releases_reports_a_bad_file(tmp_path: Any) -> None:
    bad = tmp_path / "releases.json"
    bad.write_text("{not json")
    with pytest.raises(CommandError, match="Cannot read EMR releases"):
        call_command("load_emr_releases", str(bad))
