"""The model card: one Markdown page that says what a registered model is, what it was trained on, how
well it does and where it must not be trusted (after Mitchell et al., "Model Cards for Model Reporting",
2019, trimmed to what this platform knows).

:func:`render_model_card` takes one plain dict, so the Dagster layer can assemble it from the assets'
outputs without this module importing any of them. Keys (all optional to render; see
:data:`REQUIRED_SECTIONS` for what a complete card needs):

``model_name``, ``model_version``: str.
``base_model``: ``{"name", "licence" (or "license"), "source", "parameters", "description"}``.
``data``: ``{"versions": [{"name", "dvc_md5", "path"}] (or {name: md5}), "sources": [{"source", "records",
    ...}] (or {source: records}), "splits": {"train": n, ...}, "curation": {counter: n}}``.
``training``: flat dict of the training config and provenance (method, epochs, git_commit, mlflow_run_id...).
``evaluation``: ``{"models": {"base": {...}, "candidate": {...}, "champion": {...}}`` (numbers per model,
    e.g. ``report.build_report``'s ``models``), ``"gate": {"passed", "reason"}``, ``"slices"``: the
    ``slices.metrics_by_slice`` frame (or its records), ``"per_label"``: ``ClassificationMetrics.per_label``,
    ``"text"``: ``{model: TextMetrics.summary()}``}.
``human_eval``: ``HumanEvalSummary.to_dict()``; ``ab_test``: ``ABTestReport.to_dict()``.
``intended_use``: str; ``limitations``: list of str (or one str); ``out_of_scope``: list of str (or str).

A missing section is rendered as "Not provided" and listed at the top, never silently left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from finetune_platform.evaluation.slices import SLICE_COLUMNS, slices_markdown

#: Dotted paths a complete card needs (``model_card_inputs_complete`` lists those missing).
REQUIRED_SECTIONS: tuple[str, ...] = (
    "model_name",
    "base_model.name",
    "base_model.licence",
    "data.versions",
    "data.sources",
    "training",
    "evaluation.models.base",
    "evaluation.models.candidate",
    "evaluation.slices",
    "intended_use",
    "limitations",
)

#: Preferred column order of the evaluation table; other numeric metrics follow alphabetically.
_METRIC_ORDER = (
    "accuracy", "macro_f1", "invalid_rate", "perplexity", "exact_match", "token_f1", "rouge_l",
    "n_classify", "n_perplexity",
)
#: Model rows first in this order; others follow alphabetically.
_MODEL_ORDER = ("base", "candidate", "champion")
#: Model fields that are not quality metrics.
_NOT_METRICS = {"seconds"}

_NOT_PROVIDED = "_Not provided._"


def _get(info: Mapping[str, Any], dotted: str) -> Any:
    value: Any = info
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        if part == "licence" and "licence" not in value:
            part = "license"  # both spellings are accepted
        value = value.get(part)
    return value


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, pd.DataFrame):
        return not value.empty
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (Mapping, list, tuple)):
        return len(value) > 0
    return True


def model_card_inputs_complete(info: Mapping[str, Any]) -> list[str]:
    """The :data:`REQUIRED_SECTIONS` that ``info`` lacks (empty or absent), plus data versions without an
    md5; ``[]`` means the card is complete."""
    missing = [path for path in REQUIRED_SECTIONS if not _present(_get(info, path))]
    if "data.versions" not in missing:
        for version in _versions(_get(info, "data.versions")):
            if not str(version.get("dvc_md5") or "").strip():
                missing.append(f"data.versions[{version.get('name', '?')}].dvc_md5")
    return missing


def _cell(value: Any) -> Any:
    """A table cell: floats rounded, text with pipes and newlines escaped so the table stays a table."""
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.4g}"
    if isinstance(value, str):
        return value.replace("|", "\\|").replace("\n", " ")
    return value


def _table(rows: list[Mapping[str, Any]] | pd.DataFrame) -> str:
    frame = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    if frame.empty:
        return _NOT_PROVIDED
    for column in frame.columns:
        frame[column] = frame[column].map(_cell)
    return frame.to_markdown(index=False)


def _versions(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, Mapping):
        return [{"name": k, "dvc_md5": v} for k, v in value.items()]
    return [dict(v) for v in value or []]


def _items(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    return [str(v) for v in value]


def _section_base_model(info: Mapping[str, Any]) -> list[str]:
    base = info.get("base_model") or {}
    if not _present(base):
        return [_NOT_PROVIDED]
    licence = _get(info, "base_model.licence")
    lines = [
        f"- **Name**: {base.get('name') or 'not provided'}",
        f"- **Licence**: {licence or '**not provided**: check the licence before deploying'}",
    ]
    for key, label in (("source", "Source"), ("parameters", "Parameters"), ("description", "Description")):
        if base.get(key) not in (None, ""):
            value = f"{base[key]:,}" if key == "parameters" and isinstance(base[key], int) else base[key]
            lines.append(f"- **{label}**: {value}")
    return lines


def _section_data(info: Mapping[str, Any]) -> list[str]:
    data = info.get("data") or {}
    lines = ["### Versions", ""]
    versions = _versions(data.get("versions"))
    lines.append(
        _table([{"data set": v.get("name", ""), "DVC md5": f"`{v['dvc_md5']}`" if v.get("dvc_md5") else "not recorded",
                 "path": v.get("path", "")} for v in versions])
        if versions
        else _NOT_PROVIDED
    )
    lines += ["", "### Provenance", ""]
    sources = data.get("sources")
    if isinstance(sources, Mapping):
        sources = [{"source": k, "records": v} for k, v in sources.items()]
    lines.append(_table(list(sources)) if _present(sources) else _NOT_PROVIDED)
    if _present(data.get("splits")):
        lines += ["", "Examples per split: " + ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in data["splits"].items()) + "."]
    if _present(data.get("curation")):
        lines += ["", "Curation: " + ", ".join(f"{k} {v}" for k, v in data["curation"].items()) + "."]
    return lines


def _section_training(info: Mapping[str, Any]) -> list[str]:
    training = info.get("training")
    if not _present(training):
        return [_NOT_PROVIDED]
    return [_table([{"setting": k, "value": v if not isinstance(v, (list, dict)) else str(v)} for k, v in training.items()])]


def _model_rows(models: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    order = [m for m in _MODEL_ORDER if m in models] + sorted(m for m in models if m not in _MODEL_ORDER)
    metrics: list[str] = []
    for name in order:
        for key, value in models[name].items():
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            if numeric and key not in _NOT_METRICS and key not in metrics:
                metrics.append(key)
    metrics = [m for m in _METRIC_ORDER if m in metrics] + sorted(m for m in metrics if m not in _METRIC_ORDER)
    rows = [{"model": name, **{m: models[name].get(m, "") for m in metrics}} for name in order]
    return pd.DataFrame(rows, columns=["model", *metrics])


def _section_evaluation(info: Mapping[str, Any]) -> list[str]:
    evaluation = info.get("evaluation") or {}
    models = evaluation.get("models") or {}
    lines = [_table(_model_rows(models)) if models else _NOT_PROVIDED]
    gate = evaluation.get("gate")
    if _present(gate):
        lines += ["", f"**Evaluation gate {'PASSED' if gate.get('passed') else 'FAILED'}**: {gate.get('reason', '')}"]
    text = evaluation.get("text")
    if _present(text):
        lines += ["", "### Free-text replies", "", _table([{"model": k, **dict(v)} for k, v in text.items()])]
    lines += ["", "### Per slice", ""]
    slices = evaluation.get("slices")
    if _present(slices):
        frame = slices.copy() if isinstance(slices, pd.DataFrame) else pd.DataFrame(list(slices))
        lines.append(slices_markdown(frame) if set(SLICE_COLUMNS) <= set(frame.columns) else _table(frame))
        if set(SLICE_COLUMNS) <= set(frame.columns):
            lines += ["", "Accuracy with its 95% Wilson interval; macro-F1 is blank where a slice holds one true label."]
        if "below_min_n" in frame.columns and frame["below_min_n"].any():
            lines += ["", f"{int(frame['below_min_n'].sum())} slice(s) are below the minimum size (n marked *): read their numbers as anecdotes."]
    else:
        lines.append(_NOT_PROVIDED)
    per_label = evaluation.get("per_label")
    if _present(per_label):
        lines += ["", "### Per label (candidate)", "", _table(per_label if isinstance(per_label, pd.DataFrame) else list(per_label))]
    return lines


def _section_human_eval(info: Mapping[str, Any]) -> list[str]:
    human = info.get("human_eval")
    if not _present(human):
        return ["No human evaluation was run for this model."]
    ci = human.get("win_rate_ci") or (None, None)
    lines = [
        f"- **Verdict**: {human.get('verdict', 'not given')}",
        f"- **Candidate win rate** (ties count half): {human.get('win_rate', float('nan')):.3f}"
        + (f" (CI {ci[0]:.3f}-{ci[1]:.3f})" if ci[0] is not None else ""),
        f"- **Ratings**: {human.get('n_ratings')} of {human.get('n_items')} items by {human.get('n_raters')} raters; "
        f"{human.get('candidate_wins')} candidate wins, {human.get('champion_wins')} champion wins, {human.get('ties')} ties",
    ]
    agreement = human.get("agreement")
    if _present(agreement):
        value = agreement.get("value")
        lines.append(f"- **Agreement** ({agreement.get('metric')}): {'undefined' if value is None else f'{value:.3f}'}")
    return lines


def _section_ab(info: Mapping[str, Any]) -> list[str]:
    ab = info.get("ab_test")
    if not _present(ab):
        return []
    lines = ["## Online A/B test", "", f"**{ab.get('recommendation')}**: {ab.get('reason', '')}", ""]
    lines += [f"- {e}" for e in ab.get("evidence") or []]
    return lines + [""]


def render_model_card(info: Mapping[str, Any]) -> str:
    """The model card as Markdown. Missing sections are rendered as "Not provided" and listed in a
    warning at the top (see :func:`model_card_inputs_complete`)."""
    if not isinstance(info, Mapping):
        raise TypeError(f"render_model_card takes a dict of card inputs, got {type(info).__name__}")
    name = info.get("model_name") or "unnamed model"
    version = f" (version {info['model_version']})" if info.get("model_version") not in (None, "") else ""
    missing = model_card_inputs_complete(info)
    lines = [f"# Model card: {name}{version}", ""]
    if missing:
        lines += [f"> **Incomplete card**: missing {', '.join(missing)}.", ""]
    lines += ["## Intended use", "", str(info.get("intended_use") or _NOT_PROVIDED).strip(), ""]
    out_of_scope = _items(info.get("out_of_scope"))
    if out_of_scope:
        lines += ["Out of scope:", "", *[f"- {item}" for item in out_of_scope], ""]
    lines += ["## Base model", "", *_section_base_model(info), ""]
    lines += ["## Training data", "", *_section_data(info), ""]
    lines += ["## Training", "", *_section_training(info), ""]
    lines += ["## Evaluation", "", *_section_evaluation(info), ""]
    lines += ["## Human evaluation", "", *_section_human_eval(info), ""]
    lines += _section_ab(info)
    limitations = _items(info.get("limitations"))
    lines += ["## Known limitations", "", *([f"- {item}" for item in limitations] or [_NOT_PROVIDED]), ""]
    return "\n".join(lines)
