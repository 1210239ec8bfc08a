"""The base of configuration objects users build in Python (``Expectations``, ``Column``,
``EvaluationSpec`` …): a bad value given to a constructor is a :class:`ConfigurationError`
naming the field, never pydantic's ``ValidationError`` (a ValueError).

Reading a document (``Model.model_validate``) still raises ``ValidationError``, which the
YAML readers turn into ``shipyard.yaml:LINE key: ...`` messages.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Self

from pydantic import BaseModel, ValidationError

from shipyard.core.errors import ConfigurationError

_validating: ContextVar[bool] = ContextVar("_validating", default=False)
"""True while pydantic validates (nested models are built through ``__init__`` too): only the
outermost constructor call turns a ValidationError into a ConfigurationError."""


class Declared(BaseModel):
    """A pydantic model whose constructor raises :class:`ConfigurationError`."""

    def __init__(self, /, **data: Any) -> None:
        if _validating.get():
            super().__init__(**data)
            return
        token = _validating.set(True)
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise ConfigurationError(
                f"Invalid {type(self).__name__}: {_problems(exc)}.",
                hint=f"See help({type(self).__name__}) for its fields and what each accepts.",
            ) from None
        finally:
            _validating.reset(token)

    @classmethod
    def model_validate(cls, obj: Any, **options: Any) -> Self:
        token = _validating.set(True)
        try:
            return super().model_validate(obj, **options)
        finally:
            _validating.reset(token)


def _problems(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in item['loc']) or 'value'}: "
        f"{item['msg'].removeprefix('Value error, ')}"
        for item in error.errors()[:10]
    )
