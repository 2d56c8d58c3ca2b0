"""Ground truth from the demo corpus's generator: every personal value it planted is known, so none may reach
the curated records, whatever the detectors' own checks say (they cannot see what they miss)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from finetune_platform.curation import CurationSettings, curate
from finetune_platform.curation.names import AMBIGUOUS_FIRST_NAMES
from finetune_platform.ingest import ingest_sources
from finetune_platform.ingest.demo_data import demo_sources, generate_demo_corpus


def test_no_value_the_demo_corpus_planted_survives_curation(tmp_path: Path) -> None:
    summary = generate_demo_corpus(tmp_path, n_tickets=600, seed=3)
    records = curate(ingest_sources(demo_sources(), tmp_path).records, CurationSettings()).records
    turns = [turn["content"] for chat in records["messages"] if chat for turn in json.loads(chat)]
    curated = "\n".join(records["text"].tolist() + records["response"].tolist() + turns)
    leaks = []
    for kind, values in summary.pii_values.items():
        for value in sorted(set(values)):
            # in any case, as the corpus writes some tickets in lower case ("hey it's ahmed!", "lindenstraße 61,
            # 80705 münchen"); a name that is also a word only as written ("Grace", not the "grace period")
            word = any(w in AMBIGUOUS_FIRST_NAMES for w in value.split())
            for m in re.finditer(rf"(?<!\w){re.escape(value)}(?!\w)", curated, 0 if word else re.IGNORECASE):
                leaks.append((kind, value, curated[max(0, m.start() - 60):m.end() + 20]))
    assert sum(len(set(v)) for v in summary.pii_values.values()) > 300  # names, e-mails, phones, cards, addresses
    assert not leaks, f"{len(leaks)} planted values survived curation, e.g. {leaks[:5]}"
