"""Shared fixtures for the curation tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from finetune_platform.curation import CurationSettings

DATA = Path(__file__).parent / "data"


@pytest.fixture
def settings() -> CurationSettings:
    return CurationSettings()


@pytest.fixture(scope="session")
def pii_labelled() -> list[dict]:
    with (DATA / "pii_labelled.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]
