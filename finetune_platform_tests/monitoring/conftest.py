"""Fixtures for the monitoring tests: a file-backed SQLite store with a simple, known redactor."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from finetune_platform.monitoring.store import LogStore

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def email_redactor(text: str, mapping: dict[Any, str]) -> str:
    """Replaces e-mail addresses only: enough to test that the store redacts every free-text field."""
    return _EMAIL.sub("<EMAIL>", text)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LogStore]:
    log_store = LogStore(f"sqlite:///{tmp_path / 'logs.db'}", redactor=email_redactor)
    yield log_store
    log_store.close()
