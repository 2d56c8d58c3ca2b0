"""End to end: the whole asset graph on a small configuration, then the outputs' content.

Generates a small demo corpus into a temporary project root, runs ``retrain_job`` and ``monitor_job``
through Dagster exactly as ``make demo`` does (smaller model and budgets), and checks what came out:
counts reconcile, no raw PII reaches the training set, the DVC version is recorded everywhere, and the
registered model loads from the registry and answers.
"""

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from finetune_platform.cli import partition_metadata
from finetune_platform.definitions import build_definitions
from finetune_platform.defs.partitions import SOURCE_PARTITIONS
from finetune_platform.ingest.demo_data import generate_demo_corpus
from finetune_platform.settings import PACKAGE_ROOT, Settings

pytestmark = pytest.mark.slow

#: A small configuration: a tiny model, a short pretraining and fine-tune, a small evaluation. The gates
#: stay on but with margins a 40-step model can meet; their blocking behaviour is tested in defs/test_gates.py.
SMALL_RUN_CONFIG = {
    "ops": {
        "base_model": {
            "config": {
                "hidden_size": 64,
                "num_layers": 2,
                "num_heads": 2,
                "intermediate_size": 192,
                "vocab_size": 800,
                "pretrain_steps": 20,
                "batch_size": 8,
                "seq_len": 64,
            }
        },
        "domain_adapted_model": {"config": {"enabled": True, "max_steps": 6, "batch_size": 4, "seq_len": 64, "save_steps": 3}},
        "sft_adapter": {"config": {"max_steps": 40, "batch_size": 16, "save_steps": 20, "logging_steps": 5, "export_merged": True}},
        # the 800-token vocabulary splits text finely: a reply or two of the corpus pass SFT's max_length (256)
        "base_model_base_model__renders_training_data": {"config": {"max_too_long_share": 0.01}},
        "aligned_adapter": {"config": {"max_steps": 4, "batch_size": 4, "min_pairs": 10, "save_steps": 2}},
        "eval_report": {"config": {"max_classify_examples": 40, "max_perplexity_examples": 40, "max_reply_examples": 10, "min_accuracy_gain": 0.0, "min_examples": 10, "champion_margin": -1.0}},
    }
}


def _metadata(instance: dg.DagsterInstance, asset: str) -> dict:
    record = instance.fetch_materializations(dg.AssetKey(asset), limit=1).records[0]
    return {k: getattr(v, "value", v) for k, v in record.asset_materialization.metadata.items()}


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("project")
    (root / "data").mkdir()
    for name in ("sources.yaml", "curation.yaml"):  # the shipped configuration, as `make demo` reads it
        (root / "data" / name).write_text((PACKAGE_ROOT / "data" / name).read_text())
    settings = Settings.for_root(root)
    summary = generate_demo_corpus(settings.raw_dir, n_tickets=240, seed=7)
    defs = build_definitions(settings)
    (root / ".dagster_home").mkdir()
    with dg.instance_for_test(temp_dir=str(root / ".dagster_home")) as instance:
        sources = ["chats", "emails", "notes"]
        instance.add_dynamic_partitions(SOURCE_PARTITIONS.name, sources)
        for source in sources:
            ingest = defs.resolve_job_def("ingest_job").execute_in_process(
                instance=instance, partition_key=source, raise_on_error=False
            )
            assert ingest.success, source
        retrain = defs.resolve_job_def("retrain_job").execute_in_process(
            instance=instance, run_config=SMALL_RUN_CONFIG, raise_on_error=False
        )
        from finetune_platform.demo import last_full_day, simulate_production

        simulate_production(settings, n=120, days=1)
        monitor = defs.resolve_job_def("monitor_job").execute_in_process(
            instance=instance, raise_on_error=False, partition_key=last_full_day()
        )
        yield settings, summary, instance, retrain, monitor


