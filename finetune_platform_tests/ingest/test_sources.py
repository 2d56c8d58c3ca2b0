"""Source settings: defaults, validation rules, and the sources-file loader's error messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from finetune_platform.ingest import NoFilesMatchedError, SourceConfigError, SourceSettings, ingest_source, load_sources
from finetune_platform.ingest.demo_data import demo_sources
from finetune_platform.settings import PACKAGE_ROOT


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_checked_in_sources_file_matches_the_demo_sources():
    from finetune_platform.monitoring.feedback_source import FEEDBACK_SOURCES

    configured = load_sources(PACKAGE_ROOT / "data" / "sources.yaml")
    assert configured[:-2] == demo_sources()
    assert [s.model_copy(update={"description": None}) for s in configured[-2:]] == [
        s.model_copy(update={"description": None}) for s in FEEDBACK_SOURCES
    ]


def test_a_text_category_csv_needs_only_three_settings_besides_the_name(tmp_path):
    raw = tmp_path / "raw"
    _write(
        raw / "snips" / "part1.csv", 'text,category\nplay some jazz,PlayMusic\n"will it rain\nin Paris",GetWeather\n'
    )
    config = _write(
        tmp_path / "sources.yaml",
        "sources:\n  - name: snips\n    path: snips/*.csv\n    format: csv\n    label_field: category\n",
    )
    (source,) = load_sources(config)
    result = ingest_source(source, raw)

    assert result.quarantine.empty
    assert result.records["record_id"].tolist() == ["snips/snips/part1.csv#1", "snips/snips/part1.csv#2"]
    assert result.records["text"].tolist() == ["play some jazz", "will it rain\nin Paris"]
    assert result.records["label"].tolist() == ["PlayMusic", "GetWeather"]
    assert result.records["doc_type"].tolist() == ["document", "document"]
    assert result.records["response"].tolist() == ["", ""]


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("sources: [", "not valid YAML"),
        ("- name: a\n", "expected a mapping with a 'sources' list"),
        ("sources: []\n", "'sources' is empty"),
        (
            "sources:\n  - name: a\n    path: a/*\n    format: jsonl\nsettings: {}\n",
            "unknown top-level keys ['settings']",
        ),
        ("sources:\n  - just-a-string\n", "sources[0] must be a mapping"),
        (
            "sources:\n  - name: ok\n    path: a/*\n    format: jsonl\n  - name: bad\n    path: b/*\n    format: xlsx\n",
            "sources[1] (name 'bad'): field 'format': Input should be 'jsonl', 'json', 'csv', 'parquet', 'text', "
            "'alpaca', 'sharegpt' or 'openai_chat'",
        ),
        (
            "sources:\n  - name: Bad/Name\n    path: a/*\n    format: csv\n",
            "sources[0] (name 'Bad/Name'): field 'name': String should match pattern",
        ),
        ("sources:\n  - name: a\n    format: csv\n", "sources[0] (name 'a'): field 'path': Field required"),
        (
            "sources:\n  - name: a\n    path: a/*\n    format: csv\n    lable_field: x\n",
            "sources[0] (name 'a'): field 'lable_field': no such setting (did you mean 'label_field'?). A source's "
            "settings are: name, path, format, doc_type, text_field, title_field, response_field, label_field,",
        ),
        (
            "sources:\n  - name: a\n    path: a/*\n    format: csv\n  - name: a\n    path: b/*\n    format: csv\n",
            "sources[1] (name 'a'): duplicate source name 'a' (also sources[0])",
        ),
        (
            "sources:\n  - name: a\n    path: a/*\n    format: csv\n    max_record_bytes: 10\n",
            "field 'max_record_bytes': Input should be greater than or equal to 1024",
        ),
        (  # PyYAML would keep the second silently: the source would be read as jsonl
            "sources:\n  - name: a\n    path: a/*\n    format: csv\n    format: jsonl\n",
            "key 'format' appears twice in one mapping",
        ),
    ],
)
def test_load_sources_errors_name_the_file_entry_and_field(tmp_path, yaml_text, expected):
    path = _write(tmp_path / "my_sources.yaml", yaml_text)
    with pytest.raises(SourceConfigError) as error:
        load_sources(path)
    message = str(error.value)
    assert message.startswith(str(path))
    assert expected in message


def test_load_sources_missing_file(tmp_path):
    with pytest.raises(SourceConfigError, match="sources file not found"):
        load_sources(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"format": "jsonl", "messages_field": "messages", "text_field": "body"}, "messages_field is set"),
        ({"format": "jsonl", "messages_field": "messages", "response_field": "reply"}, "remove ['response_field']"),
        ({"format": "text", "label_field": "category"}, "format 'text' reads each file as one record"),
        ({"format": "jsonl", "csv_delimiter": ";"}, "csv_delimiter applies to format 'csv' only"),
        ({"format": "csv", "csv_delimiter": ";;"}, "String should match pattern"),
        ({"format": "csv", "csv_delimiter": '"'}, "String should match pattern"),
        # two mappings naming one column: a label or response that copies the text
        (
            {"format": "csv", "label_field": "text"},
            "text_field and label_field both name the column 'text'",
        ),
        (
            {"format": "csv", "text_field": "body", "label_field": "body", "response_field": "body"},
            "text_field, response_field and label_field all name the column 'body':",
        ),
        ({"format": "parquet", "title_field": "subject", "response_field": "subject"}, "name the column 'subject'"),
        ({"format": "jsonl", "messages_field": "messages", "label_field": "messages"}, "name the column 'messages'"),
    ],
)
def test_settings_that_would_be_silently_ignored_are_rejected(settings, expected):
    with pytest.raises(ValueError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        SourceSettings(name="s", path="x/*", **settings)


def test_a_sources_file_mapping_one_column_twice_is_rejected_naming_the_entry(tmp_path):
    path = _write(
        tmp_path / "sources.yaml",
        "sources:\n  - name: a\n    path: a/*.csv\n    format: csv\n    label_field: text\n    response_field: text\n",
    )
    with pytest.raises(SourceConfigError) as error:
        load_sources(path)
    assert str(error.value) == (
        f"{path}: sources[0] (name 'a'): field '(entry)': Value error, text_field, response_field and label_field all "
        "name the column 'text' (text_field's default): each field mapping must name a column of its own (a label or "
        "response that copies the text would be trained on as if it were one); fix the mapping."
    )
    # a messages source does not read text_field: its default clashes with nothing
    assert SourceSettings(name="m", path="m/*", format="jsonl", messages_field="messages", label_field="text")


def test_a_pattern_matching_no_file_is_an_error_that_says_so(tmp_path):
    (tmp_path / "chats").mkdir()  # a folder alone is not a file
    source = SourceSettings(name="chats", path="chats/*.jsonl", format="jsonl")
    with pytest.raises(
        NoFilesMatchedError, match=r"source 'chats': path pattern 'chats/\*\.jsonl' matched no files under"
    ):
        ingest_source(source, tmp_path)


def test_absolute_and_recursive_patterns(tmp_path):
    _write(tmp_path / "elsewhere" / "a" / "one.jsonl", '{"text": "one"}\n')
    _write(tmp_path / "elsewhere" / "b" / "c" / "two.jsonl", '{"text": "two"}\n')
    raw = tmp_path / "raw"
    raw.mkdir()
    source = SourceSettings(name="abs", path=str(tmp_path / "elsewhere" / "**" / "*.jsonl"), format="jsonl")
    assert [p.name for p in source.resolve_files(raw)] == ["one.jsonl", "two.jsonl"]
    result = ingest_source(source, raw)
    # outside the raw folder the file keeps its absolute path, so the record id still points at it
    assert result.records["source_file"].tolist() == [
        (tmp_path / "elsewhere" / "a" / "one.jsonl").resolve().as_posix(),
        (tmp_path / "elsewhere" / "b" / "c" / "two.jsonl").resolve().as_posix(),
    ]


def test_a_pattern_that_names_a_folder_or_holds_a_bracket_says_how_to_write_it(tmp_path):
    from finetune_platform.ingest.sources import NoFilesMatchedError

    (tmp_path / "tickets").mkdir()
    (tmp_path / "tickets" / "t.jsonl").write_text('{"text": "hi"}\n', encoding="utf-8")
    (tmp_path / "export[1].csv").write_text("text\nhi\n", encoding="utf-8")
    with pytest.raises(NoFilesMatchedError, match=r"It names a folder: add the files' pattern, e\.g\. 'tickets/\*\.jsonl'"):
        SourceSettings(name="t", path="tickets", format="jsonl").resolve_files(tmp_path)
    with pytest.raises(NoFilesMatchedError, match=r"write it as '\[\[\]' \(a '\[1\]' as '\[\[\]1\]'\)"):
        SourceSettings(name="e", path="export[1].csv", format="csv").resolve_files(tmp_path)
    assert SourceSettings(name="e", path="export[[]1].csv", format="csv").resolve_files(tmp_path)
