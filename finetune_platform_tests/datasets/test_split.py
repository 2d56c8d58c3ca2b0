from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

from finetune_platform.datasets.split import (
    SplitSettings,
    find_leakage,
    normalize_prompt,
    read_manifest,
    read_training_set,
    split_examples,
    ticket_key,
    write_training_set,
)
from finetune_platform.schemas import EXAMPLE_COLUMNS, SPLITS

from .conftest import build_examples, build_records


def _tickets(splits: dict[str, pd.DataFrame]) -> dict[str, set[str]]:
    return {name: set(df["record_id"]) for name, df in splits.items()}


def test_settings_reject_held_out_share_of_half_or_more():
    with pytest.raises(ValidationError, match="keep their sum below 0.5"):
        SplitSettings(validation_fraction=0.25, test_fraction=0.25)
    with pytest.raises(ValidationError):
        SplitSettings(test_fraction=-0.1)
    assert SplitSettings(validation_fraction=0.2, test_fraction=0.2).seed == 13


def test_split_is_grouped_by_ticket_and_complete(examples):
    splits = split_examples(examples, SplitSettings(validation_fraction=0.1, test_fraction=0.2, seed=1))
    assert list(splits) == list(SPLITS)
    tickets = _tickets(splits)
    assert not tickets["train"] & tickets["test"]
    assert not tickets["train"] & tickets["validation"]
    assert not tickets["validation"] & tickets["test"]
    # every example exactly once, both tasks of a ticket together
    combined = pd.concat(splits.values())
    assert sorted(combined["example_id"]) == sorted(examples["example_id"])
    assert all((df.groupby("record_id").size() == 2).all() for df in splits.values())
    assert all(list(df.columns) == EXAMPLE_COLUMNS for df in splits.values())


def test_split_hits_the_fractions_and_stratifies_labels(examples):
    splits = split_examples(examples, SplitSettings(validation_fraction=0.1, test_fraction=0.2, seed=3))
    tickets = {name: df.drop_duplicates("record_id") for name, df in splits.items()}
    assert {name: len(df) for name, df in tickets.items()} == {"train": 70, "validation": 10, "test": 20}
    test_labels = tickets["test"]["label"].value_counts().to_dict()
    # 20% of 60 / 30 / 9 tickets; the single "refund" ticket goes to one split only
    assert test_labels["billing"] == 12
    assert test_labels["login"] == 6
    assert test_labels.get("shipping", 0) in (1, 2)
    val_labels = tickets["validation"]["label"].value_counts().to_dict()
    assert val_labels["billing"] == 6 and val_labels["login"] == 3
    # sources within a label are balanced too (billing: 30 email + 30 chat -> 6 test each)
    billing_test = tickets["test"].query("label == 'billing'")["source"].value_counts().to_dict()
    assert billing_test == {"email": 6, "chat": 6}


def test_split_is_deterministic_and_independent_of_row_order(examples):
    settings = SplitSettings(seed=7)
    first = split_examples(examples, settings)
    shuffled = split_examples(examples.sample(frac=1.0, random_state=0), settings)
    other_seed = split_examples(examples, SplitSettings(seed=8))
    for name in SPLITS:
        pd.testing.assert_frame_equal(first[name], shuffled[name])
    assert _tickets(first)["test"] != _tickets(other_seed)["test"]


@pytest.mark.parametrize("change", ["added", "tripled", "removed"])
def test_a_new_data_version_keeps_every_ticket_in_its_split(change):
    """The champion trained on the last version is scored on this version's test split: a ticket it trained
    on must not be there. With the last version's assignment, every ticket keeps its split, and the new ones
    fill the fractions."""
    from finetune_platform.datasets.split import previous_assignment

    before = build_records({"billing": 100, "login": 60})
    if change in ("added", "tripled"):
        sizes = {"billing": 120, "login": 72} if change == "added" else {"billing": 300, "login": 180}
        grown = build_records(sizes)
        grown["record_id"] = grown["record_id"] + "-v2"
        grown["text"] = grown["text"] + " (second batch)"
        after = pd.concat([before, grown], ignore_index=True)
    else:
        after = before.drop(before.index[::7])
    first = split_examples(build_examples(before), SplitSettings())
    previous = {rid: name for name, df in first.items() for rid in df["record_id"]}
    second = split_examples(build_examples(after), SplitSettings(), previous)
    old, new = _tickets(first), _tickets(second)
    for name in SPLITS:
        assert new[name] & set(after["record_id"]) >= old[name] & set(after["record_id"]), name
    total = sum(len(v) for v in new.values())
    assert abs(len(new["test"]) / total - 0.1) < 0.03 and abs(len(new["validation"]) / total - 0.1) < 0.03
    # without the last version's assignment, growth reshuffles the boundaries (what the champion would see)
    fresh = _tickets(split_examples(build_examples(after), SplitSettings()))
    assert change == "removed" or fresh["test"] != new["test"]

    # previous_assignment reads it from a written version; a folder without one gives none
    assert previous_assignment(Path("/nonexistent")) == {}


