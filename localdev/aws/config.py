"""What the emulator is set up with: bucket names, region, phase timings and fixed values."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import ClassVar

#: The moto release the EMR patches are written against (`emr_patches`).
PINNED_MOTO_VERSION = "5.2.5"
DEFAULT_REGION = "us-west-2"
DUMMY_CREDENTIALS = {"aws_access_key_id": "localdev", "aws_secret_access_key": "localdev"}


@dataclass(frozen=True)
class Buckets:
    """The S3 buckets ATMO uses; the Django settings read the same variables and defaults."""

    code: str = "atmo-code"
    public_data: str = "atmo-public-data"
    private_data: str = "atmo-private-data"
    log: str = "atmo-logs"
    spark_emr: str = "atmo-spark-emr"

    ENV_VARS: ClassVar[dict[str, str]] = {
        "code": "AWS_CODE_BUCKET",
        "public_data": "AWS_PUBLIC_DATA_BUCKET",
        "private_data": "AWS_PRIVATE_DATA_BUCKET",
        "log": "AWS_LOG_BUCKET",
        "spark_emr": "AWS_SPARK_EMR_BUCKET",
    }

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Buckets:
        """Bucket names from ``AWS_*_BUCKET``; an unset or empty variable keeps the default."""
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(**{attr: env.get(var) or getattr(defaults, attr) for attr, var in cls.ENV_VARS.items()})

    def names(self) -> tuple[str, ...]:
        return tuple(getattr(self, attr) for attr in self.ENV_VARS)


def region_from_env(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


@dataclass(frozen=True)
class Timings:
    """Seconds each phase lasts; the defaults are the speed-1 values."""

    starting: float = 3.0  # STARTING -> BOOTSTRAPPING
    bootstrapping: float = 5.0  # BOOTSTRAPPING -> RUNNING/WAITING, so ready ~8 s after creation
    step: float = 3.0  # one step RUNNING -> COMPLETED
    terminating: float = 3.0  # TERMINATING -> TERMINATED
    # One hour of EMR time on the compressed clock: idle timeouts (AutoTerminationPolicy)
    # and normalized instance hours count in these.
    hour: float = 60.0

    def scaled(self, speed: float) -> Timings:
        """These timings multiplied by ``speed`` (> 0; 0.1 is ten times faster)."""
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        return Timings(*(getattr(self, f.name) * speed for f in fields(self)))
