"""Human review through Dagster: queue export, reviewers' files imported, agreement gate, decisions applied."""

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from finetune_platform.defs.curate import curated_records, human_reviews, human_reviews__agreement, review_queue
from finetune_platform.resources import PlatformResource
from finetune_platform.schemas import RECORD_COLUMNS

LABELS = ["billing", "shipping_delivery"]


def _records() -> pd.DataFrame:
    rows = []
    for i in range(40):
        rows.append(
            {
                "record_id": f"chats/chats.jsonl#{i + 1}",
                "source": "chats",
                "source_file": "chats.jsonl",
                "source_row": i + 1,
                "doc_type": "chat",
                "text": f"Ticket number {i} about my {'invoice' if i % 2 else 'parcel'}",
                "response": "We are on it.",
                "label": LABELS[i % 2],
                "messages": "",
                "quality_score": 0.6 + (i % 5) * 0.08,
                "pii_counts": "{}",
            }
        )
    return pd.DataFrame(rows, columns=RECORD_COLUMNS + ["quality_score", "pii_counts"])


@dg.asset(name="deduplicated_records", group_name="curate")
def fake_deduplicated_records() -> pd.DataFrame:
    return _records()


def _write_decisions(folder: Path, reviewer: str, rejects: set[int], relabel: dict[int, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(10):
        rows.append(
            {
                "record_id": f"chats/chats.jsonl#{i + 1}",
                "decision": "reject" if i in rejects else "accept",
                "corrected_label": relabel.get(i, ""),
                "comment": "",
            }
        )
    pd.DataFrame(rows).to_csv(folder / f"{reviewer}.csv", index=False)


def _run(root: Path, review_config: dict | None = None, ops: tuple[str, ...] = ("review_queue", "human_reviews",
         "curated_records")) -> dg.ExecuteInProcessResult:
    config = {"config": review_config or {}}
    return dg.materialize(
        [fake_deduplicated_records, review_queue, human_reviews, human_reviews__agreement, curated_records],
        resources={"platform": PlatformResource(root=str(root))},
        run_config={"ops": {op: config for op in ops}},
        raise_on_error=False,
    )


def _check(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    return next(
        e.asset_check_evaluation_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
    )


def _step_error(result: dg.ExecuteInProcessResult) -> str:
    """The error of the run's failed step (the run must have failed)."""
    assert not result.success
    return str(next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE").event_specific_data.error)


def _curated_after(tmp_path: Path, reviews_asset: dg.AssetsDefinition) -> str:
    """The error of curated_records run alone after ``reviews_asset`` (a stand-in human_reviews)."""
    return _step_error(dg.materialize(
        [fake_deduplicated_records, reviews_asset, curated_records],
        resources={"platform": PlatformResource(root=str(tmp_path))},
        raise_on_error=False,
    ))  # fmt: skip


def test_the_gate_judges_with_the_bar_human_reviews_was_given(tmp_path: Path) -> None:
    """The bar is set once, on human_reviews: the blocking check takes its verdict, not a config of its own,
    so a stricter bar there fails the gate and curated_records is not built."""
    decisions = tmp_path / "data" / "review" / "decisions"
    _write_decisions(decisions, "alice", rejects={0, 1, 2, 3}, relabel={})
    _write_decisions(decisions, "bob", rejects={0, 1, 2}, relabel={})
    assert _run(tmp_path).success  # alpha 0.79: agreeing well enough for the default bar (0.6)
    strict = _run(tmp_path, {"min_agreement": 0.95}, ops=("human_reviews",))
    check = _check(strict)
    assert not check.passed and "0.95" in check.description
    assert check.metadata["agreement_gate"].value["min_agreement"] == 0.95
    materialized = {e.asset_key.to_user_string() for e in strict.get_asset_materialization_events()}
    assert "curated_records" not in materialized and not strict.success


def test_curated_records_alone_refuses_reviews_that_failed_the_gate(tmp_path: Path) -> None:
    """A run that materializes curated_records without human_reviews (the gate's check only blocks within
    the run that made human_reviews) must not apply decisions of reviewers who failed the bar."""
    reviews = pd.DataFrame({"record_id": ["chats/chats.jsonl#1"] * 2, "reviewer": ["alice", "bob"],
                            "decision": ["reject", "accept"], "label": "", "comment": "", "origin": ""})

    @dg.asset(name="human_reviews", group_name="curate")
    def failed_reviews() -> dg.Output[pd.DataFrame]:
        gate = {"passed": False, "reason": "krippendorff_alpha 0.10 < 0.6", "metric": "krippendorff_alpha",
                "min_agreement": 0.6, "require_reviews": False}
        return dg.Output(reviews, metadata={"agreement_gate": dg.MetadataValue.json(gate)})

    assert "failed the agreement gate (krippendorff_alpha 0.10 < 0.6)" in _curated_after(tmp_path, failed_reviews)


def test_curated_records_alone_refuses_unreviewed_data_when_reviews_are_required(tmp_path: Path) -> None:
    """require_reviews failed the gate with no reviews: a later run of curated_records alone must not build
    the training data unreviewed either."""

    @dg.asset(name="human_reviews", group_name="curate")
    def no_reviews() -> dg.Output[pd.DataFrame]:
        gate = {"passed": False, "reason": "no reviews imported yet and require_reviews is on",
                "metric": "krippendorff_alpha", "min_agreement": 0.6, "require_reviews": True}
        empty = pd.DataFrame(columns=["record_id", "reviewer", "decision", "label", "comment", "origin"])
        return dg.Output(empty, metadata={"agreement_gate": dg.MetadataValue.json(gate)})

    error = _curated_after(tmp_path, no_reviews)
    assert "agreement gate failed (no reviews imported yet and require_reviews is on)" in error
    assert "not curated without review" in error


def test_curated_records_refuses_other_rejection_settings_than_human_reviews(tmp_path: Path) -> None:
    """human_reviews listed record 4 as rejected under rejection_rule 'any'; curated_records with the default
    rule would keep it: it must not apply the reviews by another rule than the one they were judged by."""
    decisions = tmp_path / "data" / "review" / "decisions"
    _write_decisions(decisions, "alice", rejects={0, 1, 2, 3}, relabel={})
    _write_decisions(decisions, "bob", rejects={0, 1, 2}, relabel={})
    result = dg.materialize(
        [fake_deduplicated_records, review_queue, human_reviews, human_reviews__agreement, curated_records],
        resources={"platform": PlatformResource(root=str(tmp_path))},
        run_config={"ops": {"human_reviews": {"config": {"rejection_rule": "any"}}}},
        raise_on_error=False,
    )
    assert "rejection_rule 'majority' (human_reviews: 'any')" in _step_error(result)
    same = _run(tmp_path, {"rejection_rule": "any"})
    assert same.success
    curated = next(e for e in same.get_asset_materialization_events() if e.asset_key.to_user_string() == "curated_records")
    assert curated.materialization.metadata["rows_dropped"].value == 4


def test_queue_is_exported_and_no_reviews_means_nothing_changes(tmp_path: Path) -> None:
    result = _run(tmp_path, {"sample_size": 12})
    assert result.success
    queue_dir = tmp_path / "data" / "review" / "queue"
    assert {p.name for p in queue_dir.iterdir()} == {"review_queue.csv", "label_studio_tasks.json", "label_studio_config.xml"}
    assert len(result.output_for_node("review_queue")) == 12
    assert len(result.output_for_node("curated_records")) == 40


def test_two_agreeing_reviewers_reject_and_relabel(tmp_path: Path) -> None:
    decisions = tmp_path / "data" / "review" / "decisions"
    _write_decisions(decisions, "alice", rejects={0, 1}, relabel={2: "billing"})
    _write_decisions(decisions, "bob", rejects={0, 1}, relabel={2: "billing"})
    result = _run(tmp_path)
    assert result.success
    curated = result.output_for_node("curated_records")
    assert len(curated) == 38
    assert "chats/chats.jsonl#1" not in set(curated["record_id"])
    assert curated.set_index("record_id").loc["chats/chats.jsonl#3", "label"] == "billing"


def test_disagreeing_reviewers_fail_the_gate_and_block_curated_records(tmp_path: Path) -> None:
    decisions = tmp_path / "data" / "review" / "decisions"
    _write_decisions(decisions, "alice", rejects={0, 1, 2, 3, 4}, relabel={})
    _write_decisions(decisions, "bob", rejects={5, 6, 7, 8, 9}, relabel={})
    result = _run(tmp_path)
    assert not result.success
    check = _check(result)
    assert check.check_name == "human_reviews__agreement" and not check.passed
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "curated_records" not in materialized
    # The gate failed, yet the records to talk over are listed where the error message sends the lead.
    reviews_event = next(
        e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == "human_reviews"
    )
    metadata = reviews_event.step_materialization_data.materialization.metadata
    assert metadata["disagreements"].value == 10
    listed = pd.read_csv(tmp_path / "data" / "review" / "disagreements.csv", encoding="utf-8-sig")
    assert len(listed) == 10 and set(listed["kind"]) == {"decision"}
    assert listed.loc[listed["record_id"] == "chats/chats.jsonl#1", "votes"].item() == "alice=reject, bob=accept"


def test_a_decision_file_the_platform_cannot_read_stops_the_import(tmp_path: Path) -> None:
    """carol.xlsx must not vanish: the run fails naming it; a hidden file and a subfolder's sheet are fine."""
    decisions = tmp_path / "data" / "review" / "decisions"
    _write_decisions(decisions, "alice", rejects={0}, relabel={})
    _write_decisions(decisions / "round2", "bob", rejects={0}, relabel={})
    (decisions / ".DS_Store").write_bytes(b"\0")
    assert _run(tmp_path, ops=("human_reviews",)).output_for_node("human_reviews")["reviewer"].nunique() == 2
    assert (tmp_path / "data" / "review" / "disagreements.csv").exists()
    (decisions / "carol.xlsx").write_bytes(b"PK")
    result = _run(tmp_path, ops=("human_reviews",))
    # the last import's disagreements are gone with it: they are not what the decision files say now
    assert not (tmp_path / "data" / "review" / "disagreements.csv").exists()
    assert "file(s) that are not decision files the platform can read: carol.xlsx" in _step_error(result)


@pytest.mark.parametrize("require", [True, False])
def test_require_reviews_fails_without_any(tmp_path: Path, require: bool) -> None:
    """No reviews imported: the agreement gate fails (and blocks curated_records) only when reviews are required."""
    result = _run(tmp_path, {"require_reviews": require})
    assert result.success is not require
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert ("curated_records" in materialized) is not require
