"""data/specialists.yaml is validated up front, and a specialist serves only when it beats the generalist."""

from __future__ import annotations

from pathlib import Path

import pytest

from finetune_platform.settings import PACKAGE_ROOT
from finetune_platform.specialists.deploy import decide
from finetune_platform.specialists.spec import SpecialistsError, alias_of, load_specialists


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "specialists.yaml"
    path.write_text(text)
    return path


def test_the_shipped_file_is_valid_and_a_missing_file_means_no_specialists(tmp_path: Path):
    spec = load_specialists(PACKAGE_ROOT / "data" / "specialists.yaml")
    assert set(spec.specialists) == {"billing", "technical"} and spec.domain_of()["refund"] == "billing"
    assert load_specialists(tmp_path / "none.yaml").specialists == {}
    assert alias_of("billing") == "specialist-billing"


def test_settings_changes_are_merged_and_validated(tmp_path: Path):
    spec = load_specialists(write(tmp_path, "specialists:\n  billing:\n    labels: [billing]\n    settings: {num_epochs: 5.0}\n"))
    assert spec.sft_settings("billing").num_epochs == 5.0
    with pytest.raises(SpecialistsError, match="no specialist named 'x'"):
        spec.sft_settings("x")


@pytest.mark.parametrize(
    "text, message",
    [
        ("specialists: [a, b]\n", "'specialists' must map names"),
        ("specialists:\n  Billing:\n    labels: [billing]\n", r"names \['Billing'\] must be"),
        ("specialists:\n  general:\n    labels: [billing]\n", r"names \['general'\] must be"),
        ("specialists:\n  a:\n    labels: [billing]\n  b:\n    labels: [billing, refund]\n", "label 'billing' belongs to both 'a' and 'b'"),
        ("specialists:\n  a:\n    labels: []\n", "specialists.a.labels"),
        ("specialists:\n  a:\n    labels: [x]\n    settings: {lora_rank: 8}\n", r"unknown SFT settings \['lora_rank'\]"),
        ("specialists:\n  a:\n    labels: [x]\n    settings: {lora_r: -1}\n", "specialist 'a': its settings are not a valid SFT configuration: lora_r"),
        ("min_confidence: 2\nspecialists: {}\n", "min_confidence"),
        ("specialists: {a: [1\n", "not valid YAML"),
        ("- just\n- a list\n", "must be a mapping"),
        # misspelt keys and a specialist written twice are errors, not silently ignored
        ("min_confidance: 0.95\nspecialists: {}\n", "min_confidance: Extra inputs are not permitted"),
        ("specialists:\n  a:\n    labels: [x]\n    setings: {num_epochs: 4}\n", "specialists.a.setings"),
        ("specialists:\n  a:\n    labels: [x]\n  a:\n    labels: [y]\n", "key 'a' appears twice in one mapping"),
    ],
)
def test_bad_files_are_refused_saying_where(tmp_path: Path, text: str, message: str):
    with pytest.raises(SpecialistsError, match=message):
        load_specialists(write(tmp_path, text))


def test_a_specialist_serves_only_when_it_beats_the_generalist_and_the_incumbent():
    assert decide("b", 0.95, 0.90, None, 0.0).serves == "new"
    assert decide("b", 0.95, 0.90, 0.93, 0.0).serves == "new"
    assert decide("b", 0.92, 0.90, 0.93, 0.0).serves == "incumbent"  # the serving one is better still
    tie = decide("b", 0.90, 0.90, None, 0.0)
    assert tie.serves == "none" and "generalist answers this domain" in tie.reason  # must be strictly better
    assert decide("b", 0.95, 0.90, None, 0.1).serves == "none"  # gain 0.05 under the required 0.1
    stale = decide("b", 0.80, 0.90, 0.85, 0.0)
    assert stale.serves == "none" and "no longer does either" in stale.reason  # the generalist improved
    orphan = decide("b", 0.99, None, None, 0.0)
    assert orphan.serves == "none" and "no generalist" in orphan.reason
