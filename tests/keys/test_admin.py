from __future__ import annotations

from typing import Any


def test_a_superuser_can_list_search_and_open_keys_in_the_admin(
    client_for: Any, user: Any, ssh_key: Any, foreign_key: Any
) -> None:
    user.is_staff = user.is_superuser = True
    user.save()
    client = client_for(user)

    listing = client.get("/admin/keys/sshkey/")
    found = client.get("/admin/keys/sshkey/", {"q": foreign_key.fingerprint})
    change = client.get(f"/admin/keys/sshkey/{ssh_key.pk}/change/")

    assert listing.status_code == 200
    assert ssh_key.fingerprint in listing.content.decode()
    assert list(found.context["cl"].result_list) == [foreign_key]
    assert change.status_code == 200