def test_a_held_out_ticket_that_joins_a_trained_near_duplicate_goes_to_train():
    records = build_records({"billing": 40, "login": 40})
    splits = split_examples(build_examples(records), SplitSettings())
    trained = splits["train"]["record_id"].iloc[0]
    held = splits["test"]["record_id"].iloc[0]
    previous = {rid: name for name, df in splits.items() for rid in df["record_id"]}
    twin = records.loc[records["record_id"] == trained].copy()
    twin["record_id"] = held  # a re-ingested ticket now reads like a trained one
    merged = pd.concat([records.loc[records["record_id"] != held], twin], ignore_index=True)
    again = split_examples(build_examples(merged), SplitSettings(), previous)
    where = {rid: name for name, df in again.items() for rid in df["record_id"]}
    assert where[held] == where[trained] == "train"


def test_a_trained_ticket_back_under_a_new_record_id_stays_in_train(tmp_path):
    """Curation's dedup may keep another copy of a ticket the last version trained on (a re-export under
    another file, a better-scored near-duplicate): matched by its text, it is not held out, so the champion
    is never scored on its own training tickets."""
    from finetune_platform.datasets.split import (
        previous_assignment,
        previous_ticket_splits,
        ticket_key,
        write_training_set,
    )

    settings = SplitSettings(validation_fraction=0.2, test_fraction=0.2)
    before = build_records({"billing": 60, "login": 40})
    first = split_examples(build_examples(before), settings)
    write_training_set(first, tmp_path / "v1", before.assign(quality_score=0.9, pii_counts="{}"))
    trained = first["train"]["record_id"].tolist()[:30]
    copies = before.set_index("record_id").loc[trained].reset_index()
    copies["record_id"] = [f"email/archive.jsonl#{i + 1}" for i in range(len(copies))]
    copies.loc[::2, "text"] = copies.loc[::2, "text"] + " thanks"  # near-duplicates, not exact copies
    fresh = build_records({"billing": 30, "login": 20})  # the new version also grows, so it holds out new tickets
    fresh["record_id"] = fresh["record_id"] + "-v2"
    fresh["text"] = fresh["text"] + " (second batch)"
    after = pd.concat([before[~before["record_id"].isin(trained)], copies, fresh], ignore_index=True)
    old_tickets = previous_ticket_splits(tmp_path / "v1")
    assert set(old_tickets) == {ticket_key(p) for df in first.values() for p in df["prompt"]}
    second = split_examples(build_examples(after), settings, previous_assignment(tmp_path / "v1"), old_tickets)
    where = {rid: name for name, df in second.items() for rid in df["record_id"]}
    assert {where[rid] for rid in copies["record_id"]} == {"train"}
    # by record id alone (as before) the copies are new tickets, and some are held out
    by_id = split_examples(build_examples(after), settings, previous_assignment(tmp_path / "v1"))
    assert {name for name, df in by_id.items() if set(df["record_id"]) & set(copies["record_id"])} != {"train"}
    assert previous_ticket_splits(tmp_path / "none") == {}


def test_zero_fraction_gives_empty_split(examples):
    splits = split_examples(examples, SplitSettings(validation_fraction=0.0, test_fraction=0.1))
    assert len(splits["validation"]) == 0
    assert list(splits["validation"].columns) == EXAMPLE_COLUMNS
    assert len(splits["test"]) == 20


