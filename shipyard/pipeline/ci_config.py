"""The ``ci:`` section of ``shipyard.yaml``, read by ``shipyard ci`` (see :mod:`shipyard.ci`):
checked with the rest of the file, so a bad key or value names its line."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class CISpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    """``ci:``, read by ``shipyard ci``: the static checks to run, the package size limit and
    how many evaluation rows the integration stage scores over HTTP and in batch."""

    checks: list[str | list[str]] = Field(default_factory=list)
    max_package_mb: float = Field(default=1024.0, gt=0)
    parity_rows: int | Literal["all"] = Field(
        default=10_000,
        description="Evaluation rows scored three ways for training/serving parity: a "
        "covering sample of this many (every category value, extremes, missing values), or all.",
    )

    @field_validator("parity_rows")
    @classmethod
    def _positive(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 1:
            raise ValueError("parity_rows is a positive number of rows, or `all`")
        return value
