"""Metadata helpers shared by the asset modules: previews (PII redacted), tables, plots."""


from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

PREVIEW_CHARS = 160


def _short(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


#: Columns that hold ids built from a source file's name (or the name itself): shown with any PII in the name
#: redacted in every preview, since a file named "export jane@example.com.csv" puts the address in each id.
ID_COLUMNS = frozenset({"record_id", "example_id", "source_file", "doc_id", "review_id"})


def preview(df: pd.DataFrame, columns: list[str], n: int = 5, redact: bool = False) -> dg.MetadataValue:
    """A Markdown preview of the first rows; ``redact`` runs the PII redactor over text cells first. Id
    columns (:data:`ID_COLUMNS`) are always shown with PII in them redacted."""
    head = df.loc[:, [c for c in columns if c in df.columns]].head(n).copy()
    if len(head):
        from finetune_platform.curation.pii import PiiRedactor, redact_name

        redactor = PiiRedactor()
        for col in head.columns:
            if col in ID_COLUMNS:
                head[col] = [redact_name(str(v), redactor) for v in head[col]]
            elif redact and head[col].dtype == object:
                head[col] = [redactor.redact(str(v), {})[0] for v in head[col]]
    head = head.map(_short) if len(head) else head
    return dg.MetadataValue.md(head.to_markdown(index=False) if len(head) else "_(no rows)_")


def counts_table(counts: dict[str, Any], key: str = "reason", value: str = "rows") -> dg.MetadataValue:
    """A two-column Markdown table from a mapping (e.g. rows per drop reason)."""
    if not counts:
        return dg.MetadataValue.md("_(none)_")
    frame = pd.DataFrame(sorted(counts.items(), key=lambda kv: str(kv[0])), columns=[key, value])
    return dg.MetadataValue.md(frame.to_markdown(index=False))


def image(path: Path) -> dg.MetadataValue:
    """A PNG embedded in the metadata (the UI renders Markdown images from data URIs)."""
    import base64

    data = base64.b64encode(Path(path).read_bytes()).decode()
    return dg.MetadataValue.md(f"![{Path(path).stem}](data:image/png;base64,{data})")