def test_singleton_labels_do_not_break_the_split():
    """A label with one ticket stays in train (a label the model never saw cannot be learned, and the
    expectations gate fails a held-out label that train lacks); the others fill the fractions."""
    records = build_records({**{f"label{i}": 1 for i in range(10)}, "billing": 20}, sources=("a", "b", "c"))
    splits = split_examples(build_examples(records), SplitSettings(validation_fraction=0.1, test_fraction=0.1))
    assert {n: df["record_id"].nunique() for n, df in splits.items()} == {"train": 24, "validation": 3, "test": 3}
    assert set(splits["validation"]["label"]) | set(splits["test"]["label"]) == {"billing"}


@pytest.mark.parametrize("seed", range(40))
def test_a_label_with_two_tickets_keeps_one_in_train(seed):
    sizes = {"billing": 50, "login": 30, "shipping": 20, "fraud": 2, "press": 2, "legal": 2, "gdpr": 2}
    splits = split_examples(build_examples(build_records(sizes)), SplitSettings(seed=seed))
    assert set(splits["train"]["label"]) == set(sizes)


def _with_near_duplicates(records: pd.DataFrame, twins: dict[str, str]) -> pd.DataFrame:
    """``records`` plus, for each record_id -> label of ``twins``, a near-duplicate of that ticket (its text
    and one word more) labelled otherwise by another source, as curation keeps it when the replies differ."""
    rows = []
    for i, (record_id, label) in enumerate(twins.items()):
        row = records.loc[records["record_id"] == record_id].iloc[0].to_dict()
        rows.append({**row, "record_id": f"other/g.jsonl#{i + 1}", "source": "other", "source_file": "g.jsonl",
                     "source_row": i + 1, "text": row["text"] + " urgent", "label": label,
                     "response": f"another reply {i}"})
    return pd.concat([records, pd.DataFrame(rows, columns=records.columns)], ignore_index=True)


@pytest.mark.parametrize("seed", range(40))
def test_a_labels_only_ticket_in_a_near_duplicate_unit_of_another_label_stays_in_train(seed):
    """The only "warranty" ticket is a near-duplicate of a "common" one: one unit, which counts both labels
    and goes to train (held out, "warranty" is a label train lacks and the expectations gate fails)."""
    records = build_records({"common": 40})
    records = _with_near_duplicates(records, {records["record_id"].iloc[0]: "warranty"})
    splits = split_examples(build_examples(records), SplitSettings(seed=seed))
    where = {rid: name for name, df in splits.items() for rid in df["record_id"]}
    assert where["other/g.jsonl#1"] == where[records["record_id"].iloc[0]] == "train"
    assert set(splits["train"]["label"]) == {"common", "warranty"}
    assert sum(len(df) for df in splits.values()) == 2 * len(records)
    assert {n: df["record_id"].nunique() for n, df in splits.items()}["test"] == 4  # the fractions still hold


@pytest.mark.parametrize("seed", range(40))
def test_a_label_whose_units_are_all_stratified_by_rarer_labels_keeps_one_in_train(seed):
    """"x" has two tickets, each a near-duplicate of one of two two-ticket labels ("a", "b") that sort
    before it: both units are stratified by those labels, and both may be held out; one goes to train."""
    records = build_records({"common": 60, "a": 2, "b": 2})
    a1, b1 = (records.loc[records["label"] == label, "record_id"].iloc[0] for label in ("a", "b"))
    records = _with_near_duplicates(records, {a1: "x", b1: "x"})
    examples = build_examples(records)
    splits = split_examples(examples, SplitSettings(seed=seed, validation_fraction=0.2, test_fraction=0.2))
    assert set(splits["train"]["label"]) == {"common", "a", "b", "x"}
    # deterministic, whatever the row order
    shuffled = split_examples(
        examples.sample(frac=1.0, random_state=seed), SplitSettings(seed=seed, validation_fraction=0.2, test_fraction=0.2)
    )
    for name in SPLITS:
        pd.testing.assert_frame_equal(splits[name], shuffled[name])


def test_split_rejects_bad_input(examples):
    with pytest.raises(ValueError, match=r"missing columns \['label'\]"):
        split_examples(examples.drop(columns=["label"]))
    with pytest.raises(ValueError, match="no examples"):
        split_examples(examples.iloc[:0])
    with pytest.raises(ValueError, match="occur more than once"):
        split_examples(pd.concat([examples, examples.iloc[:1]]))


