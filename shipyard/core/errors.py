"""The one error tree of Shipyard.

Every error a user can meet derives from :class:`ShipyardError`. Each class carries the exit
code the CLI uses and the HTTP status the server answers with, so both map errors in one place.

    ShipyardError                       exit 1, HTTP 500
    ├── UsageError                      exit 2, HTTP 400   bad arguments or options
    │   └── MalformedRequestError                          a body is not JSON, a header is bad
    ├── ConfigurationError              exit 1, HTTP 500   settings or shipyard.yaml are wrong
    │   └── ConfigurationKeyError                          one key of a document is wrong
    ├── StoreError                      exit 1, HTTP 503   the metadata store cannot be used
    │   ├── StoreUnreachableError                          cannot connect to the store URL
    │   ├── StoreMissingError                              a read found no store (none created)
    │   └── MigrationRequiredError                         the store schema is out of date
    ├── NotFoundError                   exit 1, HTTP 404   a run, model, version, alias … is unknown
    ├── ConflictError                   exit 1, HTTP 409   the operation clashes with current state
    │   ├── PolicyViolationError                           a version fails its alias's policy
    │   └── OutputInUseError                               a batch output folder is another job's
    ├── ArtifactError                   exit 1, HTTP 500   an artifact cannot be written or read
    │   ├── ArtifactMissingError                           a blob is gone from the artifact store
    │   ├── ArtifactIntegrityError                         a blob's content does not match its hash
    │   └── StorageUnavailableError        HTTP 503        object storage is down or refuses access
    ├── ModelError                      exit 1, HTTP 500   a model cannot be packaged or loaded
    │   ├── ModelPredictionError                           the model raised on valid input
    │   ├── OnnxConversionError                            an ONNX conversion changed predictions
    │   ├── ExplanationUnavailableError        HTTP 422    the model has no fast explainer
    │   ├── UnsafeModelError                   HTTP 403    loading it would execute untrusted code
    │   └── UnsupportedModelError              HTTP 400    no flavor knows this kind of model
    ├── InputValidationError            exit 1, HTTP 422   data does not match a model's signature
    ├── DataError                       exit 1, HTTP 422   data cannot be used (unreadable, empty,
    │   │                                                  mixed types, schema mismatch)
    │   └── DataValidationError                            data failed its expectations
    ├── BrokerError                     exit 1, HTTP 503   Kafka or Redis cannot be used
    ├── PipelineStepError               exit 1, HTTP 500   a pipeline step failed
    ├── BatchInputError                 exit 1, HTTP 400   a batch input cannot be read or scored
    ├── PredictionLogFullError                  HTTP 503   the prediction log takes no more rows
    ├── PredictionLogFailingError               HTTP 503   the log cannot write; predictions refused
    ├── ServerError                     exit 1, HTTP 502   a Shipyard server failed or was odd
    ├── UnauthorizedError                       HTTP 401   no valid bearer token
    ├── PayloadTooLargeError                    HTTP 413   the request body is too large
    ├── MethodNotAllowedError                   HTTP 405   the path takes another method
    ├── ExplainOffError                         HTTP 404   /explain is off for the deployment
    ├── ExplainRateLimitedError                 HTTP 429   too many /explain requests
    └── NotReadyError                           HTTP 503   the server is starting or stopping

Classes whose home is elsewhere (data/errors.py, serving/…) are drawn here too: this is the one
tree, and tests/core/test_errors.py checks that every subclass of ShipyardError is in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class ShipyardError(Exception):
    """Base of every Shipyard error: a message saying what went wrong, and a hint what to do."""

    exit_code: int = 1
    http_status: int = 500

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} Hint: {self.hint}"
        return self.message


class UsageError(ShipyardError):
    """The command or function was called wrongly (a malformed option, a bad reference)."""

    exit_code = 2
    http_status = 400


class ConfigurationError(ShipyardError):
    """Settings or ``shipyard.yaml`` hold a value Shipyard cannot use."""


class StoreError(ShipyardError):
    """The metadata store cannot be used."""

    http_status = 503


class StoreUnreachableError(StoreError):
    """Shipyard cannot connect to the metadata store at the configured URL."""


class StoreMissingError(StoreError):
    """A command that only reads was pointed at a store that does not exist; it is not
    created (``shipyard db upgrade`` or any command that writes creates it)."""


class MigrationRequiredError(StoreError):
    """The metadata store was created by an older Shipyard and needs ``shipyard db upgrade``."""


class NotFoundError(ShipyardError):
    """A run, model, version, alias or artifact that was asked for does not exist."""

    http_status = 404


class ConflictError(ShipyardError):
    """The operation clashes with the current state (a name taken, a run already ended)."""

    http_status = 409


class ArtifactError(ShipyardError):
    """An artifact cannot be written or read."""


class ArtifactMissingError(ArtifactError):
    """A blob the metadata refers to is missing from the artifact store."""


class StorageUnavailableError(ArtifactError):
    """Object storage (S3 and the like) cannot be reached, or refuses the credentials."""

    http_status = 503


class ArtifactIntegrityError(ArtifactError):
    """A blob's content does not match the SHA-256 it is stored under."""


