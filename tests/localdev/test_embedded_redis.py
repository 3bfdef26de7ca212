"""The embedded Redis of ``make run`` keeps its data across a restart; the tests' one does not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from localdev.redis import EmbeddedRedis


@pytest.fixture
def embedded(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(data_dir=tmp_path / "redis", persist=request.param)
    server.start()
    yield server
    server.stop()


@pytest.mark.parametrize("embedded", [True], indirect=True)
@pytest.mark.parametrize("crash", [False, True], ids=["stopped", "killed"])
def test_a_persistent_server_keeps_its_data_across_a_restart(embedded: EmbeddedRedis, crash: bool) -> None:
    redis.Redis.from_url(embedded.url).set("schedule", "kept")
    embedded.restart(crash=crash)
    assert redis.Redis.from_url(embedded.url).get("schedule") == b"kept"
    assert (embedded.data_dir / "appendonly.aof").exists()


@pytest.mark.parametrize("embedded", [False], indirect=True)
def test_a_volatile_server_starts_empty_again(embedded: EmbeddedRedis) -> None:
    redis.Redis.from_url(embedded.url).set("schedule", "gone")
    embedded.restart()
    assert redis.Redis.from_url(embedded.url).get("schedule") is None


def test_make_run_starts_a_persistent_redis_under_the_local_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    from localdev import __main__ as launcher

    started: list[tuple[Path | None, bool]] = []

    def fake_start(data_dir: Path | None = None, port: int | None = None, persist: bool = False) -> str:
        started.append((data_dir, persist))
        raise SystemExit(0)  # stop before the stack starts

    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setattr(launcher, "read_env_file", lambda path: {})
    monkeypatch.setattr("localdev.redis.start_embedded_redis", fake_start)
    with pytest.raises(SystemExit):
        launcher.main()
    assert started == [(launcher.LOCAL_DIR / "redis", True)]