def test_find_leakage_reports_planted_duplicate(examples):
    splits = split_examples(examples, SplitSettings(seed=5))
    assert find_leakage(splits).empty
    train_prompt = splits["train"].iloc[0]["prompt"]
    planted = splits["test"].copy()
    planted.loc[0, "prompt"] = "  " + train_prompt.upper().replace("\n", "   \n ") + " "
    leaks = find_leakage({**splits, "test": planted})
    # every example of the train ticket leaks (each task asks about the same ticket text), and the planted one
    train = splits["train"]
    same_ticket = train.loc[train["record_id"] == train.iloc[0]["record_id"], "example_id"]
    assert len(same_ticket) >= 1 and len(leaks) == len(same_ticket) + 1
    assert set(leaks["split"]) == {"train", "test"}
    assert set(leaks["example_id"]) == set(same_ticket) | {planted.loc[0, "example_id"]}
    assert (leaks["splits"] == "test,train").all()


def test_the_same_ticket_asked_as_two_tasks_stays_in_one_split():
    """A ticket that survived curation twice, once labelled without a reply and once with a reply and no
    label, gives a classify and a reply example with different prompts: they are one ticket for the split
    and for the leakage check, even with near-duplicate grouping off (threshold 1.0)."""
    from finetune_platform.formats.instructions import build_instruction_examples
    from finetune_platform.schemas import RECORD_COLUMNS

    records = []
    for i in range(40):
        text = f"Ticket {i}: my {'router' if i % 2 else 'camera'} fails with error {i * 7} since yesterday"
        base = dict(source="s", source_file="f.csv", doc_type="ticket", text=text, messages="")
        records.append({**base, "record_id": f"s/f.csv#{2 * i + 1}", "source_row": 2 * i + 1, "response": "",
                        "label": ["tech", "billing"][i % 2]})
        records.append({**base, "record_id": f"s/f.csv#{2 * i + 2}", "source_row": 2 * i + 2,
                        "response": f"Reply {i}: reset the device.", "label": ""})
    examples = build_instruction_examples(pd.DataFrame(records, columns=RECORD_COLUMNS))
    assert set(examples["task"]) >= {"classify", "reply"}
    splits = split_examples(examples, SplitSettings(near_duplicate_threshold=1.0))
    where = {}
    for name, df in splits.items():
        for prompt in df["prompt"]:
            where.setdefault(ticket_key(prompt), set()).add(name)
    assert len(where) == 40 and all(len(names) == 1 for names in where.values())
    assert find_leakage(splits).empty


def test_duplicate_within_one_split_is_not_leakage(examples):
    splits = split_examples(examples, SplitSettings(seed=5))
    doubled = splits["train"].copy()
    doubled.loc[1, "prompt"] = doubled.loc[0, "prompt"]
    assert find_leakage({**splits, "train": doubled}).empty


def test_normalize_prompt():
    assert normalize_prompt("  Hello\n\tWORLD  ") == "hello world"
    assert normalize_prompt("Straße") == normalize_prompt("STRASSE")
    # tickets that differ only in which placeholder number or which punctuation are one ticket
    assert normalize_prompt("I cannot log in with <EMAIL_1> since yesterday") == normalize_prompt(
        "I cannot log in with <EMAIL_2> since yesterday"
    )
    assert normalize_prompt("my card was charged twice please refund") == normalize_prompt(
        "My card was charged twice, please refund!"
    )
    assert normalize_prompt("card <CREDIT_CARD_3> declined") == "card <credit card> declined"
    assert normalize_prompt("order 1234") != normalize_prompt("order 1235")


def test_tickets_differing_in_placeholders_or_punctuation_never_straddle_splits():
    records = build_records({"billing": 40, "login": 40})
    twins = records.iloc[:10].copy()
    twins["record_id"] = twins["record_id"] + "-twin"
    twins["text"] = twins["text"].str.upper() + ", <EMAIL_2>!"
    records["text"] = records["text"].where(records.index >= 10, records["text"] + " <EMAIL_1>")
    splits = split_examples(build_examples(pd.concat([records, twins], ignore_index=True)), SplitSettings(seed=3))
    where = {rid: name for name, df in splits.items() for rid in df["record_id"]}
    assert all(where[rid] == where[rid + "-twin"] for rid in records["record_id"].iloc[:10])
    assert find_leakage(splits).empty


