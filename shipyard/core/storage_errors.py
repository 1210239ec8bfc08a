"""Failures of object storage (S3, GCS, … through fsspec) as one clear Shipyard error.

The client libraries under fsspec raise their own exceptions: a refused credential arrives as
``PermissionError``, a server that is down as ``botocore.exceptions.EndpointConnectionError``
(after the client's retries), a missing bucket as ``FileNotFoundError``. Code that touches
storage wraps the calls in :func:`storage_errors`, so a user meets one
:class:`~shipyard.core.errors.StorageUnavailableError` naming the URL and what to check, not a
traceback from a library several layers down.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from shipyard.core.errors import ShipyardError, StorageUnavailableError

_CLIENT_LIBRARIES = frozenset(
    {"botocore", "aiobotocore", "boto3", "aiohttp", "s3fs", "gcsfs", "google", "adlfs", "azure"}
)

_HINT = (
    "Check the endpoint (AWS_ENDPOINT_URL for an S3-compatible server), the credentials "
    "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) and that the bucket exists."
)


def is_storage_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is a storage client's failure (an ``OSError`` or a client library's)."""
    if isinstance(exc, OSError):
        return True
    return any(kind.__module__.partition(".")[0] in _CLIENT_LIBRARIES for kind in type(exc).__mro__)


def storage_unavailable(url: str, exc: BaseException) -> StorageUnavailableError:
    """The error to raise for ``exc``, met while using the storage at ``url``."""
    reason = str(exc).strip() or type(exc).__name__
    if isinstance(exc, PermissionError):
        message = f"The storage at {url} refused access: {reason}."
    elif isinstance(exc, FileNotFoundError):
        message = f"{url} does not exist: {reason}."
    else:
        message = f"Cannot use the storage at {url}: {reason}."
    return StorageUnavailableError(message.replace("..", "."), hint=_HINT)


@contextmanager
def storage_errors(url: str) -> Iterator[None]:
    """Turn a storage client's failure inside the block into a ``StorageUnavailableError``
    naming ``url``. Shipyard's own errors pass through unchanged; so does anything else."""
    try:
        yield
    except ShipyardError:
        raise
    except Exception as exc:
        if not is_storage_failure(exc):
            raise
        raise storage_unavailable(url, exc) from None
