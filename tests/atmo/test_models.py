from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from atmo.clusters.models import EMRRelease
from atmo.models import next_field_value
from tests.clusters.factories import EMRReleaseFactory


@pytest.mark.django_db
class TestNextFieldValue:
    def test_a_free_value_is_kept(self) -> None:
        assert next_field_value(EMRRelease, "version", "curie") == "curie"

    def test_a_taken_value_gets_a_counter_from_two(self) -> None:
        EMRReleaseFactory(version="curie")
        assert next_field_value(EMRRelease, "version", "curie") == "curie-2"

    def test_counting_goes_on_past_taken_counters(self) -> None:
        for version in ["curie", "curie-2", "curie-3"]:
            EMRReleaseFactory(version=version)
        assert next_field_value(EMRRelease, "version", "curie") == "curie-4"

    def test_a_value_ending_in_a_counter_counts_on_from_its_base(self) -> None:
        EMRReleaseFactory(version="curie-7")
        assert next_field_value(EMRRelease, "version", "curie-7") == "curie-2"

    def test_an_empty_value_gets_a_counter(self) -> None:
        assert next_field_value(EMRRelease, "version", "") == "-2"

    def test_the_result_fits_the_field(self) -> None:
        long_value = "x" * 50  # EMRRelease.version has max_length 50
        EMRReleaseFactory(version=long_value)
        result = next_field_value(EMRRelease, "version", long_value)
        assert result == "x" * 48 + "-2"
        assert len(result) == 50

    def test_an_explicit_max_length_wins_when_smaller(self) -> None:
        EMRReleaseFactory(version="abcdefghij")
        assert next_field_value(EMRRelease, "version", "abcdefghij", max_length=10) == "abcdefgh-2"

    def test_the_queryset_limits_what_counts_as_taken(self) -> None:
        EMRReleaseFactory(version="curie", is_active=False)
        active = EMRRelease.objects.filter(is_active=True)
        assert next_field_value(EMRRelease, "version", "curie", queryset=active) == "curie"

    def test_it_works_on_any_model_field(self) -> None:
        Group.objects.create(name="team")
        assert next_field_value(Group, "name", "team", start=5) == "team-5"


@pytest.mark.django_db
def test_edited_at_model_refreshes_modified_at_on_every_save() -> None:
    release = EMRReleaseFactory(version="7.0.0")
    first = release.modified_at
    release.save(update_fields=["is_active"])
    release.refresh_from_db()
    assert release.modified_at > first
    assert release.created_at <= first