def test_write_and_read_training_set_round_trip(tmp_path, examples, records):
    splits = split_examples(examples)
    manifest = write_training_set(splits, tmp_path / "ts", records)
    assert sorted(p.name for p in (tmp_path / "ts").iterdir()) == [
        "manifest.json", "test.parquet", "train.parquet", "validation.parquet"
    ]
    assert manifest.counts == {name: len(splits[name]) for name in SPLITS}
    assert sum(manifest.counts.values()) == len(examples) == len(manifest.entries)
    assert manifest.task_counts["test"] == {"classify": 10, "reply": 10}
    assert sum(manifest.label_counts["train"].values()) == len(splits["train"])
    example_id = splits["test"].iloc[0]["example_id"]
    entry = manifest.entries[example_id]
    origin = records.set_index("record_id").loc[entry.record_id]
    assert (entry.split, entry.source_file, entry.source_row) == ("test", "tickets.jsonl", origin["source_row"])

    back = read_training_set(tmp_path / "ts")
    for name in SPLITS:
        pd.testing.assert_frame_equal(back[name], splits[name], check_dtype=False)
    assert read_manifest(tmp_path / "ts") == manifest
    stored = json.loads((tmp_path / "ts" / "manifest.json").read_text())
    assert stored["entries"][example_id]["record_id"] == entry.record_id


