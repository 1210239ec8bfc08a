"""What changed between two dataset versions: schema, row count, and each column's
distribution (drift statistics from the two stored profiles)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shipyard._store.records import DatasetVersionRecord
from shipyard.data.drift import DriftReport, Thresholds, compare
from shipyard.data.schema import DatasetSchema


@dataclass(frozen=True)
class SchemaChange:
    column: str
    change: str  # added, removed, dtype, nullable, categories
    before: Any
    after: Any

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "change": self.change, "before": self.before,
                "after": self.after}  # fmt: skip

    def describe(self) -> str:
        if self.change == "added":
            return f"added ({self.after})"
        if self.change == "removed":
            return f"removed (was {self.before})"
        if self.change == "categories":
            gone, new = self.before, self.after
            parts = [f"new levels {new}" if new else "", f"levels gone {gone}" if gone else ""]
            return "categories: " + "; ".join(p for p in parts if p)
        return f"{self.change}: {self.before} -> {self.after}"


@dataclass(frozen=True)
class DatasetDiff:
    before: str
    after: str
    rows_before: int
    rows_after: int
    same_content: bool
    schema_changes: tuple[SchemaChange, ...]
    drift: DriftReport | None  # None when a profile is missing

    def to_dict(self) -> dict[str, Any]:
        return {
            "before": self.before,
            "after": self.after,
            "rows": {"before": self.rows_before, "after": self.rows_after,
                     "change": self.rows_after - self.rows_before},
            "same_content": self.same_content,
            "schema_changes": [c.to_dict() for c in self.schema_changes],
            "drift": None if self.drift is None else self.drift.to_dict(),
        }  # fmt: skip


def diff_versions(
    before: DatasetVersionRecord,
    after: DatasetVersionRecord,
    *,
    thresholds: Thresholds | None = None,
) -> DatasetDiff:
    old, new = DatasetSchema.from_dict(before.schema), DatasetSchema.from_dict(after.schema)
    changes = schema_changes(old, new)
    drift = None
    if before.profile and after.profile:
        common = [n for n in old.names if n in new.names]
        drift = compare(
            before.profile, after.profile, thresholds=thresholds, columns=common,
            reference_name=before.ref, current_name=after.ref,
        )  # fmt: skip
    return DatasetDiff(
        before.ref, after.ref, before.row_count, after.row_count,
        before.content_hash == after.content_hash, tuple(changes), drift,
    )  # fmt: skip


def schema_changes(old: DatasetSchema, new: DatasetSchema) -> list[SchemaChange]:
    changes = [SchemaChange(c.name, "removed", c.dtype, None)
               for c in old.columns if c.name not in new.names]  # fmt: skip
    changes += [SchemaChange(c.name, "added", None, c.dtype)
                for c in new.columns if c.name not in old.names]  # fmt: skip
    for column in old.columns:
        if column.name not in new.names:
            continue
        other = new.column(column.name)
        if column.dtype != other.dtype or column.type != other.type:
            changes.append(SchemaChange(column.name, "dtype", column.type, other.type))
        if column.nullable != other.nullable:
            changes.append(SchemaChange(column.name, "nullable", column.nullable, other.nullable))
        if column.categories is not None and other.categories is not None:
            gone = [v for v in column.categories if v not in other.categories]
            added = [v for v in other.categories if v not in column.categories]
            if gone or added:
                changes.append(SchemaChange(column.name, "categories", gone, added))
    return changes
