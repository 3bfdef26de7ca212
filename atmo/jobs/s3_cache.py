"""What the job page reads from S3, kept in the cache (Redis) until it can have changed.

* The results listing: its cache key names the job, its results bucket (which the
  job's visibility chooses) and the newest run as it stands (id and ``modified_at``).
  Outputs are written by a run before it ends, and the status sweep saves the run
  (a new ``modified_at``) when it ends: a run that ends, a new run and a change of
  visibility each make a new key, so the page lists S3 again at once.
* The signed links of private results: kept for :data:`SIGNED_LINKS_SECONDS` only,
  so that a link shown still works for most of its
  :data:`~atmo.jobs.provisioners.PRIVATE_LINK_SECONDS`.
  Signing is local but not free (~0.2 ms a link, and a daily job gathers
  hundreds of files), so the links are not signed again on every view.
* The notebook preview: its key names the notebook's S3 key and the job's
  ``modified_at``; a new notebook is uploaded by a form that then saves the job,
  so the new notebook has a new key.

Nothing that failed is kept: an AWS error reaches the caller and the next view asks
S3 again. The expiries also bound what ATMO cannot see coming: objects removed from
the buckets by hand or by a lifecycle rule.
"""

from __future__ import annotations

import hashlib
import inspect
import secrets
from collections.abc import Callable
from functools import cache as once
from typing import TYPE_CHECKING, TypeVar

from django.conf import settings
from django.core.cache import cache

from atmo import pagecache
from atmo.jobs.provisioners import (
    PRIVATE_LINK_SECONDS,
    SparkJobProvisioner,
    public_result_url,
    results_bucket,
)
from atmo.lib import notebooks
from atmo.lib.notebooks import Preview

if TYPE_CHECKING:
    from atmo.jobs.models import SparkJob

#: How long a results listing is kept: the bound on what ATMO does not see change (see above).
RESULTS_LISTING_SECONDS = 10 * 60
#: How long signed links are shown again. A page showing them may itself be answered from
#: the page cache for up to :data:`atmo.pagecache.LIFETIME`: a link shown works for at least
#: :data:`LINK_MINUTES_LEFT` more minutes (8 of its 10).
SIGNED_LINKS_SECONDS = 60
LINK_MINUTES_LEFT = (PRIVATE_LINK_SECONDS - SIGNED_LINKS_SECONDS - pagecache.LIFETIME) // 60
#: How long a preview is kept; a job nobody looks at leaves Redis after a day.
PREVIEW_SECONDS = 24 * 60 * 60

T = TypeVar("T")


def _cache_key(kind: str, *parts: object) -> str:
    # S3 keys may be long or hold characters a cache key should not: the parts are hashed.
    return f"atmo:jobs:{kind}:{hashlib.sha256(repr(parts).encode()).hexdigest()}"


def _cached(key: str, seconds: int, compute: Callable[[], T]) -> T:
    """The value kept under ``key``, else ``compute()``, kept for ``seconds``; what raises is not kept."""
    value: T | None = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value


def results_cache_key(spark_job: SparkJob) -> str:
    """Where the job's results listing is kept: it names everything the listing depends on."""
    run = spark_job.latest_run()
    return _cache_key(
        "results",
        spark_job.pk,
        spark_job.identifier,
        results_bucket(spark_job.is_public),
        run and run.pk,
        run and run.modified_at.isoformat(),
    )


def result_keys(
    spark_job: SparkJob, listing: str, provisioner: Callable[[], SparkJobProvisioner]
) -> dict[str, list[str]]:
    """The job's result keys by group, as :meth:`SparkJobProvisioner.results`; raises AWSError.

    ``listing`` is the job's :func:`results_cache_key`.
    """
    return _cached(
        listing,
        RESULTS_LISTING_SECONDS,
        lambda: dict(provisioner().results(spark_job.identifier, spark_job.is_public)),
    )


def result_urls(
    spark_job: SparkJob, listing: str, keys: list[str], provisioner: Callable[[], SparkJobProvisioner]
) -> dict[str, str]:
    """The link of each result key: a public URL, or a private one signed at most a little while ago."""
    if spark_job.is_public:
        return {key: public_result_url(key) for key in keys}
    links_key = f"{listing}:links"
    urls: dict[str, str] = cache.get(links_key) or {}
    if any(key not in urls for key in keys):
        # All signed again, so that every link kept has the same age.
        signer = provisioner()
        urls = {key: signer.result_url(key, is_public=False) for key in keys}
        cache.set(links_key, urls, SIGNED_LINKS_SECONDS)
    return urls


@once
def preview_format() -> str:
    """A digest of the code that builds previews: a cached preview is only read by the same code.

    Previews are kept pickled; a deploy that changes the dataclasses or the parser
    then reads none made by the previous code (nor does the previous code, still
    serving during a rolling deploy, read the new ones).
    """
    try:
        source = inspect.getsource(notebooks)
    except OSError:  # no source to read: keep this process's previews to itself
        return secrets.token_hex(8)
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def notebook_preview(
    spark_job: SparkJob, read: Callable[[], tuple[Preview | None, str]]
) -> tuple[Preview | None, str]:
    """The preview (or why the notebook cannot be shown) that ``read()`` makes; AWSError is not kept."""
    key = _cache_key(
        "preview",
        preview_format(),
        spark_job.pk,
        settings.AWS_CONFIG["CODE_BUCKET"],
        spark_job.notebook_s3_key,
        spark_job.modified_at.isoformat(),
        settings.ATMO_MAX_NOTEBOOK_BYTES,
    )
    return _cached(key, PREVIEW_SECONDS, read)
