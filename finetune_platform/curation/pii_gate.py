"""The blocking "no PII left" gates' scan (``curated_records__no_pii``, ``training_set__no_pii``): what is
left and where, never the value itself.

Prose (text, response, prompts, turns) is read with :func:`~finetune_platform.curation.pii.scan_for_pii`;
names (labels, record and example ids, source files) with
:func:`~finetune_platform.curation.pii.find_in_name`, which also reads underscores as spaces, since
``normalise_label`` turns "login +44 7911 123456" into "login_+44_7911_123456". Each hit keeps the row's id
(redacted: an id is built from a file's name, which can hold PII itself), the field, the type and the
masked value (``j***m (20 chars)``), so the row can be found and fixed without the report repeating the PII.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from finetune_platform.curation.pii import PiiRedactor, _mask, find_in_name, redact_name, scan_for_pii

#: Fields that hold an id built from a source file's path (``source/relative/path#row``).
ID_FIELDS: frozenset[str] = frozenset({"record_id", "example_id", "source_file"})


@dataclass(frozen=True)
class GateHit:
    """One PII hit of a gate: the row's id (redacted), the field, the PII type and the masked value."""

    id: str
    field: str
    type: str
    masked: str
    where: str = ""  # the part of the data, e.g. a training split


@dataclass
class PiiGateScan:
    """The hits of one gate, collected field by field (:meth:`texts`, :meth:`names`)."""

    redactor: PiiRedactor = field(default_factory=PiiRedactor)
    hits: list[GateHit] = field(default_factory=list)
    texts_scanned: int = 0
    names_scanned: int = 0
    _shown_ids: dict[str, str] = field(default_factory=dict)

    def _shown(self, row_id: str) -> str:
        shown = self._shown_ids.get(row_id)
        if shown is None:
            shown = self._shown_ids[row_id] = redact_name(row_id, self.redactor)
        return shown

    def texts(
        self, texts: Sequence[str], ids: Sequence[str], column: str | Sequence[str], where: str = ""
    ) -> list[GateHit]:
        """Scan prose ``texts`` (``ids[i]`` is the id of the row ``texts[i]`` comes from; ``column`` names the
        field, or is one name per text); the new hits."""
        found = scan_for_pii(texts, self.redactor)
        new = [
            GateHit(
                self._shown(str(ids[h.index])), column if isinstance(column, str) else column[h.index], h.type,
                h.masked, where,
            )
            for h in found
        ]
        self.texts_scanned += len(texts)
        self.hits += new
        return new

    def names(self, values: Sequence[object], ids: Sequence[str], column: str, where: str = "") -> list[GateHit]:
        """Scan names (labels, ids, file paths) with underscores also read as spaces; each distinct value once."""
        seen: dict[str, list[tuple[str, str]]] = {}
        new = []
        for raw, row_id in zip(values, ids, strict=True):
            value = "" if raw is None or (isinstance(raw, float) and raw != raw) else str(raw)
            found = seen.get(value)
            if found is None:
                found = seen[value] = [(m.type, _mask(m.value)) for m in find_in_name(self.redactor, value)]
            new += [GateHit(self._shown(str(row_id)), column, kind, masked, where) for kind, masked in found]
        self.names_scanned += len(values)
        self.hits += new
        return new

    def frame(
        self, df: pd.DataFrame, id_column: str, texts: Sequence[str], names: Sequence[str], where: str = ""
    ) -> None:
        """Scan the ``texts`` and ``names`` columns of ``df`` (those it has), rows named by ``id_column``."""
        ids = df[id_column].astype(str).tolist()
        for column in texts:
            if column in df.columns:
                self.texts(df[column].fillna("").astype(str).tolist(), ids, column, where)
        for column in names:
            if column in df.columns:
                self.names(df[column].tolist(), ids, column, where)

    def conversations(self, df: pd.DataFrame, skip_opener: bool, where: str = "") -> list[GateHit]:
        """Scan every turn with text content of each conversation's ``messages`` (JSON text or a list), as
        ``messages[k]`` of its ``example_id``; ``skip_opener`` leaves out each conversation's first turn (the
        shared system prompt, reported apart). The new hits."""
        texts: list[str] = []
        ids: list[str] = []
        columns: list[str] = []
        for row_id, messages in zip(df["example_id"].astype(str), df["messages"], strict=True):
            value = json.loads(messages) if isinstance(messages, str) and messages.strip() else messages
            turns = [t for t in value if isinstance(t, dict) and isinstance(t.get("content"), str)] if isinstance(
                value, (list, tuple)
            ) else []
            for k, turn in enumerate(turns):
                if not (k == 0 and skip_opener):
                    texts.append(turn["content"])
                    ids.append(row_id)
                    columns.append(f"messages[{k}]")
        return self.texts(texts, ids, columns, where)

    # --- the report -----------------------------------------------------------------------------------------
    def by_type(self) -> dict[str, int]:
        return dict(sorted(Counter(h.type for h in self.hits).items()))

    def by_field(self) -> dict[str, int]:
        return dict(sorted(Counter(h.field for h in self.hits).items()))

    def first(self, n: int = 20) -> list[dict[str, str]]:
        """The first ``n`` hits as rows ``{id, field, type, masked}`` (the id redacted, the value masked)."""
        return [
            {**({"where": h.where} if h.where else {}), "id": h.id, "field": h.field, "type": h.type, "masked": h.masked}
            for h in self.hits[:n]
        ]

    def description(self, what: str, n: int = 5) -> str:
        """One paragraph for the check's description: how many hits, where the first are and what to do."""
        if not self.hits:
            return f"no PII detected in {what}"
        where = "; ".join(
            f"{h.type} in {h.field} of '{h.id}'{f' ({h.where})' if h.where else ''}: {h.masked}" for h in self.hits[:n]
        )
        more = f" and {len(self.hits) - n} more" if len(self.hits) > n else ""
        text = (
            f"{len(self.hits)} PII hits left in {what}: {where}{more} (metadata first_hits lists up to 20). "
            "Placeholders such as <EMAIL_1> replace the PII in the ids shown; values are masked."
        )
        in_ids = sorted({(h.field, h.type) for h in self.hits if h.field in ID_FIELDS})
        if in_ids:
            text += (
                " PII in an id comes from the source file's name ("
                + ", ".join(f"{kind} in {name}" for name, kind in in_ids)
                + "): rename the file so that its name holds no personal data and ingest it again."
            )
        if any(h.field == "label" for h in self.hits):
            text += " A label holds PII: fix the label in the source rows (curation drops such records)."
        return text

    def metadata(self, n: int = 20) -> dict[str, object]:
        """Counts, and the first ``n`` hits, as plain values for the check's metadata."""
        return {
            "hits": len(self.hits),
            "hits_by_type": self.by_type(),
            "hits_by_field": self.by_field(),
            "names_scanned": self.names_scanned,
            "first_hits": self.first(n),
        }
