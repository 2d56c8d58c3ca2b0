"""Known recall misses of the rule-based detector, closed by general rules (second batch): a name held together by
a particle (Malay "binte", "bin", "binti"; "de la", "van der"), a family name in capitals before given names after
a register's label ("Nom : DUPONT Marie", "Name: NGUYEN Van An"), one name outside the gazetteers after "ask for",
"calling for" or "speak to", and English digits read out with a phone's word on the line above. Each category has
its hard negatives: the rule must not take a product, a place, a department, a refund, help or an order number."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from finetune_platform.curation import PiiRedactor, pii, spoken_names

R = PiiRedactor()


def spans(text: str, kind: str) -> list[str]:
    return [m.value for m in R.find(text) if m.type == kind]


@pytest.mark.parametrize("module", [pii, spoken_names])
def test_the_detectors_source_has_no_invalid_escape_sequence(module):
    # "\Z" in a plain string literal is a DeprecationWarning now and a SyntaxWarning from Python 3.12 on
    source = Path(module.__file__).read_text(encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile(source, module.__file__, "exec")
