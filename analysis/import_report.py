"""What an import says about one file: a leaf (it imports nothing of the package), so the
importer and its SQL (`analysis.import_sql`) both use it without importing each other."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FileReport:
    file: str
    type: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: int = 0
    warnings: int = 0
    encoding: str = ""
    sha256: str = ""
    ignored_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warning_messages: list[str] = field(default_factory=list)  # the first MAX_LISTED
    rejected_rows: list[dict[str, object]] = field(default_factory=list)
    sheet: str | None = None  # the workbook's sheet (every sheet is reported on its own)
    profile: str | None = None  # the mapping profile that read the file, if any

    def summary(self) -> dict[str, object]:
        keys = ("file", "type", "read", "inserted", "updated", "unchanged", "duplicates")
        out = {k: getattr(self, k) for k in keys}
        if self.sheet is not None:
            out["sheet"] = self.sheet
        if self.profile is not None:
            out["profile"] = self.profile
        out.update(rejected=self.rejected, warnings=self.warnings)
        return out
