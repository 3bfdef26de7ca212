from __future__ import annotations

from importlib import import_module
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from atmo.clusters.models import EMRRelease
from atmo.lib.versions import version_sort_key
from tests.clusters.factories import EMRReleaseFactory


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


def test_version_sort_key_ranks_a_pre_release_below_its_release() -> None:
    versions = ["6.0.0", "6.0.0-rc1", "5.x", "6.0.1", "6.0.0-beta", "6.0.0.1", "6.0"]
    assert sorted(versions, key=version_sort_key) == [
        "5.x",
        "6.0",
        "6.0.0-beta",
        "6.0.0-rc1",
        "6.0.0",
        "6.0.0.1",
        "6.0.1",
    ]


def test_version_sort_key_holds_only_characters_every_collation_orders_alike() -> None:
    # Locale collations may skip punctuation and fold case; digits, lowercase
    # letters and the dots between fixed-width parts survive both.
    assert version_sort_key("6.0.0-Beta_2") == "000006z.000000z.000000abeta2"


@pytest.mark.django_db
def test_pre_releases_sort_below_their_release_in_the_database() -> None:
    for version in ["6.0.0", "6.0.0-beta", "5.11.0", "6.0.0-rc1", "10.0.0"]:
        EMRReleaseFactory(version=version)
    assert [r.version for r in EMRRelease.objects.natural_sort_by_version()] == [
        "10.0.0",
        "6.0.0",
        "6.0.0-rc1",
        "6.0.0-beta",
        "5.11.0",
    ]


@pytest.mark.django_db
def test_bulk_create_fills_the_sort_key() -> None:
    EMRReleaseFactory(version="5.9.0")
    EMRRelease.objects.bulk_create(EMRRelease(version=v) for v in ["5.11.0", "10.0.0"])
    assert [r.version for r in EMRRelease.objects.all()] == ["10.0.0", "5.11.0", "5.9.0"]
    assert EMRRelease.objects.get(version="10.0.0").sort_key == version_sort_key("10.0.0")


@pytest.mark.django_db
def test_update_of_the_version_brings_the_sort_key_along() -> None:
    for version in ["5.9.0", "5.11.0"]:
        EMRReleaseFactory(version=version)
    EMRRelease.objects.filter(version="5.11.0").update(version="5.1.0")
    assert EMRRelease.objects.get(version="5.1.0").sort_key == version_sort_key("5.1.0")
    assert [r.version for r in EMRRelease.objects.all()] == ["5.9.0", "5.1.0"]


@pytest.mark.django_db
def test_the_migration_recomputes_every_sort_key() -> None:
    from django.apps import apps

    migration = import_module("atmo.clusters.migrations.0003_recompute_emr_release_sort_keys")
    for version in ["5.9.0", "6.0.0-beta"]:
        EMRReleaseFactory(version=version)
    # As rows written with an older key format, or by bulk_create before it filled the key.
    EMRRelease.objects.update(sort_key="")

    migration.recompute_sort_keys(apps, None)

    assert {r.version: r.sort_key for r in EMRRelease.objects.all()} == {
        "5.9.0": version_sort_key("5.9.0"),
        "6.0.0-beta": version_sort_key("6.0.0-beta"),
    }


@pytest.mark.django_db
def test_releases_sort_naturally_in_the_database() -> None:
    for version in ["5.9.0", "5.11.0", "5.2.1", "10.0.0"]:
        EMRReleaseFactory(version=version)
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
    EMRReleaseFactory(version="1.0.0")
    EMRReleaseFactory(version="2.0.0", is_experimental=True)
    EMRReleaseFactory(version="3.0.0", is_deprecated=True)
    EMRReleaseFactory(version="4.0.0", is_active=False)
    EMRReleaseFactory(version="5.0.0", is_active=False, is_experimental=True)

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