class ModelError(ShipyardError):
    """A model cannot be packaged or loaded."""


class UnsafeModelError(ModelError):
    """Loading the model would run code the user has not marked as trusted."""

    exit_code = 1
    http_status = 403


class UnsupportedModelError(ModelError):
    """No flavor knows how to package this kind of model."""

    http_status = 400


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with one field of the input."""

    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}"


class InputValidationError(ShipyardError):
    """Input data does not match the model's signature; ``problems`` names each bad field."""

    http_status = 422

    def __init__(self, problems: Sequence[FieldProblem], *, hint: str | None = None) -> None:
        self.problems = list(problems)
        shown = "; ".join(str(p) for p in self.problems[:10])
        more = len(self.problems) - 10
        if more > 0:
            shown += f"; and {more} more"
        super().__init__(
            f"Input does not match the model signature: {shown}.",
            hint=hint or "Send every column the signature names, with the declared types.",
        )


class DataError(ShipyardError):
    """Data cannot be used: an unreadable file, an empty table, a column of mixed types, an
    unsupported dtype, or a schema that does not match."""

    http_status = 422


class PolicyViolationError(ConflictError):
    """A model version does not meet the promotion policy of the alias it would move to;
    ``reasons`` says each thing that is missing (a failed gate, no evaluation, no approval)."""

    def __init__(
        self, message: str, *, reasons: Sequence[str] = (), hint: str | None = None
    ) -> None:
        self.reasons = list(reasons)
        super().__init__(
            message,
            hint=hint
            or "Approve it with `shipyard approve NAME/VERSION --alias ALIAS`, or "
            'override the policy with --force --reason "..." (audited).',
        )


# --- evaluation -------------------------------------------------------------------------------


class ConfigurationKeyError(ConfigurationError):
    """One key of a configuration document holds a value Shipyard cannot use.

    ``key_path`` says where, e.g. ``("evaluation", "gates", 2, "metric")``, so a caller holding
    the YAML document can name the line; the message starts with the dotted key.
    """

    def __init__(
        self, message: str, *, key_path: Sequence[str | int], hint: str | None = None
    ) -> None:
        self.key_path = tuple(key_path)
        super().__init__(f"{self.key}: {message}", hint=hint)

    @property
    def key(self) -> str:
        """The key path written as in YAML terms: ``evaluation.gates[2].metric``."""
        text = ""
        for part in self.key_path:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        return text


# -- stream serving -------------------------------------------------------------------------


class BrokerError(ShipyardError):
    """A message broker (Kafka, Redis Streams) cannot be reached, or refused to take events."""

    http_status = 503


# --- pipeline ---------------------------------------------------------------------------------


class PipelineStepError(ShipyardError):
    """A step of a pipeline run failed (the training function raised, say); ``step`` names it
    and ``run_id`` is the step's run, which keeps the traceback."""

    def __init__(
        self, message: str, *, step: str, run_id: str | None = None, hint: str | None = None
    ) -> None:
        self.step = step
        self.run_id = run_id
        super().__init__(
            message,
            hint=hint
            or (f"The traceback is recorded on run {run_id}: `shipyard runs show {run_id}`."
                if run_id else None),
        )  # fmt: skip