def test_both_jobs_succeed_with_every_check_passing(loop) -> None:
    _, _, _, retrain, monitor = loop
    assert retrain.success and monitor.success
    evaluations = [
        e.asset_check_evaluation_data for e in retrain.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    assert len(evaluations) >= 8
    assert all(e.passed for e in evaluations), [e.check_name for e in evaluations if not e.passed]


def test_counts_reconcile_from_raw_rows_to_examples(loop) -> None:
    settings, summary, instance, _, _ = loop
    per_source = partition_metadata(instance, "raw_corpus")
    assert set(per_source) == {"chats", "emails", "notes"}
    for source, meta in per_source.items():
        assert meta["rows_read"] == summary.rows[source]
        assert meta["rows_read"] == meta["rows_kept"] + meta["rows_quarantined"]
        rows = meta["rows_kept"]
        for asset in ("normalized_records", "pii_redacted_records", "scored_records"):
            stage = partition_metadata(instance, asset)[source]
            assert stage["rows_in"] == rows and rows == stage["rows"] + stage["rows_dropped"], (source, asset)
            assert stage["settings_from"] == "data/curation.yaml", (source, asset)  # the shipped file, read by the run
            rows = stage["rows"]
    # the PII stage's metadata names what it found, type by type (the demo plants e-mails and names in chats)
    pii = partition_metadata(instance, "pii_redacted_records")["chats"]
    assert pii["records_with_pii"] > 0
    assert "| EMAIL " in pii["pii_by_type"] and "| PERSON " in pii["pii_by_type"], pii["pii_by_type"]
    rows = sum(partition_metadata(instance, "scored_records")[s]["rows"] for s in per_source)
    for asset in ("deduplicated_records", "curated_records"):
        meta = _metadata(instance, asset)
        assert meta["rows_in"] == rows and meta["rows_in"] == meta["rows"] + meta["rows_dropped"], asset
        rows = meta["rows"]
    tset = _metadata(instance, "training_set")
    total = tset["train_examples"] + tset["validation_examples"] + tset["test_examples"]
    assert total == _metadata(instance, "instruction_examples")["examples"]


def test_no_raw_pii_in_the_training_set(loop) -> None:
    settings, summary, _, _, _ = loop
    text = "\n".join(
        pd.read_parquet(settings.training_set_dir / f"{s}.parquet")[["prompt", "completion"]].to_string()
        for s in ("train", "validation", "test")
    )
    assert "<EMAIL_" in text or "<PHONE_" in text  # the corpus had PII and it was replaced
    for kind in ("email", "card"):
        for value in summary.pii_values[kind]:
            assert value not in text, f"raw {kind} {value!r} reached the training set"


def test_dvc_version_is_recorded_from_training_set_to_mlflow_and_registry(loop) -> None:
    settings, _, instance, _, _ = loop
    md5 = _metadata(instance, "training_set")["dvc_md5"]
    assert md5.endswith(".dir")
    assert (settings.root / "data" / "training_set.dvc").read_text().count(md5.removesuffix(".dir")) == 1
    sft = _metadata(instance, "sft_adapter")
    assert sft["dvc_md5"] == md5
    from finetune_platform.training.tracking import MlflowTracker

    run = MlflowTracker(settings.mlflow_tracking_uri, "finetune-platform").client.get_run(sft["mlflow_run_id"])
    assert run.data.tags["dataset.dvc_md5"] == md5
    assert "final_train_loss" in run.data.metrics and "eval.candidate.accuracy" in run.data.metrics
    assert float(run.data.params["sft.learning_rate"]) > 0  # the rate it trained with, not None (method default)


def test_training_ran_in_a_subprocess_that_streamed_each_step(loop) -> None:
    """sft_adapter trains in a child process (Dagster Pipes): its per-step lines reached the run's logs and
    its per-step metrics (loss, learning rate, throughput) reached the stage's MLflow run as it trained."""
    settings, _, instance, retrain, _ = loop
    messages = [e.user_message for e in instance.all_logs(retrain.run_id)]
    assert any("launching training:" in m and "finetune_platform.training.entrypoint" in m for m in messages)
    assert any(m.startswith("step 40:") and " loss=" in m for m in messages)
    sft = _metadata(instance, "sft_adapter")
    assert sft["save_check"]["passed"] is True
    from finetune_platform.training.tracking import MlflowTracker

    tracker = MlflowTracker(settings.mlflow_tracking_uri, "finetune-platform")
    losses = tracker.metric_history(sft["mlflow_run_id"], "loss")
    assert [step for step, _ in losses] == [1, 5, 10, 15, 20, 25, 30, 35, 40]
    assert len(tracker.metric_history(sft["mlflow_run_id"], "learning_rate")) == len(losses)
    assert all(v > 0 for _, v in tracker.metric_history(sft["mlflow_run_id"], "tokens_per_second"))
    dapt = _metadata(instance, "domain_adapted_model")
    assert dapt["skipped"] is False and dapt["global_step"] == 6
    # export_merged: one safetensors model folder that plain transformers loads, logged to MLflow too
    from transformers import AutoModelForCausalLM

    merged = Path(sft["merged_model"])
    assert (merged / "model.safetensors").is_file() and not (merged / "adapter_config.json").exists()
    assert AutoModelForCausalLM.from_pretrained(merged).num_parameters() > 0
    assert "merged_model" in tracker.list_artifacts(sft["mlflow_run_id"])


def test_a_sweep_trains_each_trial_as_a_partition_and_ranks_them(loop) -> None:
    settings, _, instance, _, _ = loop
    from finetune_platform.defs.automation import sweep_file_sensor
    from finetune_platform.defs.partitions import SWEEP_TRIALS
    from finetune_platform.resources import build_resources

    (settings.root / "data" / "sweep.yaml").write_text(
        "base: {max_steps: 12, batch_size: 16, logging_steps: 4, save_steps: 100}\n"
        "trials:\n  lora-r4: {method: lora, lora_r: 4, lora_alpha: 8}\n"
        "  full: {method: full, lora_modules_to_save: [], learning_rate: 0.001}\n"
    )
    defs = build_definitions(settings)
    platform = build_resources(settings)["platform"]
    with dg.build_sensor_context(instance=instance, resources={"platform": platform}) as context:
        first = sweep_file_sensor(context)
    assert first.dynamic_partitions_requests[0].partition_keys == ["lora-r4", "full"] and not first.run_requests
    instance.add_dynamic_partitions(SWEEP_TRIALS.name, ["lora-r4", "full"])
    for trial in ("lora-r4", "full"):
        result = defs.resolve_job_def("sweep_job").execute_in_process(instance=instance, partition_key=trial, raise_on_error=False)
        assert result.success, trial
    with dg.build_sensor_context(instance=instance, resources={"platform": platform}) as context:
        ready = sweep_file_sensor(context)
    assert len(ready.run_requests) == 1  # every trial trained: compare
    compare = defs.resolve_job_def("sweep_compare_job").execute_in_process(instance=instance, raise_on_error=False)
    assert compare.success
    table = compare.output_for_node("sweep_comparison")
    assert sorted(table["trial"]) == ["full", "lora-r4"] and list(table["rank"]) == [1, 2]
    assert table["accuracy"].is_monotonic_decreasing and table["global_step"].tolist() == [12, 12]
    assert set(table["method"]) == {"lora", "full"}
    meta = _metadata(instance, "sweep_comparison")
    assert meta["best_trial"] == table["trial"].iloc[0] and meta["not_trained"] == "none"
    with dg.build_sensor_context(instance=instance, resources={"platform": platform}) as context:
        after = sweep_file_sensor(context)
    assert not after.run_requests  # nothing new since the comparison

    # A trial taken out of the file keeps its partition, but is no longer compared.
    (settings.root / "data" / "sweep.yaml").write_text(
        "base: {max_steps: 12, batch_size: 16}\ntrials:\n  full: {method: full, lora_modules_to_save: []}\n"
    )
    again = defs.resolve_job_def("sweep_compare_job").execute_in_process(instance=instance, raise_on_error=False)
    assert again.success and again.output_for_node("sweep_comparison")["trial"].tolist() == ["full"]


def test_registered_model_loads_and_answers(loop) -> None:
    settings, _, instance, _, _ = loop
    registered = _metadata(instance, "registered_model")
    assert registered["version"] == 1
    assert "champion" in registered["aliases"] and "challenger" in registered["aliases"]
    from finetune_platform.serving.registry import ModelRegistry

    model = ModelRegistry(settings.mlflow_tracking_uri, settings.model_name).load("champion")
    prompt = "### Task: classify\n### Ticket:\nMy invoice shows a double charge this month.\n### Category:\n"
    answers = model.predict([prompt], params={"max_new_tokens": 8})
    assert len(answers) == 1 and isinstance(answers[0], str)


def test_knowledge_index_is_published_and_the_champion_answers_with_it(loop) -> None:
    """Hybrid RAG end to end: the retrain run published an index of the curated records that passed its
    gates, and the registered champion answers a chat request with passages from it in the prompt."""
    from fastapi.testclient import TestClient

    from finetune_platform.rag.index import current_index_path
    from finetune_platform.serving.registry import ModelRegistry
    from finetune_platform.serving.server import RegistryBackend, ServerSettings, create_app

    settings, _, instance, _, _ = loop
    meta = _metadata(instance, "knowledge_index")
    curated = _metadata(instance, "curated_records")
    assert meta["records"] == curated["rows"] and meta["passages"] >= meta["records"]
    assert meta["hit_rate_at_3"] >= 0.5 and meta["hit_rate_at_3"] > meta["chance_hit_rate"]
    assert current_index_path(settings.knowledge_index_dir).name == meta["fingerprint"][:16]
    backend = RegistryBackend.from_registry(ModelRegistry(settings.mlflow_tracking_uri, settings.model_name), "champion")
    app = create_app(ServerSettings(knowledge_index_path=str(settings.knowledge_index_dir)), {"champion": backend})
    with TestClient(app) as client:
        response = client.post(
            "/v1/chat/completions",
            json={"model": settings.model_name, "max_tokens": 8,
                  "messages": [{"role": "user", "content": "My invoice shows a double charge this month."}]},
        )
    assert response.status_code == 200, response.text
    passages = response.json()["retrieval"]["passages"]
    assert passages and response.json()["retrieval"]["index"] == meta["fingerprint"][:16]
    assert all(p["record_id"] for p in passages)


def test_monitoring_assets_report_on_the_simulated_traffic(loop) -> None:
    _, _, instance, _, _ = loop
    logs = _metadata(instance, "production_logs")
    assert logs["requests"] == 120
    drift = _metadata(instance, "drift_report")
    assert drift["verdict"] in {"drift", "no_drift"} and drift["production_texts"] == 120
    feedback = _metadata(instance, "feedback_set")
    assert feedback["feedback_rows"] > 0


def test_closed_loop_drift_from_served_traffic_triggers_a_retrain_that_registers_a_challenger(loop) -> None:
    """Serve the champion, send shifted traffic with negative feedback through the OpenAI client, run the
    monitoring job, see the sensor request retraining, run it, and find a new challenger in the registry."""
    import openai

    from finetune_platform.defs.automation import retrain_signal_sensor
    from finetune_platform.monitoring.simulate import synthetic_tickets
    from finetune_platform.monitoring.store import LogStore
    from finetune_platform.serving.registry import ModelRegistry
    from finetune_platform.serving.server import BackgroundServer, ServerSettings, create_app, load_backends

    settings, _, instance, _, _ = loop
    registry = ModelRegistry(settings.mlflow_tracking_uri, settings.model_name)
    store = LogStore(settings.log_store_url)
    app = create_app(ServerSettings(model_name=settings.model_name, cache_enabled=False), load_backends(registry), store)
    shifted = synthetic_tickets(80, seed=11, new_topics=True)
    with BackgroundServer(app) as server:
        client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused")
        import httpx

        for i, ticket in enumerate(shifted):
            answer = client.chat.completions.create(
                model=settings.model_name, messages=[{"role": "user", "content": ticket}], max_tokens=8, user=f"u{i}"
            )
            if i % 2 == 0:
                response = httpx.post(
                    f"{server.url}/v1/feedback",
                    json={"response_id": answer.id, "rating": -1, "correction": "Sorry about that, I will fix it."},
                    timeout=10,
                )
                assert response.status_code == 200, response.text
    served = store.requests_between(*_today())
    assert len(served) >= 80

    today = _today()[0].strftime("%Y-%m-%d")
    defs = build_definitions(settings)
    monitor = defs.resolve_job_def("monitor_job").execute_in_process(instance=instance, partition_key=today)
    assert monitor.success
    drift = _metadata(instance, "drift_report")
    assert drift["drift_detected"] is True, drift.get("report")

    from finetune_platform.resources import PlatformResource

    sensor = retrain_signal_sensor(
        dg.build_sensor_context(instance=instance, resources={"platform": PlatformResource(root=str(settings.root))})
    )
    assert isinstance(sensor, dg.SensorResult) and sensor.run_requests
    request = sensor.run_requests[0]
    assert request.tags["finetune_platform/trigger"] == "drift_report"

    # the day's corrections of chat answers were written, with their conversations, as a batch of the
    # `feedback_chats` source; the raw-files sensor ingests that source
    from finetune_platform.defs.automation import raw_files_sensor
    from finetune_platform.resources import PlatformResource

    assert (settings.raw_dir / "feedback_chats" / f"{today}.jsonl").exists()
    assert not (settings.raw_dir / "feedback" / f"{today}.jsonl").exists()  # no plain (completions) correction
    files = raw_files_sensor(
        dg.build_sensor_context(instance=instance, resources={"platform": PlatformResource(root=str(settings.root))})
    )
    instance.add_dynamic_partitions(SOURCE_PARTITIONS.name, ["feedback_chats"])
    assert "feedback_chats" in [r.partition_key for r in files.run_requests]
    ingest = defs.resolve_job_def("ingest_job").execute_in_process(instance=instance, partition_key="feedback_chats")
    assert ingest.success

    retrain = defs.resolve_job_def("retrain_job").execute_in_process(
        instance=instance, run_config=SMALL_RUN_CONFIG, tags=request.tags
    )
    assert retrain.success
    import json

    entries = json.loads((settings.training_set_dir / "manifest.json").read_text())["entries"]
    assert "feedback_chats" in {entry["source"] for entry in entries.values()}, "corrections did not reach the training set"
    assert registry.get_by_alias("challenger").version == 2
    assert _metadata(instance, "registered_model")["version"] == 2
    aligned = _metadata(instance, "aligned_adapter")
    version_tags = registry.get_version(2).tags
    if aligned["skipped"]:  # too few preference pairs: the SFT model is the candidate, no DPO data to trace
        assert "dataset.preference_pairs_sha256" not in version_tags, aligned
    else:  # the aligned model's lineage names the pairs it learned from
        assert len(version_tags["dataset.preference_pairs_sha256"]) == 64 and "dpo.mlflow_run_id" in version_tags
    print("aligned_adapter:", {k: aligned.get(k) for k in ("skipped", "pairs", "reason")})


def _today():
    from datetime import datetime, time, timedelta, timezone

    start = datetime.combine(datetime.now(timezone.utc).date(), time(0), tzinfo=timezone.utc)
    return start, start + timedelta(days=1)


def test_a_specialist_is_trained_judged_against_the_generalist_and_served_behind_the_router(loop) -> None:
    """Specialists end to end (last in this module: it registers model versions): the file's specialists
    become partitions, one trains on its labels only and is deployed exactly when it beats the generalist
    on its domain, the router learns the domains, and the server sends that domain's requests to the
    specialist (or, when it was not deployed, to the generalist, saying why)."""
    from fastapi.testclient import TestClient

    from finetune_platform.defs.automation import specialists_file_sensor
    from finetune_platform.defs.partitions import SPECIALIST_PARTITIONS
    from finetune_platform.resources import build_resources
    from finetune_platform.serving.registry import ModelRegistry
    from finetune_platform.serving.server import ServerSettings, create_app, load_backends

    settings, _, instance, _, _ = loop
    (settings.root / "data" / "specialists.yaml").write_text(
        "min_confidence: 0.4\nspecialists:\n"
        "  billing:\n    labels: [billing, refund]\n    settings: {max_steps: 12, batch_size: 16, save_steps: 100}\n"
        "  technical:\n    labels: [technical_issue, product_question]\n"
    )
    defs = build_definitions(settings)
    platform = build_resources(settings)["platform"]
    with dg.build_sensor_context(instance=instance, resources={"platform": platform}) as context:
        added = specialists_file_sensor(context)
    assert added.dynamic_partitions_requests[0].partition_keys == ["billing", "technical"]
    instance.add_dynamic_partitions(SPECIALIST_PARTITIONS.name, ["billing", "technical"])
    run = defs.resolve_job_def("specialists_job").execute_in_process(
        instance=instance, partition_key="billing", raise_on_error=False,
        run_config={"ops": {"specialist_model": {"config": {"eval_examples": 20}}}},
    )
    assert run.success
    value = run.output_for_node("specialist_model")
    accuracy = value["domain_accuracy"]
    assert value["train_examples"] > 0 and value["eval_examples"] > 0 and accuracy["incumbent"] is None
    registry = ModelRegistry(settings.mlflow_tracking_uri, settings.model_name)
    deployed = accuracy["specialist"] > accuracy["champion"]
    assert (value["decision"] == "new") == deployed, value["reason"]
    serving = registry.get_by_alias("specialist-billing")
    assert (serving.version if serving else None) == (value["version"] if deployed else None)
    assert registry.get_version(value["version"]).tags["specialist"] == "billing"

    router_run = defs.resolve_job_def("router_job").execute_in_process(instance=instance, raise_on_error=False)
    assert router_run.success
    report = router_run.output_for_node("router")["report"]
    assert report["specialist_precision"] >= 0.9 and report["coverage"] > 0.5
    app = create_app(
        ServerSettings(router_path=str(settings.artifacts_dir / "router")),
        load_backends(registry, specialists=["billing", "technical"]),
    )
    with TestClient(app) as client:
        response = client.post(
            "/v1/chat/completions",
            json={"model": settings.model_name, "max_tokens": 4,
                  "messages": [{"role": "user", "content": "I was charged twice for my subscription this month, please "
                                                      "refund the duplicate charge on my card"}]},
        )
    assert response.status_code == 200, response.text
    routing = response.json()["routing"]
    assert routing["domain"] == "billing"
    if deployed:
        assert routing["variant"] == "specialist-billing" and routing["fallback"] is None
    else:
        assert routing["variant"] == "champion" and routing["fallback"] == "not_deployed"
