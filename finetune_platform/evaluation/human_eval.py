"""Blinded side-by-side human evaluation: candidate model versus champion, judged by domain experts.

The flow (the Dagster layer wires each step as an asset; nothing here imports dagster):

1. :func:`build_human_eval_sheet` pairs each prompt's candidate and champion outputs, shuffles the items
   and puts the candidate on side A or B at random (exactly half on each side, so a rater who always
   picks A favours neither model). Raters see ``SHEET_COLUMNS`` only; which side is which lives in a
   separate key (``KEY_COLUMNS``) that is never handed out.
2. :func:`export_human_eval_csv` (a spreadsheet per rater) or :func:`export_human_eval_label_studio` plus
   :func:`human_eval_label_studio_config` (a Label Studio project) hand the sheet to raters. Raters give a
   preference (``a``, ``b`` or ``tie``) and, optionally, a 1-5 score per answer.
3. :func:`import_human_ratings` reads the filled sheets back from several raters and unblinds them with
   the key. Every bad row is collected and raised together (:class:`HumanEvalImportError`), each naming
   file, row and problem; nothing is imported until all are fixed.
4. :func:`aggregate_human_eval` gives the candidate's win rate with a confidence interval, ties, per-rater
   counts (with each rater's side-A share, a position-bias check) and inter-rater agreement
   (Krippendorff's alpha from :mod:`finetune_platform.curation.agreement`).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, NamedTuple
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd

from finetune_platform.curation.agreement import agreement_report
from finetune_platform.evaluation.slices import wilson_interval
from finetune_platform.formats.instructions import ticket_from_prompt
from finetune_platform.sheets import (
    RowError,
    RowsImportError,
    SheetReader,
    label_studio_annotator,
    person_of_file,
    spreadsheet_safe,
)

#: What raters see: one row per item, in the order they should rate them.
SHEET_COLUMNS: list[str] = ["item_id", "prompt", "output_a", "output_b"]
#: The unblinding key: candidate_side is "a" or "b"; identical: both models gave the same text.
KEY_COLUMNS: list[str] = ["item_id", "example_id", "candidate_side", "identical"]
#: The columns a rater fills in the exported spreadsheet.
RATER_COLUMNS: list[str] = ["preference", "score_a", "score_b", "rater", "comment"]
HUMAN_EVAL_CSV_COLUMNS: list[str] = SHEET_COLUMNS + RATER_COLUMNS
#: ``import_human_ratings``: one row per rater and item, unblinded. preference: what the rater chose
#: ("a", "b", "tie"); winner: "candidate", "champion" or "tie"; scores: 1-5 or NaN; origin: ``file:row``.
RATING_COLUMNS: list[str] = [
    "item_id",
    "example_id",
    "rater",
    "preference",
    "winner",
    "score_candidate",
    "score_champion",
    "comment",
    "origin",
]
PREFERENCES: tuple[str, ...] = ("a", "b", "tie")
WINNERS: tuple[str, ...] = ("candidate", "champion", "tie")

#: Spellings a rater (or Label Studio) may use for a preference.
_PREFERENCE_ALIASES: dict[str, str] = {
    "a": "a", "answer a": "a", "a is better": "a", "left": "a",
    "b": "b", "answer b": "b", "b is better": "b", "right": "b",
    "tie": "tie", "equal": "tie", "same": "tie", "both equal": "tie",
}


class BlindedSheet(NamedTuple):
    """The sheet raters see and the key that unblinds it (keep the key away from the raters)."""

    sheet: pd.DataFrame
    key: pd.DataFrame


def build_human_eval_sheet(
    prompts_df: pd.DataFrame,
    candidate_outputs: Sequence[str],
    champion_outputs: Sequence[str],
    seed: int = 0,
    *,
    strip_template: bool = True,
) -> BlindedSheet:
    """Pair each prompt's two outputs, blind the sides and shuffle the items.

    Args:
        prompts_df: the prompts, with a ``prompt`` column and ideally ``example_id`` (else the row
            position is the id); ``candidate_outputs[i]`` and ``champion_outputs[i]`` answer row ``i``.
        seed: fixes the item order and the sides, so the same inputs give the same sheet.
        strip_template: show raters the ticket text inside the prompt template rather than the markers.

    Returns ``(sheet, key)``: ``SHEET_COLUMNS`` with item ids ``he-0001``... in the shuffled order, and
    ``KEY_COLUMNS``. Exactly ``ceil(n/2)`` or ``floor(n/2)`` items have the candidate on side A.
    """
    if "prompt" not in prompts_df.columns:
        raise ValueError(f"build_human_eval_sheet: prompts_df has no 'prompt' column; columns: {list(prompts_df.columns)}")
    n = len(prompts_df)
    if n == 0:
        raise ValueError("build_human_eval_sheet: no prompts; pass at least one")
    for name, outputs in (("candidate_outputs", candidate_outputs), ("champion_outputs", champion_outputs)):
        if len(outputs) != n:
            raise ValueError(f"build_human_eval_sheet: {len(outputs)} {name} for {n} prompts; pass one output per prompt")
    ids = prompts_df["example_id"].astype(str).tolist() if "example_id" in prompts_df.columns else [str(i) for i in range(n)]
    if len(set(ids)) != n:
        raise ValueError("build_human_eval_sheet: example_id values repeat; each prompt must appear once")
    prompts = [ticket_from_prompt(str(p)) if strip_template else str(p) for p in prompts_df["prompt"]]
    candidate = [str(o) for o in candidate_outputs]
    champion = [str(o) for o in champion_outputs]

    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    sides = rng.permutation(["a"] * ((n + 1) // 2) + ["b"] * (n // 2))
    sheet_rows, key_rows = [], []
    for position, (row, side) in enumerate(zip(order, sides, strict=True), start=1):
        item_id = f"he-{position:04d}"
        a, b = (candidate[row], champion[row]) if side == "a" else (champion[row], candidate[row])
        sheet_rows.append({"item_id": item_id, "prompt": prompts[row], "output_a": a, "output_b": b})
        key_rows.append({
            "item_id": item_id,
            "example_id": ids[row],
            "candidate_side": str(side),
            "identical": candidate[row].strip() == champion[row].strip(),
        })
    return BlindedSheet(pd.DataFrame(sheet_rows, columns=SHEET_COLUMNS), pd.DataFrame(key_rows, columns=KEY_COLUMNS))


def sheet_id(blinded: BlindedSheet, prefix: str = "") -> str:
    """The folder name of a sheet: ``prefix`` (e.g. the training run's id) and a hash of what raters see and
    of the key that unblinds it. A sheet whose answers or sides change (a new candidate from the same
    training run, a new champion to compare with) gets a new folder, so ratings of one comparison are
    never read against another's key."""
    import hashlib

    digest = hashlib.sha256()
    digest.update(blinded.sheet.to_csv(index=False).encode("utf-8"))
    digest.update(blinded.key.to_csv(index=False).encode("utf-8"))
    return f"{prefix}-{digest.hexdigest()[:10]}" if prefix else digest.hexdigest()[:10]


def _check_sheet(sheet: pd.DataFrame, where: str) -> None:
    missing = [c for c in SHEET_COLUMNS if c not in sheet.columns]
    if missing:
        raise ValueError(f"{where}: the sheet lacks columns {missing}; build it with build_human_eval_sheet")
    leaked = [c for c in ("candidate_side", "example_id") if c in sheet.columns]
    if leaked:
        raise ValueError(f"{where}: the sheet holds {leaked}, which would unblind raters; export sheet, not key")


def export_human_eval_csv(sheet: pd.DataFrame, path: str | Path) -> Path:
    """Write the sheet as a rating spreadsheet (``HUMAN_EVAL_CSV_COLUMNS``, UTF-8 with BOM for Excel).

    The rater columns are empty. Every text cell goes through ``sheets.spreadsheet_safe`` so a
    model output starting with ``=`` or ``@`` is never run as a formula.
    """
    _check_sheet(sheet, "export_human_eval_csv")
    out = sheet[SHEET_COLUMNS].astype(str)
    for column in RATER_COLUMNS:
        out[column] = ""
    for column in SHEET_COLUMNS:
        out[column] = [spreadsheet_safe(v) for v in out[column]]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    return path


def export_human_eval_label_studio(sheet: pd.DataFrame, path: str | Path) -> Path:
    """Write the sheet as Label Studio tasks (a JSON list of ``{"data": {item_id, prompt, output_a,
    output_b}}``); the labeling view is :func:`human_eval_label_studio_config`."""
    _check_sheet(sheet, "export_human_eval_label_studio")
    tasks = [{"data": row} for row in sheet[SHEET_COLUMNS].astype(str).to_dict(orient="records")]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tasks, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def human_eval_label_studio_config(with_scores: bool = True, question: str = "Which answer is better for this ticket?") -> str:
    """The Label Studio labeling config: the ticket, answers A and B side by side, a required A/B/tie
    choice (control ``preference``), optional 1-5 star scores (``score_a``, ``score_b``) and a comment.

    A ``Choices`` control rather than Label Studio's ``Pairwise`` tag, because ``Pairwise`` cannot record a
    tie; :func:`import_human_ratings` reads a ``Pairwise`` result (left/right) too.
    """
    scores = (
        '  <Header value="Optional: score each answer (1 = useless, 5 = perfect)"/>\n'
        '  <Rating name="score_a" toName="output_a" maxRating="5"/>\n'
        '  <Rating name="score_b" toName="output_b" maxRating="5"/>\n'
        if with_scores
        else ""
    )
    return (
        "<View>\n"
        '  <Header value="Item $item_id"/>\n'
        '  <Text name="prompt" value="$prompt"/>\n'
        '  <View style="display: grid; grid-template-columns: 1fr 1fr; column-gap: 1em">\n'
        '    <View><Header value="Answer A"/><Text name="output_a" value="$output_a"/></View>\n'
        '    <View><Header value="Answer B"/><Text name="output_b" value="$output_b"/></View>\n'
        "  </View>\n"
        f"  <Header value={quoteattr(question)}/>\n"
        '  <Choices name="preference" toName="prompt" choice="single" required="true" showInline="true">\n'
        '    <Choice value="A is better" alias="a"/>\n'
        '    <Choice value="B is better" alias="b"/>\n'
        '    <Choice value="Tie" alias="tie"/>\n'
        "  </Choices>\n"
        f"{scores}"
        '  <TextArea name="comment" toName="prompt" rows="2" placeholder="Why (optional)"/>\n'
        "</View>\n"
    )


# --- import ----------------------------------------------------------------------------------------------


#: One unreadable rating: the file, where in it, and what is wrong (the same record as a review's).
RatingRowError = RowError


class HumanEvalImportError(RowsImportError):
    """Raised by :func:`import_human_ratings` with every bad rating."""

    what = "rating row"


@dataclass
class _Reader(SheetReader):
    """Ratings from filled sheets and Label Studio exports, unblinded with the key as they are read."""

    id_column: ClassVar[str] = "item_id"
    required_columns: ClassVar[tuple[str, ...]] = ("item_id", "preference")
    csv_hint: ClassVar[str] = "use the sheet from export_human_eval_csv."
    item: ClassVar[str] = "item"
    person: ClassVar[str] = "rater"
    answer: ClassVar[str] = "rating"
    answered: ClassVar[str] = "rated"

    key: dict[str, dict[str, Any]] = field(default_factory=dict)
    rater_from_filename: bool = False

    def _score(self, raw: Any, name: str, problems: list[str]) -> float:
        if raw is None or str(raw).strip() == "":
            return math.nan
        try:
            value = float(str(raw).strip())
        except ValueError:
            problems.append(f"{name} '{raw}' is not a number; write a whole number from 1 to 5 or leave it empty.")
            return math.nan
        if value not in (1, 2, 3, 4, 5):
            problems.append(f"{name} {raw} is outside 1-5; write a whole number from 1 to 5 or leave it empty.")
            return math.nan
        return value

    def add(self, file: str, where: str, item_id: str, rater: str, preference: str, score_a: Any, score_b: Any, comment: str) -> None:
        problems: list[str] = []
        item_id, rater, comment = item_id.strip(), self.person_name(rater), comment.strip()
        entry = self.key.get(item_id)
        if not item_id:
            problems.append("item_id is empty; keep the item_id column as exported.")
        elif entry is None:
            problems.append(f"item_id '{item_id}' is not in the key; is this sheet from another human-eval batch?")
        pref = _PREFERENCE_ALIASES.get(preference.strip().casefold())
        if pref is None:
            problems.append(f"preference '{preference.strip()}' is not one of a, b, tie; write a, b or tie.")
        if not rater:
            problems.append(
                "rater is empty; fill the rater column (or name each file after its rater and import with "
                "rater_from_filename=True; Label Studio: the annotation needs completed_by)."
            )
        a = self._score(score_a, "score_a", problems)
        b = self._score(score_b, "score_b", problems)
        if problems or entry is None or pref is None:
            self.errors.extend(RatingRowError(file, where, p) for p in problems)
            return
        candidate_side = entry["candidate_side"]
        winner = "tie" if pref == "tie" else ("candidate" if pref == candidate_side else "champion")
        score_candidate, score_champion = (a, b) if candidate_side == "a" else (b, a)
        self.keep(file, where, item_id, rater, {
            "item_id": item_id,
            "example_id": entry["example_id"],
            "rater": rater,
            "preference": pref,
            "winner": winner,
            "score_candidate": score_candidate,
            "score_champion": score_champion,
            "comment": comment,
        })

    def csv_row(self, file: str, where: str, cell: Callable[[str], str], stem: str) -> None:
        preference = cell("preference")
        if not preference:
            if cell("score_a") or cell("score_b") or cell("comment"):
                self.error(file, where, "preference is empty but a score or comment is filled; write a, b or tie.")
            else:
                self.stats["blank_rows_skipped"] += 1
            return
        rater = cell("rater") or (person_of_file(stem) if self.rater_from_filename else "")
        self.add(file, where, cell("item_id"), rater, preference, cell("score_a"), cell("score_b"), cell("comment"))

    def annotation(
        self, file: str, where: str, item_id: str, annotation: dict[str, Any], data: dict[str, Any]
    ) -> None:
        values = _read_ls_result(annotation.get("result") or [])
        self.add(file, where, item_id, label_studio_annotator(annotation.get("completed_by")),
                 values["preference"], values["score_a"], values["score_b"], values["comment"])


def _read_ls_result(result: list[dict[str, Any]]) -> dict[str, Any]:
    """preference, score_a, score_b, comment from one annotation's result list (read by control name;
    a ``pairwise`` region's ``selected`` left/right is a preference too)."""
    out: dict[str, Any] = {"preference": "", "score_a": "", "score_b": "", "comment": ""}
    for region in result:
        value = region.get("value") or {}
        name = region.get("from_name")
        if region.get("type") == "pairwise" or "selected" in value:
            out["preference"] = str(value.get("selected", ""))
        elif name == "preference":
            out["preference"] = " ".join(str(v) for v in value.get("choices") or [])
        elif name in ("score_a", "score_b"):
            out[name] = value.get("rating", "")
        elif name == "comment":
            text = value.get("text") or []
            out["comment"] = " ".join(str(v) for v in text) if isinstance(text, list) else str(text)
    return out


def import_human_ratings(
    paths: Sequence[str | Path], key: pd.DataFrame, *, rater_from_filename: bool = False
) -> pd.DataFrame:
    """Read several raters' filled sheets (CSV or Label Studio JSON exports) and unblind them with ``key``.

    CSV files need ``item_id`` and ``preference`` (a, b or tie; "A is better", "left"/"right" are read
    too), optionally ``score_a``/``score_b`` (1-5) and ``comment``; the rater is the ``rater`` cell, or the
    file name (``alice.csv`` -> ``alice``) when that cell is empty and ``rater_from_filename`` is True.
    Rows with no preference, score or comment are items not rated yet: skipped and counted. Label Studio
    exports are read by control name (see :func:`human_eval_label_studio_config`).

    Every bad row (unknown item, bad preference or score, missing rater, a second rating of one item by
    one rater, a score without a preference) is collected; if there is any, :class:`HumanEvalImportError`
    lists them all with file and row. Returns ``RATING_COLUMNS``; counts per file and of skipped rows are
    in ``result.attrs["import_stats"]``.
    """
    missing = [c for c in ("item_id", "example_id", "candidate_side") if c not in key.columns]
    if missing:
        raise ValueError(f"import_human_ratings: the key lacks columns {missing}; pass the key build_human_eval_sheet returned")
    bad_sides = sorted(set(key["candidate_side"].astype(str)) - {"a", "b"})
    if bad_sides:
        raise ValueError(f"import_human_ratings: the key's candidate_side holds {bad_sides}; it must be 'a' or 'b'")
    lookup = {
        str(r["item_id"]): {"example_id": str(r["example_id"]), "candidate_side": str(r["candidate_side"])}
        for r in key.to_dict(orient="records")
    }
    reader = _Reader(key=lookup, rater_from_filename=rater_from_filename)
    reader.read(paths, "rating file", "import_human_ratings")
    if reader.errors:
        raise HumanEvalImportError(reader.errors)
    ratings = pd.DataFrame(reader.rows, columns=RATING_COLUMNS)
    ratings.attrs["import_stats"] = {**reader.stats, "ratings": len(ratings)}
    return ratings


# --- aggregate -------------------------------------------------------------------------------------------


@dataclass
class HumanEvalSummary:
    """How raters judged the candidate against the champion.

    win_rate: (candidate wins + ties / 2) / ratings, with a bootstrap interval that resamples *items*
    (ratings of one item by several raters are not independent); decisive_win_rate: wins / (wins +
    losses), ties left out, with a Wilson interval; a_side_rate: share of decisive ratings that chose side
    A (0.5 = no position bias; sides are balanced, so a far-off value means raters favour a position);
    per_rater: one row per rater; agreement: ``AgreementReport.to_dict()`` over the winner categories, or
    None with fewer than two raters; verdict: "candidate preferred" / "champion preferred" when the win
    rate's interval lies above / below 0.5, else "no clear preference".
    """

    n_items: int
    n_ratings: int
    n_raters: int
    candidate_wins: int
    champion_wins: int
    ties: int
    win_rate: float
    win_rate_ci: tuple[float, float]
    decisive_win_rate: float | None
    decisive_win_rate_ci: tuple[float, float] | None
    tie_rate: float
    a_side_rate: float | None
    mean_score_candidate: float | None
    mean_score_champion: float | None
    n_scored: int
    confidence: float
    verdict: str
    per_rater: pd.DataFrame
    agreement: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (per_rater as a list of rows)."""
        data = asdict(self)
        data["per_rater"] = self.per_rater.to_dict(orient="records")
        return data

    def markdown(self) -> str:
        """A short Markdown summary: the verdict, the numbers and the per-rater table."""
        level = f"{self.confidence:.0%}"
        lines = [
            f"**{self.verdict}**: candidate win rate {self.win_rate:.3f} ({level} CI {self.win_rate_ci[0]:.3f}-"
            f"{self.win_rate_ci[1]:.3f}; ties count half) over {self.n_ratings} ratings of {self.n_items} items by "
            f"{self.n_raters} raters: {self.candidate_wins} candidate wins, {self.champion_wins} champion wins, "
            f"{self.ties} ties.",
        ]
        if self.mean_score_candidate is not None and self.mean_score_champion is not None:
            lines.append(
                f"Mean score (1-5, {self.n_scored} scored ratings): candidate {self.mean_score_candidate:.2f}, "
                f"champion {self.mean_score_champion:.2f}."
            )
        if self.agreement is not None:
            value = self.agreement.get("value")
            shown = "undefined" if value is None else f"{value:.3f}"
            lines.append(f"Inter-rater agreement ({self.agreement['metric']}): {shown}. {self.agreement['reason']}")
        return "\n\n".join(lines) + "\n\n" + self.per_rater.to_markdown(index=False) + "\n"


_OUTCOME = {"candidate": 1.0, "tie": 0.5, "champion": 0.0}


def aggregate_human_eval(
    ratings: pd.DataFrame,
    *,
    confidence: float = 0.95,
    n_bootstrap: int = 2000,
    seed: int = 0,
    min_agreement: float = 0.4,
) -> HumanEvalSummary:
    """Win rate of the candidate, ties, per-rater counts and agreement, from ``import_human_ratings``.

    ``min_agreement`` is the Krippendorff's alpha the agreement report calls a pass (0.4: "moderate",
    a pairwise preference between two good answers is a harder call than accept/reject of a record).
    """
    missing = [c for c in ("item_id", "rater", "winner", "preference") if c not in ratings.columns]
    if missing:
        raise ValueError(f"aggregate_human_eval: ratings lack columns {missing}; pass what import_human_ratings returns")
    if ratings.empty:
        raise ValueError("aggregate_human_eval: no ratings; import the raters' sheets first")
    unknown = sorted(set(ratings["winner"]) - set(WINNERS))
    if unknown:
        raise ValueError(f"aggregate_human_eval: winner values {unknown} are not among {list(WINNERS)}")
    if not 0.5 < confidence < 1:
        raise ValueError(f"aggregate_human_eval: confidence must be in (0.5, 1), got {confidence}")

    outcome = ratings["winner"].map(_OUTCOME).astype(float)
    wins, losses = int((ratings["winner"] == "candidate").sum()), int((ratings["winner"] == "champion").sum())
    ties = int((ratings["winner"] == "tie").sum())
    n = len(ratings)

    per_item = pd.DataFrame({"item_id": ratings["item_id"], "outcome": outcome}).groupby("item_id")["outcome"].agg(["sum", "count"])
    sums, counts = per_item["sum"].to_numpy(), per_item["count"].to_numpy()
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(per_item), size=(n_bootstrap, len(per_item)))
    boot = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
    tail = (1 - confidence) / 2
    win_rate = float(outcome.mean())
    ci = (float(np.quantile(boot, tail)), float(np.quantile(boot, 1 - tail)))

    decisive = wins + losses
    decisive_rate = wins / decisive if decisive else None
    decisive_ci = wilson_interval(wins, decisive, confidence) if decisive else None
    decided = ratings[ratings["preference"] != "tie"]
    a_side_rate = float((decided["preference"] == "a").mean()) if len(decided) else None

    scored = ratings.dropna(subset=["score_candidate", "score_champion"]) if {"score_candidate", "score_champion"} <= set(ratings.columns) else ratings.iloc[0:0]

    per_rater_rows = []
    for rater, part in ratings.groupby("rater", sort=True):
        part_decided = part[part["preference"] != "tie"]
        per_rater_rows.append({
            "rater": str(rater),
            "n": len(part),
            "candidate_wins": int((part["winner"] == "candidate").sum()),
            "champion_wins": int((part["winner"] == "champion").sum()),
            "ties": int((part["winner"] == "tie").sum()),
            "win_rate": round(float(part["winner"].map(_OUTCOME).mean()), 4),
            "a_side_rate": round(float((part_decided["preference"] == "a").mean()), 4) if len(part_decided) else None,
        })
    per_rater = pd.DataFrame(per_rater_rows)

    agreement = None
    if ratings["rater"].nunique() >= 2:
        agreement = agreement_report(
            ratings, metric="krippendorff_alpha", min_agreement=min_agreement,
            item="item_id", rater="rater", value="winner", categories=WINNERS,
        ).to_dict()

    # The bootstrap over items has no width when every rating goes one way (one rating, two unanimous
    # items): it alone would call a preference on almost no evidence. The Wilson interval of the decisive
    # ratings must exclude one half too (1 of 1: 0.21-1.0; 5 of 5: 0.57-1.0).
    if ci[0] > 0.5 and decisive_ci is not None and decisive_ci[0] > 0.5:
        verdict = "candidate preferred"
    elif ci[1] < 0.5 and decisive_ci is not None and decisive_ci[1] < 0.5:
        verdict = "champion preferred"
    else:
        verdict = "no clear preference"
    return HumanEvalSummary(
        n_items=int(len(per_item)),
        n_ratings=n,
        n_raters=int(ratings["rater"].nunique()),
        candidate_wins=wins,
        champion_wins=losses,
        ties=ties,
        win_rate=win_rate,
        win_rate_ci=ci,
        decisive_win_rate=decisive_rate,
        decisive_win_rate_ci=decisive_ci,
        tie_rate=ties / n,
        a_side_rate=a_side_rate,
        mean_score_candidate=float(scored["score_candidate"].mean()) if len(scored) else None,
        mean_score_champion=float(scored["score_champion"].mean()) if len(scored) else None,
        n_scored=int(len(scored)),
        confidence=confidence,
        verdict=verdict,
        per_rater=per_rater,
        agreement=agreement,
    )