def test_write_is_byte_identical_for_identical_input(tmp_path, examples, records):
    write_training_set(split_examples(examples), tmp_path / "a", records)
    write_training_set(split_examples(examples.sample(frac=1.0, random_state=1)), tmp_path / "b", records)
    for name in ("train.parquet", "validation.parquet", "test.parquet", "manifest.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_write_refuses_foreign_files_and_missing_lineage(tmp_path, examples, records):
    splits = split_examples(examples)
    (tmp_path / "ts").mkdir()
    (tmp_path / "ts" / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match=r"notes.txt"):
        write_training_set(splits, tmp_path / "ts", records)
    with pytest.raises(ValueError, match="not in the records"):
        write_training_set(splits, tmp_path / "other", records.iloc[5:])


def test_read_detects_a_changed_file(tmp_path, examples, records):
    write_training_set(split_examples(examples), tmp_path / "ts", records)
    pd.DataFrame({"x": [1]}).to_parquet(tmp_path / "ts" / "test.parquet")
    with pytest.raises(ValueError, match="does not match its manifest"):
        read_training_set(tmp_path / "ts")


def _folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_failed_rewrite_leaves_the_previous_version_whole(tmp_path, examples, records):
    """A record missing for the validation split (checked after train's) used to fail after train.parquet
    was rewritten: the folder held new train data under the old manifest, unreadable, and the next split
    lost the old version's tickets. Every check now runs before anything is written."""
    from finetune_platform.datasets.split import previous_ticket_splits

    folder = tmp_path / "ts"
    first = split_examples(examples)
    write_training_set(first, folder, records)
    before = _folder_bytes(folder)
    grown = build_records({"billing": 70, "login": 30, "shipping": 9, "refund": 1})
    second = split_examples(build_examples(grown))
    missing = second["validation"]["record_id"].iloc[0]
    with pytest.raises(ValueError, match=rf"record_id values in split 'validation' are not in the records .*{missing}"):
        write_training_set(second, folder, grown[grown["record_id"] != missing])
    assert _folder_bytes(folder) == before
    assert {name: len(df) for name, df in read_training_set(folder).items()} == {n: len(df) for n, df in first.items()}
    assert len(previous_ticket_splits(folder)) == examples["record_id"].nunique()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ts"]  # no temporary folder left beside it


def test_a_write_that_fails_half_way_leaves_the_previous_version_whole(tmp_path, examples, records, monkeypatch):
    """The files are written beside the folder and moved in, the manifest last: a disk that fills up while
    the second file is written leaves the old version in place, and nothing else behind."""
    folder = tmp_path / "ts"
    write_training_set(split_examples(examples), folder, records)
    before = _folder_bytes(folder)
    real = pd.DataFrame.to_parquet
    calls = []

    def full_disk(self, path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_training_set(split_examples(examples, SplitSettings(seed=5)), folder, records)
    monkeypatch.setattr(pd.DataFrame, "to_parquet", real)
    assert _folder_bytes(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ts"]
    assert all(Path(path).parent != folder for path in calls)  # nothing was written in the folder itself
    # a successful rewrite replaces the files, and a rewrite without conversations removes the old ones
    from finetune_platform.formats.conversations import CONVERSATION_COLUMNS

    conversations = pd.DataFrame(
        [{c: "" for c in CONVERSATION_COLUMNS} | {"example_id": f"{rid}::chat", "record_id": rid, "source": "email",
                                                    "messages": "[]"} for rid in records["record_id"].iloc[:3]],
        columns=CONVERSATION_COLUMNS,
    )
    write_training_set(split_examples(examples, SplitSettings(seed=5)), folder, records, conversations)
    assert len([p for p in folder.iterdir() if p.name.startswith("conversations_")]) == 3
    write_training_set(split_examples(examples, SplitSettings(seed=5)), folder, records)
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "test.parquet", "train.parquet", "validation.parquet"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ts"]


def test_an_unreadable_previous_version_is_warned_about_not_silently_dropped(tmp_path, examples, records, caplog):
    import logging

    from finetune_platform.datasets.split import previous_assignment, previous_ticket_splits

    folder = tmp_path / "ts"
    with caplog.at_level(logging.WARNING, logger="finetune_platform.datasets.split"):
        assert previous_ticket_splits(folder) == {} and previous_assignment(folder) == {}
    assert caplog.records == []  # no previous version: nothing to warn about
    write_training_set(split_examples(examples), folder, records)
    pd.DataFrame({"x": [1]}).to_parquet(folder / "train.parquet")  # changed after it was written
    with caplog.at_level(logging.WARNING, logger="finetune_platform.datasets.split"):
        assert previous_ticket_splits(folder) == {}
    [warning] = caplog.records
    assert "train.parquet does not match its manifest" in warning.getMessage()
    assert "tickets are not matched by their text" in warning.getMessage() and "dvc checkout" in warning.getMessage()
    assert len(previous_assignment(folder)) == examples["record_id"].nunique()  # the manifest still reads

    class Log:  # Dagster's context.log takes the warning instead
        def __init__(self):
            self.lines = []

        def warning(self, message):
            self.lines.append(message)

    log = Log()
    (folder / "manifest.json").write_text("{not json")
    assert previous_ticket_splits(folder, log) == {} and previous_assignment(folder, log) == {}
    assert len(log.lines) == 2 and all("JSONDecodeError" in line for line in log.lines)
    assert "kept by record id" in log.lines[1]


def test_tickets_sharing_a_prompt_stay_together(records):
    # three tickets with the same text (chained duplicates across sources) must land in one split
    records = records.copy()
    records.loc[[0, 40, 70], "text"] = ["Where is  my ORDER?", "where is my order?", "where is my order?"]
    examples = build_examples(records)
    for seed in range(5):
        splits = split_examples(examples, SplitSettings(seed=seed, test_fraction=0.3, validation_fraction=0.1))
        assert find_leakage(splits).empty
        duplicates = records.loc[[0, 40, 70], "record_id"]
        homes = {name for name, df in splits.items() if df["record_id"].isin(duplicates).any()}
        assert len(homes) == 1


def test_near_duplicate_tickets_stay_in_one_split_and_leaks_are_found() -> None:
    import pandas as pd

    from finetune_platform.datasets.split import SplitSettings, find_near_duplicate_leakage, split_examples
    from finetune_platform.formats.instructions import PROMPT_TEMPLATES

    base = "my smart thermostat stopped connecting to the wifi network after the latest firmware update {}"
    rows = []
    for i in range(60):
        text = base.format("today please help") if i < 6 else f"ticket number {i} about order {i * 7} and parcel {i}"
        if 0 < i < 6:
            text = text + f" thanks {i}"  # near-duplicates of ticket 0, not exact ones
        rid = f"src/f.jsonl#{i + 1}"
        rows.append((f"{rid}::classify", rid, "classify", PROMPT_TEMPLATES["classify"].format(text=text), "billing" if i % 2 else "refund", "billing" if i % 2 else "refund", "src"))
    examples = pd.DataFrame(rows, columns=["example_id", "record_id", "task", "prompt", "completion", "label", "source"])
    splits = split_examples(examples, SplitSettings(test_fraction=0.3, validation_fraction=0.1, seed=1))
    near_ids = {f"src/f.jsonl#{i + 1}" for i in range(6)}
    homes = {name for name, df in splits.items() if set(df["record_id"]) & near_ids}
    assert len(homes) == 1, f"near-duplicates spread over {homes}"
    assert find_near_duplicate_leakage(splits).empty

    # moving one near-duplicate into another split is reported
    home = homes.pop()
    other = "test" if home != "test" else "train"
    moved = splits[home].loc[splits[home]["record_id"] == "src/f.jsonl#2"]
    leaked = {**splits, home: splits[home].drop(moved.index), other: pd.concat([splits[other], moved])}
    report = find_near_duplicate_leakage(leaked)
    assert len(report) >= 1 and set(report["jaccard"]) and (report["jaccard"] >= 0.8).all()


def test_an_example_without_a_record_id_is_named() -> None:
    examples = build_examples(build_records({"billing": 10}))
    examples.loc[3, "record_id"] = None
    with pytest.raises(ValueError, match=r"1 examples have no record_id \(first at row 3, example ids \['"):
        split_examples(examples, SplitSettings())


def test_many_identical_tickets_are_compared_once() -> None:
    """Templated tickets that redaction made identical (``<EMAIL_1>`` everywhere) are one text to the
    near-duplicate join: splitting them stays linear, and a leak is one row per pair of texts and splits."""
    from finetune_platform.datasets.split import find_near_duplicate_leakage, split_examples
    from finetune_platform.formats.instructions import PROMPT_TEMPLATES

    same = "please reset the password of my account <EMAIL_1> it is locked since this morning"
    rows = [(f"s/f#{i}::classify", f"s/f#{i}", "classify", PROMPT_TEMPLATES["classify"].format(text=same), "login",
             "login", "s") for i in range(3000)]
    examples = pd.DataFrame(rows, columns=EXAMPLE_COLUMNS)
    splits = split_examples(examples, SplitSettings())
    assert len(splits["train"]) == 3000  # one ticket, repeated: one unit
    near = PROMPT_TEMPLATES["classify"].format(text=same + " again")
    test = pd.DataFrame([("s/g#1::classify", "s/g#1", "classify", near, "login", "login", "s")], columns=EXAMPLE_COLUMNS)
    report = find_near_duplicate_leakage({**splits, "test": test})
    assert report[["record_a", "split_a", "record_b", "split_b"]].values.tolist() in (
        [["s/f#0", "train", "s/g#1", "test"]], [["s/g#1", "test", "s/f#0", "train"]]
    )


def test_a_run_reads_only_the_version_its_training_set_recorded(tmp_path, examples, records):
    """The working copy is shared: a version another run wrote since is refused, not trained or scored on."""
    from finetune_platform.datasets.split import TrainingSetVersionError, read_training_set_version
    from finetune_platform.datasets.versioning import folder_md5

    folder = tmp_path / "training_set"
    write_training_set(split_examples(examples, SplitSettings(seed=1)), folder, records)
    first = folder_md5(folder)
    assert set(read_training_set_version(folder, first)) == set(SPLITS)
    write_training_set(split_examples(examples, SplitSettings(seed=2)), folder, records)  # another run's version
    with pytest.raises(TrainingSetVersionError, match=rf"holds training set version .*, not {first}"):
        read_training_set_version(folder, first)
    with pytest.raises(TrainingSetVersionError, match="version none"):
        read_training_set_version(tmp_path / "gone", first)


def test_label_spelling_variants_groups_one_label_spelt_differently():
    from finetune_platform.datasets.split import label_spelling_variants

    labels = ["Shipping", "shipping ", "SHIPPING", "billing", "late-delivery", "late_delivery", "Réclamation",
              "reclamation", "account", "", "refund"]
    assert label_spelling_variants(labels) == [
        ["Réclamation", "reclamation"], ["SHIPPING", "Shipping", "shipping "], ["late-delivery", "late_delivery"]
    ]
    assert label_spelling_variants(["billing", "shipping", "account"]) == []
