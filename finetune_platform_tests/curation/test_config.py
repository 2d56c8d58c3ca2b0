"""CurationSettings bounds and cross-field rules, and the stage input checks."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from finetune_platform.curation import CurationSettings, curate
from finetune_platform.curation.config import check_input

from .tickets import records


def test_defaults_are_valid_and_flat():
    s = CurationSettings()
    # Dagster config cannot hold nested models: every field is a scalar or a list of scalars.
    for name, value in s.model_dump().items():
        assert isinstance(value, (str, int, float, bool, list)), name
    assert s.phone_regions == ["US", "GB", "DE", "FR"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_text_chars": 50, "max_text_chars": 40}, "min_text_chars (50) must be below max_text_chars (40)"),
        ({"ideal_min_words": 10, "ideal_max_words": 5}, "ideal_min_words (10) must be below ideal_max_words (5)"),
        (
            {"weight_completeness": 0, "weight_length": 0, "weight_repetition": 0, "weight_relevance": 0, "weight_tone": 0},
            "At least one quality weight",
        ),
        ({"pii_types": ["EMAIL", "PASSPORT"]}, "unknown types ['PASSPORT']"),
        ({"phone_regions": ["US", "XX"]}, "unknown regions ['XX']"),
        ({"phone_regions": []}, "phone_regions is empty while PHONE is in pii_types"),
    ],
)
def test_cross_field_rules_say_what_to_change(kwargs, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        CurationSettings(**kwargs)


def test_bounds_and_unknown_fields_are_rejected():
    with pytest.raises(ValidationError):
        CurationSettings(min_quality_score=1.5)
    with pytest.raises(ValidationError):
        CurationSettings(near_dup_treshold=0.5)  # typo: extra fields are forbidden


def test_phone_regions_can_be_empty_without_phone_detection():
    assert CurationSettings(pii_types=["EMAIL"], phone_regions=[]).phone_regions == []


def test_missing_columns_name_the_columns():
    df = records({"text": "hello there"}).drop(columns=["messages", "label"])
    with pytest.raises(ValueError, match=r"without columns \['label', 'messages'\]"):
        curate(df)


def test_duplicate_record_ids_are_refused():
    df = records({"text": "a b c d"}, {"text": "e f g h"})
    df["record_id"] = "same"
    with pytest.raises(ValueError, match="duplicate record_id values, e.g. \\['same'\\]"):
        check_input(df, "dedup")


def test_dedup_needs_quality_score():
    from finetune_platform.curation import deduplicate

    with pytest.raises(ValueError, match=r"\['quality_score'\].*run the earlier stages first"):
        deduplicate(records({"text": "abc"}), CurationSettings())


def test_lsh_candidate_threshold_must_not_exceed_the_near_dup_threshold():
    with pytest.raises(ValidationError, match=re.escape("lsh_candidate_threshold (0.9) must be at most near_dup_threshold (0.8)")):
        CurationSettings(lsh_candidate_threshold=0.9)
    s = CurationSettings(near_dup_threshold=0.7, lsh_candidate_threshold=0.7)
    assert (s.near_dup_method, s.num_perm) == ("minhash_lsh", 128)
