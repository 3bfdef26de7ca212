from __future__ import annotations

import re

from atmo.names import adjectives, random_scientist, scientists


def test_random_scientist_is_adjective_scientist_and_four_digits() -> None:
    for _ in range(200):
        adjective, scientist, number = random_scientist().split("-")
        assert adjective in adjectives
        assert scientist in scientists
        assert re.fullmatch(r"\d{4}", number)


def test_random_scientist_uses_the_given_separator() -> None:
    assert re.fullmatch(r"[a-z]+_[a-z]+_\d{4}", random_scientist(separator="_"))


def test_random_scientist_names_are_valid_cluster_identifiers() -> None:
    assert all(re.fullmatch(r"[a-z0-9-]{1,100}", random_scientist()) for _ in range(200))


def test_random_scientist_varies() -> None:
    assert len({random_scientist() for _ in range(50)}) > 40
