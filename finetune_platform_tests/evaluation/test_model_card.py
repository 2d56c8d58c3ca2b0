"""The model card: every section rendered from one dict, and the list of what is missing."""

from __future__ import annotations

import pandas as pd

from finetune_platform.evaluation.model_card import model_card_inputs_complete, render_model_card
from finetune_platform.evaluation.slices import metrics_by_slice


def _info() -> dict:
    predictions = pd.DataFrame({
        "label": ["billing"] * 30 + ["login"] * 5,
        "prediction": ["billing"] * 28 + ["login"] * 2 + ["login"] * 5,
        "source": ["chat"] * 30 + ["email"] * 5,
    })
    return {
        "model_name": "support-assistant",
        "model_version": "7",
        "base_model": {"name": "tiny-llama-1.4m", "licence": "Apache-2.0", "source": "built locally", "parameters": 1_400_000},
        "data": {
            "versions": [{"name": "training_set", "dvc_md5": "3f2a9c0d1e.dir", "path": "data/training_set"}],
            "sources": [{"source": "chats", "records": 1200}, {"source": "emails", "records": 300}],
            "splits": {"train": 1200, "validation": 150, "test": 150},
        },
        "training": {"method": "full", "epochs": 3, "learning_rate": 0.0005, "git_commit": "abc123"},
        "evaluation": {
            "models": {
                "champion": {"name": "champion", "accuracy": 0.81, "perplexity": 3.2, "n_classify": 150, "seconds": 4.0, "errors": []},
                "base": {"name": "base", "accuracy": 0.12, "perplexity": 40.0, "n_classify": 150, "seconds": 3.0},
                "candidate": {"name": "candidate", "accuracy": 0.86, "macro_f1": 0.8, "perplexity": 2.9, "n_classify": 150, "seconds": 4.2},
            },
            "gate": {"passed": True, "reason": "accuracy 0.860 beats the base (0.120) by +0.740"},
            "slices": metrics_by_slice(predictions, ["source"], min_n=20),
        },
        "human_eval": {"verdict": "candidate preferred", "win_rate": 0.71, "win_rate_ci": (0.6, 0.8), "n_ratings": 80,
                       "n_items": 40, "n_raters": 2, "candidate_wins": 55, "champion_wins": 18, "ties": 7,
                       "agreement": {"metric": "krippendorff_alpha", "value": 0.52}},
        "intended_use": "Routing and drafting replies to customer-support tickets, reviewed by an agent.",
        "limitations": ["Trained on English tickets only.", "Never saw the 'refund' category."],
        "out_of_scope": "Legal or medical advice.",
    }


def test_a_complete_card_renders_every_section():
    info = _info()
    assert model_card_inputs_complete(info) == []
    card = render_model_card(info)
    assert card.startswith("# Model card: support-assistant (version 7)\n")
    assert "Incomplete card" not in card and "Not provided" not in card
    for expected in (
        "- **Licence**: Apache-2.0",
        "- **Parameters**: 1,400,000",
        "`3f2a9c0d1e.dir`",
        "| chats ",
        "train 1,200, validation 150, test 150",
        "| git_commit ",
        "**Evaluation gate PASSED**",
        "- **Candidate win rate** (ties count half): 0.710 (CI 0.600-0.800)",
        "- **Agreement** (krippendorff_alpha): 0.520",
        "- Never saw the 'refund' category.",
        "- Legal or medical advice.",
        "1 slice(s) are below the minimum size",
    ):
        assert expected in card, expected


def test_evaluation_table_orders_models_and_metrics():
    card = render_model_card(_info())
    table = card[card.index("## Evaluation"):card.index("**Evaluation gate")]
    header = next(line for line in table.splitlines() if line.startswith("| model"))
    assert [c.strip() for c in header.strip("|").split("|")] == ["model", "accuracy", "macro_f1", "perplexity", "n_classify"]
    rows = [line.split("|")[1].strip() for line in table.splitlines() if line.startswith("| ") and not line.startswith("| model")]
    assert rows == ["base", "candidate", "champion"]
    assert "seconds" not in header


def test_missing_sections_are_listed_and_shown():
    info = _info()
    del info["base_model"]["licence"]
    info["data"]["versions"] = [{"name": "training_set", "dvc_md5": ""}]
    info["evaluation"].pop("slices")
    info["limitations"] = []
    info.pop("human_eval")
    missing = model_card_inputs_complete(info)
    assert missing == ["base_model.licence", "evaluation.slices", "limitations", "data.versions[training_set].dvc_md5"]
    card = render_model_card(info)
    assert "> **Incomplete card**: missing base_model.licence, evaluation.slices, limitations" in card
    assert "**not provided**: check the licence before deploying" in card
    assert "No human evaluation was run for this model." in card
    assert card.count("_Not provided._") == 2


def test_us_spelling_of_license_and_dict_forms_are_accepted():
    info = _info()
    info["base_model"] = {"name": "tiny", "license": "MIT"}
    info["data"]["versions"] = {"training_set": "abc.dir"}
    info["data"]["sources"] = {"chats": 10}
    assert model_card_inputs_complete(info) == []
    card = render_model_card(info)
    assert "- **Licence**: MIT" in card and "`abc.dir`" in card


def test_an_empty_dict_lists_every_required_section():
    missing = model_card_inputs_complete({})
    assert "base_model.name" in missing and "evaluation.models.candidate" in missing and len(missing) == 11
    assert render_model_card({}).startswith("# Model card: unnamed model\n")


def test_pipes_in_text_do_not_break_tables():
    info = _info()
    info["training"]["note"] = "lr|warmup\nsecond line"
    card = render_model_card(info)
    assert "lr\\|warmup second line" in card
