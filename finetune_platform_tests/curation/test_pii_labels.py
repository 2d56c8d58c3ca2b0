"""PII outside the prose fields: labels (a record whose label holds PII is dropped), names and ids read with
their underscores as spaces, placeholders a record quotes already, and quoting input redacted before it is cut."""

from __future__ import annotations

import json

import pytest

from finetune_platform.curation import CurationSettings, PiiRedactor, redact_pii
from finetune_platform.curation.pii import LABEL_PII_REASON, find_in_name, redact_name, redact_then_cut
from finetune_platform.formats.instructions import normalise_label
from finetune_platform.ingest.demo_data import CATEGORIES

from .tickets import records

R = PiiRedactor()

#: The intents and slot types of the SNIPS benchmark (/work/shared/datasets/snips), with the demo corpus's
#: categories: ordinary labels, none of which is PII in any spelling.
SNIPS_LABELS = (
    "AddToPlaylist", "BookRestaurant", "GetWeather", "PlayMusic", "RateBook", "SearchCreativeWork",
    "SearchScreeningEvent", "album", "artist", "best_rating", "city", "condition_description",
    "condition_temperature", "country", "cuisine", "current_location", "entity_name", "facility", "genre",
    "geographic_poi", "location_name", "movie_name", "movie_type", "music_item", "object_location_type",
    "object_name", "object_part_of_series_type", "object_select", "object_type", "party_size_description",
    "party_size_number", "playlist", "playlist_owner", "poi", "rating_unit", "rating_value", "restaurant_name",
    "restaurant_type", "served_dish", "service", "sort", "spatial_relation", "state", "timeRange", "track", "year",
)


@pytest.mark.parametrize(
    ("label", "pii_type"),
    [
        ("jane.doe@example.com", "EMAIL"),
        ("login +44 7911 123456", "PHONE"),
        ("login_+44_7911_123456", "PHONE"),  # as normalise_label writes it
        ("refund 4111 1111 1111 1111", "CREDIT_CARD"),
    ],
)
@pytest.mark.parametrize("redact", [True, False])
def test_a_record_whose_label_holds_pii_is_dropped_with_a_named_reason(label: str, pii_type: str, redact: bool) -> None:
    df = records(
        {"text": "my invoice is wrong", "response": "Fixed.", "label": "billing"},
        {"text": "I cannot log in, mail me at sam@example.org", "response": "Done.", "label": label},
    )
    result = redact_pii(df, CurationSettings(redact_pii=redact))
    assert result.records["record_id"].tolist() == ["r1"]
    assert result.records["label"].tolist() == ["billing"]
    [dropped] = result.dropped.to_dict("records")
    assert (dropped["record_id"], dropped["reason"]) == ("r2", LABEL_PII_REASON)
    assert f"({pii_type})" in dropped["detail"]
    assert label not in dropped["detail"] and "7911" not in dropped["detail"] and "@" not in dropped["detail"]
    assert result.stats["dropped_by_reason"] == {LABEL_PII_REASON: 1}


def test_ordinary_labels_are_no_pii() -> None:
    """No false alarm on real label sets, as written, in their normalised form, and read as words."""
    labels = {*SNIPS_LABELS, *CATEGORIES}
    forms = {f for label in labels for f in (label, normalise_label(label), label.title(), label.upper())}
    flagged = {form: [m.type for m in find_in_name(R, form)] for form in forms}
    assert {form: types for form, types in flagged.items() if types} == {}
    df = records(*({"text": "where is my order", "response": "On its way.", "label": label} for label in sorted(labels)))
    assert redact_pii(df, CurationSettings()).stats["rows_dropped"] == 0


def test_a_name_is_read_with_underscores_as_spaces() -> None:
    assert [m.type for m in R.find("login_+44_7911_123456")] == []  # what hid the number from the old scan
    assert [(m.type, m.value) for m in find_in_name(R, "login_+44_7911_123456")] == [("PHONE", "+44_7911_123456")]
    assert redact_name("login_+44_7911_123456", R) == "login_<PHONE_1>"
    assert redact_name("pii/export jane.doe@example.com.jsonl#3") == "pii/export <EMAIL_1>#3"
    assert redact_name("tickets/2024_03_export.csv#12") == "tickets/2024_03_export.csv#12"


def test_new_placeholders_are_numbered_after_those_the_record_quotes() -> None:
    """A customer quoting a placeholder ("your system masked it") keeps it; the new address gets the next
    number, not <EMAIL_1> again (two addresses would read as one), in every field of the record."""
    df = records(
        {
            "text": "My old address was <EMAIL_1> (your system masked it), new one is jane.doe@example.com",
            "response": "Updated <EMAIL_1> to jane.doe@example.com. Call +44 7911 123456",
        },
        {  # the quoted placeholder only in a turn, the highest number counts
            "text": "write to jane.doe@example.com",
            "response": "Done.",
            "messages": json.dumps([
                {"role": "user", "content": "write to jane.doe@example.com"},
                {"role": "assistant", "content": "Done. <EMAIL_3> and <PHONE_2> are on file."},
            ]),
        },
    )
    out = redact_pii(df, CurationSettings()).records
    assert out.loc[0, "text"] == "My old address was <EMAIL_1> (your system masked it), new one is <EMAIL_2>"
    assert out.loc[0, "response"] == "Updated <EMAIL_1> to <EMAIL_2>. Call <PHONE_1>"
    assert out.loc[1, "text"] == "write to <EMAIL_4>"
    assert json.loads(out.loc[1, "messages"])[0]["content"] == "write to <EMAIL_4>"
    assert json.loads(out.loc[1, "pii_counts"]) == {"EMAIL": 2}


def test_quoting_input_redacts_before_it_cuts() -> None:
    cell = '=HYPERLINK("http://x","jane.doe@example.com")'
    assert cell[:40] == '=HYPERLINK("http://x","jane.doe@example.'  # a cut first leaves an address no detector sees
    assert redact_then_cut(cell, 40) == '=HYPERLINK("http://x","<EMAIL_1>")'
    # a cut that would split a placeholder ends before it
    assert redact_then_cut("write to jane.doe@example.com today", 14) == "write to …"
    assert redact_then_cut("short", 40) == "short"
    assert len(redact_then_cut("x" * 100, 40)) == 40
