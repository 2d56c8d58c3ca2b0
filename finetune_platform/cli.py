"""The ``finetune-platform`` command.

- ``demo``: generate the demo corpus (if missing), run the training loop and the monitoring job through
  Dagster on the embedded defaults, and print where to look.
- ``generate-demo-data``: write the deterministic demo customer-support corpus.
- ``materialize``: run one of the platform's jobs into the project's Dagster instance.
- ``export``: write the versioned training set as Alpaca, ShareGPT or OpenAI chat for other tools.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from finetune_platform.settings import PACKAGE_ROOT, Settings, dagster_home, load_settings


def _instance(settings: Settings):
    """The project's Dagster instance (DAGSTER_HOME, default ``<root>/.dagster_home``) so runs show in the UI."""
    import shutil

    import dagster as dg

    home = dagster_home(settings)
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists() and (PACKAGE_ROOT / "dagster.yaml").exists():
        shutil.copy(PACKAGE_ROOT / "dagster.yaml", home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)  # dagster.yaml's storage reads it
    return dg.DagsterInstance.get()


def _latest_metadata(instance: Any, asset: str) -> dict[str, Any]:
    import dagster as dg

    records = instance.fetch_materializations(dg.AssetKey(asset), limit=1).records
    if not records or records[0].asset_materialization is None:
        return {}
    return {k: getattr(v, "value", v) for k, v in records[0].asset_materialization.metadata.items()}


def partition_metadata(instance: Any, asset: str) -> dict[str, dict[str, Any]]:
    """The latest materialization's metadata of every partition of ``asset`` (partition -> metadata)."""
    import dagster as dg

    from finetune_platform.defs.partitions import SOURCE_PARTITIONS

    out: dict[str, dict[str, Any]] = {}
    for key in instance.get_dynamic_partitions(SOURCE_PARTITIONS.name):
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[key]), limit=1
        ).records
        if records and records[0].asset_materialization is not None:
            out[key] = {k: getattr(v, "value", v) for k, v in records[0].asset_materialization.metadata.items()}
    return out


def _root_error(error: Any) -> str:
    """The innermost cause of a step's error (Dagster wraps what the asset raised in a
    DagsterExecutionStepExecutionError whose own message only says a step failed), as ``Class: message``."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    name = getattr(error, "cls_name", None)
    message = (getattr(error, "message", "") or "").strip()
    if name:  # Dagster's message may start with the class, qualified ("pkg.module.Name: ...") or not
        head, sep, rest = message.partition(": ")
        if sep and (head == name or head.endswith(f".{name}")):
            message = rest
    return f"{name}: {message}" if name else message


#: Set by ``main --debug``: the console log of a run keeps the stack traces of failed steps, and an unexpected
#: error is raised with its traceback instead of being summarised in one line.
DEBUG = False

#: A stack trace in a Dagster log message (``error.to_string()``): the "Stack Trace:" line and the indented
#: frame lines after it, up to the next blank line. What was raised, and its causes, stay.
_STACK_TRACE = re.compile(r"^Stack Trace:\n(?:[ \t]+.*(?:\n|$))*", re.MULTILINE)


def without_stack_traces(message: str) -> str:
    """A Dagster log message with its stack traces taken out (the run's event log in the UI keeps them)."""
    return re.sub(r"\n{3,}", "\n\n", _STACK_TRACE.sub("", message)).rstrip("\n")


class _NoStackTraces(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "Stack Trace:" in record.msg:
            record.msg = without_stack_traces(record.msg)
        return True


def _console_logger_defs(show_stack_traces: bool) -> dict[str, Any]:
    """The ``console`` logger of a CLI run: Dagster's coloured console logger, without the stack traces of a
    failed step unless ``show_stack_traces`` (the summary after the run names the cause; ``--debug`` or the
    run's log in the Dagster UI shows the frames)."""
    import dagster as dg

    @dg.logger(dg.colored_console_logger.config_schema, description="Dagster's console logger for the CLI.")
    def console(init_context: Any) -> logging.Logger:
        log = dg.colored_console_logger.logger_fn(init_context)
        if not show_stack_traces:
            for handler in log.handlers:
                handler.addFilter(_NoStackTraces())
        return log

    return {"console": console}


class JobFailedError(SystemExit):
    """A job run that failed: its message says which steps and checks failed; ``lines`` lists them."""

    def __init__(self, message: str, run_id: str, lines: list[str]) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.lines = lines


def run_job(
    job_name: str,
    settings: Settings,
    run_config: dict[str, Any] | None = None,
    log_level: str = "INFO",
    partition_key: str | None = None,
) -> Any:
    """Execute a job in this process against the project's instance; raise if the run failed."""
    from finetune_platform.definitions import build_definitions

    defs = build_definitions(settings)
    job = defs.resolve_job_def(job_name).with_logger_defs(_console_logger_defs(DEBUG))
    config = {"loggers": {"console": {"config": {"log_level": log_level}}}, **(run_config or {})}
    result = job.execute_in_process(
        instance=_instance(settings), run_config=config, raise_on_error=False, partition_key=partition_key
    )
    if not result.success:
        failures = [
            f"{e.step_key}: {_root_error(e.event_specific_data.error)}"  # type: ignore[union-attr]
            for e in result.all_events
            if e.is_step_failure and e.event_specific_data is not None
        ]
        checks = [
            f"{e.asset_check_evaluation_data.check_name} on {e.asset_check_evaluation_data.asset_key.to_user_string()}"
            for e in result.all_events
            if e.event_type_value == "ASSET_CHECK_EVALUATION" and not e.asset_check_evaluation_data.passed
        ]
        raise JobFailedError(
            f"{job_name} failed (run {result.run_id}).\n"
            + ("Failed steps:\n  " + "\n  ".join(failures) + "\n" if failures else "")
            + ("Failed checks:\n  " + "\n  ".join(checks) + "\n" if checks else "")
            + "Open the run in the Dagster UI (make ui) for the full log, or run again with --debug for the stack traces.",
            result.run_id,
            failures + [f"check {c} failed" for c in checks],
        )
    return result


def _ensure_partitions(instance: Any, partitions_name: str, keys: Sequence[str]) -> None:
    """Register the keys of a dynamic partitions definition that the instance does not know yet."""
    missing = [k for k in keys if not instance.has_dynamic_partition(partitions_name, k)]
    if missing:
        instance.add_dynamic_partitions(partitions_name, missing)


def _ingest_problem(source: Any, settings: Settings) -> str | None:
    """Why ``source`` cannot be ingested, found before its run (so said in one line, without a traceback): a
    required source whose path matches no file, or a withdrawal list that cannot be read; None otherwise."""
    from finetune_platform.ingest.sources import NoFilesMatchedError
    from finetune_platform.ingest.withdrawals import WithdrawnRowsError, read_withdrawn_rows

    try:
        source.resolve_files(settings.raw_dir)
    except NoFilesMatchedError as error:
        if source.required:
            return str(error)
    withdrawn = source.withdrawn_rows_path(settings.raw_dir)
    if withdrawn is not None:
        try:
            read_withdrawn_rows(withdrawn, source.name)
        except WithdrawnRowsError as error:
            return str(error)
    return None


def _ingest_warnings(result: Any) -> list[str]:
    """The warnings ``raw_corpus`` recorded in a successful ingest run (its ``warnings`` metadata): a source
    that kept no row, a mapped field no row has, files without rows, file names holding PII."""
    warnings: list[str] = []
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        if materialization.asset_key.to_user_string() == "raw_corpus":
            value = materialization.metadata.get("warnings")
            warnings += list(getattr(value, "value", value) or [])
    return warnings


def ingest_all(settings: Settings, only: Sequence[str] | None = None) -> list[str]:
    """Run ingest_job for every configured source (or ``only`` those), registering new partitions first.

    Every source is ingested even when one fails; then, if any failed, raises ``SystemExit`` with one line per
    failed source (a source that cannot be read at all, such as a path that matches no file, is named without
    running it, so without a traceback)."""
    from finetune_platform.defs.partitions import SOURCE_PARTITIONS
    from finetune_platform.ingest.sources import SourceConfigError, load_sources

    try:
        sources = {s.name: s for s in load_sources(settings.root / "data" / "sources.yaml")}
    except SourceConfigError as error:  # its message names the file, the entry and the field
        raise SystemExit(str(error)) from None
    names = list(sources)
    unknown = sorted(set(only or []) - set(names))
    if unknown:
        raise SystemExit(f"unknown source(s) {unknown}; data/sources.yaml defines {names}")
    instance = _instance(settings)
    _ensure_partitions(instance, SOURCE_PARTITIONS.name, names)
    # a source taken out of sources.yaml is no longer trained on (raw_files_sensor does the same)
    for removed in sorted(set(instance.get_dynamic_partitions(SOURCE_PARTITIONS.name)) - set(names)):
        instance.delete_dynamic_partition(SOURCE_PARTITIONS.name, removed)
        print(f"source '{removed}' is no longer in data/sources.yaml: its partition is removed, so training leaves it out")
    targets = list(only) if only else names
    failed: list[str] = []
    for name in targets:
        problem = _ingest_problem(sources[name], settings)
        if problem is None:
            try:
                result = run_job("ingest_job", settings, partition_key=name)
                for warning in _ingest_warnings(result):  # a green run that kept nothing is no success to hide
                    print(f"ingest_job: warning: {warning}", file=sys.stderr)
                continue
            except JobFailedError as error:
                problem = f"{'; '.join(error.lines) or 'the run failed'} (run {error.run_id})"
        line = problem if problem.startswith(f"source '{name}'") else f"source '{name}': {problem}"
        print(f"ingest_job: {line}", file=sys.stderr)
        failed.append(line)
    if failed:
        ingested = [n for n in targets if not any(f.startswith(f"source '{n}':") for f in failed)]
        raise SystemExit(
            f"ingest_job failed for {len(failed)} of {len(targets)} sources"
            + (f" (ingested: {', '.join(ingested)})" if ingested else "")
            + ":\n  " + "\n  ".join(failed)
        )
    return targets


def cmd_sweep(args: argparse.Namespace) -> int:
    """Train every trial of data/sweep.yaml (or the named ones) as its partition, then compare them."""
    from finetune_platform.defs.partitions import SWEEP_TRIALS
    from finetune_platform.defs.sweep import SWEEP_FILE
    from finetune_platform.training.sweep import SweepError, load_sweep

    settings = load_settings()
    try:
        trials = list(load_sweep(settings.root / SWEEP_FILE).trials)
    except SweepError as error:
        raise SystemExit(str(error)) from error
    unknown = sorted(set(args.trial or []) - set(trials))
    if unknown:
        raise SystemExit(f"unknown trial(s) {unknown}; {SWEEP_FILE} defines {trials}")
    instance = _instance(settings)
    _require_materialized(instance, ("training_set", "domain_adapted_model"), "sweep")
    _ensure_partitions(instance, SWEEP_TRIALS.name, trials)
    for trial in args.trial or trials:
        result = run_job("sweep_job", settings, partition_key=trial)
        print(f"sweep trial {trial}: run {result.run_id} succeeded")
    result = run_job("sweep_compare_job", settings)
    table = result.output_for_node("sweep_comparison")
    from finetune_platform.training.sweep import comparison_markdown

    print(comparison_markdown(table))
    return 0


def cmd_specialists(args: argparse.Namespace) -> int:
    """Train every specialist of data/specialists.yaml (or the named ones) as its partition, then the router."""
    from finetune_platform.defs.partitions import SPECIALIST_PARTITIONS
    from finetune_platform.defs.specialists import SPECIALISTS_FILE
    from finetune_platform.specialists.spec import SpecialistsError, load_specialists

    settings = load_settings()
    try:
        names = list(load_specialists(settings.root / SPECIALISTS_FILE).specialists)
    except SpecialistsError as error:
        raise SystemExit(str(error)) from error
    if not names:
        raise SystemExit(f"{SPECIALISTS_FILE} defines no specialists; add some (see finetune_platform/specialists/spec.py)")
    unknown = sorted(set(args.name or []) - set(names))
    if unknown:
        raise SystemExit(f"unknown specialist(s) {unknown}; {SPECIALISTS_FILE} defines {names}")
    instance = _instance(settings)
    _require_materialized(instance, ("training_set", "domain_adapted_model"), "specialists")
    _ensure_partitions(instance, SPECIALIST_PARTITIONS.name, names)
    for name in args.name or names:
        result = run_job("specialists_job", settings, partition_key=name)
        value = result.output_for_node("specialist_model")
        print(f"specialist {name}: v{value['version']}, {value['decision']}: {value['reason']}")
    result = run_job("router_job", settings)
    report = result.output_for_node("router")["report"]
    print(f"router: accuracy {report['accuracy']}, specialist precision {report['specialist_precision']}, "
          f"coverage {report['coverage']}, fallback rate {report['fallback_rate']}")
    return 0


def _require_materialized(instance: Any, assets: tuple[str, ...], command: str) -> None:
    """Exit with what to run first when one of ``assets`` (what ``command``'s jobs read) was never
    materialized in this Dagster home; the job would fail loading it ("No such file ... storage/<asset>")."""
    import dagster as dg

    missing = [a for a in assets if not instance.fetch_materializations(dg.AssetKey(a), limit=1).records]
    if missing:
        raise SystemExit(
            f"{command}: {', '.join(missing)} not materialized yet in {instance.root_directory}: run retrain_job first "
            "(`finetune-platform materialize retrain_job`, `make demo`, or the UI), which builds them"
        )


def cmd_generate_demo_data(args: argparse.Namespace) -> int:
    from finetune_platform.ingest.demo_data import generate_demo_corpus

    settings = load_settings()
    out = Path(args.out) if args.out else settings.raw_dir
    summary = generate_demo_corpus(out, n_tickets=args.tickets, seed=args.seed)
    print(f"wrote the demo corpus to {out}: {summary}")
    return 0


def _monitor_day(day: str | None) -> str:
    """The monitor_job partition to run: ``day`` (default yesterday, UTC), refused when outside the partitions."""
    from finetune_platform.defs.partitions import MONITOR_DAYS
    from finetune_platform.demo import last_full_day

    day = day or last_full_day()
    if not MONITOR_DAYS.has_partition_key(day):
        first, last = MONITOR_DAYS.get_first_partition_key(), MONITOR_DAYS.get_last_partition_key()
        raise SystemExit(f"--day {day} is not a monitor_job partition: days run from {first} to {last} (UTC)")
    return day


def cmd_materialize(args: argparse.Namespace) -> int:
    if args.source and args.job != "ingest_job":
        raise SystemExit(f"--source applies to ingest_job only, not {args.job}")
    if args.day and args.job != "monitor_job":
        raise SystemExit(f"--day applies to monitor_job only, not {args.job}")
    day = _monitor_day(args.day) if args.job == "monitor_job" else None
    settings = load_settings()
    if args.job == "ingest_job":
        done = ingest_all(settings, args.source or None)
        print(f"ingest_job succeeded for sources {done}")
        return 0
    if day is not None:
        result = run_job(args.job, settings, partition_key=day)
        print(f"monitor_job for {day}: run {result.run_id} succeeded")
        return 0
    result = run_job(args.job, settings)
    print(f"{args.job}: run {result.run_id} succeeded")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write the current training set (data/training_set) in an interchange format; no Dagster involved."""
    from finetune_platform.formats.interchange import export_training_set

    settings = load_settings()
    try:
        done = export_training_set(settings.training_set_dir, args.format, Path(args.out), args.split)
    except (FileNotFoundError, ValueError) as error:
        raise SystemExit(f"export: {error}") from error
    except OSError as error:  # a folder that cannot be written to, a full disk: name the file asked for
        raise SystemExit(f"export: cannot write {args.out}: {error.strerror or error}") from error
    split = "train, validation and test" if done.split == "all" else done.split
    print(f"wrote {done.examples} {done.format} examples ({split} split) to {done.path.resolve()}")
    if done.skipped:
        print(
            f"left out {done.skipped} tickets without a reply (a conversation needs an assistant turn); "
            "--format alpaca keeps their classify examples"
        )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from finetune_platform.ingest.demo_data import generate_demo_corpus

    settings = load_settings()
    started = time.monotonic()
    if args.regenerate or not settings.raw_dir.exists() or not any(settings.raw_dir.rglob("*.*")):
        summary = generate_demo_corpus(settings.raw_dir, n_tickets=args.tickets, seed=args.seed)
        print(f"[demo] generated the demo corpus in {settings.raw_dir}: {summary}")
    else:
        print(f"[demo] using the corpus already in {settings.raw_dir} (--regenerate to rebuild it)")

    print("[demo] running ingest_job per source: read, quarantine, normalise, redact PII, score")
    sources = ingest_all(settings)
    print(f"[demo] ingested sources {sources}")
    print("[demo] running retrain_job: dedup -> review -> format -> version -> train -> evaluate -> deploy")
    retrain = run_job("retrain_job", settings)
    print(f"[demo] retrain_job succeeded (run {retrain.run_id})")

    from finetune_platform.demo import last_full_day, simulate_production

    simulated = simulate_production(settings)
    print(f"[demo] simulated production traffic: {simulated}")
    day = last_full_day()
    monitor = run_job("monitor_job", settings, partition_key=day)
    print(f"[demo] monitor_job succeeded for {day} (run {monitor.run_id})")

    instance = _instance(settings)
    print(render_summary(instance, settings, time.monotonic() - started))
    return 0


def render_summary(instance: Any, settings: Settings, seconds: float) -> str:
    """What the demo produced and where to look."""
    per_source = partition_metadata(instance, "raw_corpus")
    ingest = {
        key: sum(int(m.get(key, 0)) for m in per_source.values())
        for key in ("rows_read", "rows_kept", "rows_quarantined")
    }
    curated = _latest_metadata(instance, "curated_records")
    tset = _latest_metadata(instance, "training_set")
    published = _latest_metadata(instance, "published_training_set")  # what data/training_set.dvc names
    sft = _latest_metadata(instance, "sft_adapter")
    report = _latest_metadata(instance, "eval_report")
    registered = _latest_metadata(instance, "registered_model")
    drift = _latest_metadata(instance, "drift_report")
    knowledge = _latest_metadata(instance, "knowledge_index")
    router = _latest_metadata(instance, "router")
    lines = [
        "",
        "=" * 72,
        f"finetune-platform demo finished in {seconds / 60:.1f} min",
        "=" * 72,
        f"ingest      {len(per_source)} sources: rows read {ingest['rows_read']}, kept {ingest['rows_kept']}, "
        f"quarantined {ingest['rows_quarantined']}",
        f"curate      curated records {curated.get('rows')}",
        f"version     DVC md5 {tset.get('dvc_md5')} (train {tset.get('train_examples')}, "
        f"validation {tset.get('validation_examples')}, test {tset.get('test_examples')})",
        f"train       MLflow run {sft.get('mlflow_run_id')}  final loss {sft.get('final_train_loss')}",
        f"evaluate    category accuracy: base {report.get('base_accuracy')} -> fine-tuned {report.get('candidate_accuracy')}"
        f"  (perplexity {report.get('base_perplexity')} -> {report.get('candidate_perplexity')})",
        f"deploy      {registered.get('model_name')} version {registered.get('version')}, aliases {registered.get('aliases')}",
        f"            knowledge index: {knowledge.get('passages')} passages, hit@3 {knowledge.get('hit_rate_at_3')} "
        f"(chance {knowledge.get('chance_hit_rate')}); router for specialists {router.get('specialists')}: "
        f"precision {router.get('specialist_precision')}, coverage {router.get('coverage')}",
        f"monitor     drift verdict: {drift.get('verdict')}",
        "",
        "Next: `finetune-platform specialists` trains the specialists of data/specialists.yaml; "
        "`finetune-platform serve --rag --specialists` serves them with the knowledge index.",
        "",
        "Where to look:",
        "  Dagster UI : make ui   -> http://127.0.0.1:3000 (assets grouped by stage, runs, checks)",
        f"  MLflow UI  : .venv/bin/mlflow ui --backend-store-uri {settings.mlflow_tracking_uri} --host 127.0.0.1 --port 5000",
        f"  DVC        : data/training_set.dvc (md5 {published.get('dvc_md5')}), remote {settings.dvc_remote}",
        "=" * 72,
    ]
    return "\n".join(lines)


def cmd_serve(args: argparse.Namespace) -> int:
    from finetune_platform.monitoring.store import LogStore
    from finetune_platform.serving.registry import ModelRegistry
    from finetune_platform.serving.server import ServerSettings, serve

    settings = load_settings()
    knowledge = args.knowledge_index
    if args.rag and knowledge is None:
        from finetune_platform.rag.index import CURRENT_FILE

        knowledge = str(settings.knowledge_index_dir)
        if not (settings.knowledge_index_dir / CURRENT_FILE).is_file():
            print(
                f"--rag: no knowledge index in {settings.knowledge_index_dir}; materialize the knowledge_index "
                "asset first (retrain_job, or select it in the UI), or pass --knowledge-index PATH",
                file=sys.stderr,
            )
            return 2
    if knowledge is not None and not Path(knowledge).exists():
        print(f"--knowledge-index: {knowledge} does not exist; pass a knowledge index folder or the index root",
              file=sys.stderr)
        return 2
    router_path = None
    specialist_names: list[str] = []
    if args.specialists:
        from finetune_platform.specialists.router import RouterError, RouterFollower

        router_root = settings.artifacts_dir / "router"
        try:
            specialist_names = RouterFollower(router_root).current().specialists
        except RouterError as error:
            print(
                f"--specialists: {error}; materialize the router asset first (retrain_job or router_job, with "
                "specialists in data/specialists.yaml)",
                file=sys.stderr,
            )
            return 2
        router_path = str(router_root)
    from pydantic import ValidationError

    try:
        server_settings = ServerSettings(
            host=args.host,
            port=args.port,
            model_name=settings.model_name,
            api_key=settings.api_key,
            admin_api_key=settings.admin_api_key,
            canary_share=args.canary_share,
            rollout_state_path=str(settings.rollout_state_path),
            quantize=args.quantize,
            knowledge_index_path=knowledge,
            rag_top_k=args.rag_top_k,
            router_path=router_path,
        )
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in error.errors())
        print(f"serve: {problems}", file=sys.stderr)
        return 2
    if settings.mlflow_tracking_uri.startswith("sqlite:///"):
        db = Path(settings.mlflow_tracking_uri.removeprefix("sqlite:///"))
        if not db.is_file():  # the registry would create an empty database, then find no model in it
            print(
                f"serve: no model registry at {db}: train and register a model first (make demo, or retrain_job "
                "in the UI), or set MLFLOW_TRACKING_URI to the registry to serve from",
                file=sys.stderr,
            )
            return 2
    registry = ModelRegistry(settings.mlflow_tracking_uri, settings.model_name)
    rag = f", hybrid RAG from {knowledge}" if knowledge else ""
    routed = f", specialists {specialist_names} behind the router" if router_path else ""
    print(f"serving {settings.model_name} (champion, challenger{rag}{routed}) on http://{args.host}:{args.port}/v1")
    from finetune_platform.rag.index import KnowledgeIndexError
    from finetune_platform.versioned import VersionPointerError

    try:
        serve(server_settings, registry, LogStore(settings.log_store_url), specialists=specialist_names)
    except (RuntimeError, KnowledgeIndexError, VersionPointerError, FileNotFoundError) as error:
        # a model without the champion alias, an index that cannot be read: say so, without a traceback
        print(f"serve: {error}", file=sys.stderr)
        return 2
    return 0


def cmd_kill_switch(args: argparse.Namespace) -> int:
    from finetune_platform.serving.routing import engage_kill_switch, release_kill_switch

    settings = load_settings()
    if args.action == "on":
        state = engage_kill_switch(settings.rollout_state_path, args.reason or "kill switch engaged from the CLI")
    else:
        state = release_kill_switch(settings.rollout_state_path, args.reason or "kill switch released from the CLI")
    print(f"rollout state in {settings.rollout_state_path}: {state}")
    return 0


def cmd_canary(args: argparse.Namespace) -> int:
    from finetune_platform.serving.routing import set_canary_share

    settings = load_settings()
    version = None
    if args.share > 0:  # the share goes to the challenger registered now, not to whichever one comes later
        from finetune_platform.serving.registry import CHALLENGER, CHAMPION, ModelRegistry

        registry = ModelRegistry(settings.mlflow_tracking_uri, settings.model_name)
        challenger, champion = registry.get_by_alias(CHALLENGER), registry.get_by_alias(CHAMPION)
        if challenger is None or (champion is not None and champion.version == challenger.version):
            raise SystemExit(
                f"canary {args.share:g}: model {settings.model_name!r} has no challenger apart from the champion, so no "
                "traffic can go to one; register a new model first (or set 0 to send everyone to the champion)"
            )
        version = str(challenger.version)
    state = set_canary_share(settings.rollout_state_path, args.share, args.reason or "set from the CLI", version)
    print(f"rollout state in {settings.rollout_state_path}: {state}")
    return 0


def cmd_rollout(args: argparse.Namespace) -> int:
    from finetune_platform.monitoring.store import LogStore
    from finetune_platform.serving.routing import Router, RolloutSettings, StagedRollout

    if args.action == "step" and args.stages:
        raise SystemExit("rollout step takes no --stages: a rollout walks the stages it was started with (rollout start --stages ...)")
    settings = load_settings()
    rollout_settings = RolloutSettings(stages=args.stages) if args.stages else RolloutSettings()
    rollout = StagedRollout(Router(state_path=settings.rollout_state_path), LogStore(settings.log_store_url), rollout_settings)
    if args.action == "start":
        from finetune_platform.serving.registry import CHALLENGER, CHAMPION, ModelRegistry
        from finetune_platform.serving.routing import check_rollout_candidate

        registry = ModelRegistry(settings.mlflow_tracking_uri, settings.model_name)
        challenger, champion = registry.get_by_alias(CHALLENGER), registry.get_by_alias(CHAMPION)
        if challenger is None:
            raise SystemExit(f"rollout start: model {settings.model_name!r} has no challenger to roll out; register one first")
        try:
            check_rollout_candidate(challenger.version, champion.version if champion is not None else None)
        except ValueError as error:
            raise SystemExit(f"rollout start: {error}") from None
        decision = rollout.start(
            challenger_version=str(challenger.version),
            champion_version=None if champion is None else str(champion.version),
        )
        print(decision.summary())
        return 0
    decision = rollout.step()
    print(decision.summary())
    if rollout.router.state.pending_promotion:  # completed now, or earlier with a promotion that failed
        from finetune_platform.serving.registry import ModelRegistry
        from finetune_platform.serving.routing import promote_pending_rollout

        registry = ModelRegistry(settings.mlflow_tracking_uri, settings.model_name)
        print(promote_pending_rollout(rollout.router, registry))
    return 0


def _day(value: str) -> str:
    """A UTC day ``YYYY-MM-DD`` on the command line (a usage error otherwise)."""
    from datetime import datetime

    try:
        return datetime.strptime(value, "%Y-%m-%d").strftime("%Y-%m-%d")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a day written YYYY-MM-DD, e.g. 2026-11-30") from None


def _tickets(value: str) -> int:
    """A demo corpus size on the command line (a usage error below what every source needs, not a traceback)."""
    from finetune_platform.ingest.demo_data import MIN_TICKETS

    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if n < MIN_TICKETS:
        raise argparse.ArgumentTypeError(
            f"{n} tickets is too few: every source needs room for its duplicates and malformed rows; use at least {MIN_TICKETS}"
        )
    return n


def _share(value: str) -> float:
    """A canary share on the command line: a number from 0 to 1 (a usage error otherwise, not a traceback)."""
    try:
        share = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number; give a share from 0 to 1, e.g. 0.05") from None
    if not 0.0 <= share <= 1.0:
        raise argparse.ArgumentTypeError(f"{value} is not between 0 and 1 (0.05 = 5% of users)")
    return share


def _shares(value: str) -> list[float]:
    """Comma-separated canary shares, each from 0 to 1, rising, the last 1.0 (what RolloutSettings accepts)."""
    shares = [_share(part.strip()) for part in value.split(",") if part.strip()]
    if not shares:
        raise argparse.ArgumentTypeError("give at least one share, e.g. 0.05,0.25,1.0")
    from pydantic import ValidationError

    from finetune_platform.serving.routing import RolloutSettings

    try:
        RolloutSettings(stages=shares)
    except ValidationError as error:
        raise argparse.ArgumentTypeError("; ".join(e["msg"] for e in error.errors())) from None
    return shares


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="finetune-platform", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the whole loop on the embedded defaults and print a summary")
    demo.add_argument("--tickets", type=_tickets, default=3000, help="tickets in the generated demo corpus")
    demo.add_argument("--seed", type=int, default=0, help="seed of the demo corpus")
    demo.add_argument("--regenerate", action="store_true", help="rewrite the demo corpus even if present")
    demo.set_defaults(func=cmd_demo)

    gen = sub.add_parser("generate-demo-data", help="write the deterministic demo corpus")
    gen.add_argument("--out", default=None, help="raw folder (default: data/raw under the project root)")
    gen.add_argument("--tickets", type=_tickets, default=3000)
    gen.add_argument("--seed", type=int, default=0)
    gen.set_defaults(func=cmd_generate_demo_data)

    mat = sub.add_parser(
        "materialize", help="run a job (ingest_job, retrain_job, monitor_job) into the project's instance"
    )
    mat.add_argument("job", choices=["ingest_job", "retrain_job", "monitor_job"])
    mat.add_argument("--source", action="append", help="ingest_job only: this source (repeatable; default all)")
    mat.add_argument("--day", type=_day, help="monitor_job only: the UTC day YYYY-MM-DD (default yesterday)")
    mat.set_defaults(func=cmd_materialize)

    from finetune_platform.formats.interchange import EXPORT_SPLITS, FORMATS

    exp = sub.add_parser(
        "export",
        help="write the versioned training set (data/training_set) as alpaca, sharegpt or openai_chat for other tools",
    )
    exp.add_argument("--format", required=True, choices=FORMATS, help="alpaca: the instruction examples; "
                     "sharegpt / openai_chat: one user/assistant conversation per ticket with a reply")
    exp.add_argument("--out", required=True, help="file to write: .jsonl (one object per line) or .json (an array)")
    exp.add_argument("--split", default="train", choices=EXPORT_SPLITS,
                     help="which split (default train; 'all' = train, validation and test)")
    exp.set_defaults(func=cmd_export)

    swp = sub.add_parser("sweep", help="train every trial of data/sweep.yaml (a partition each), then compare them")
    swp.add_argument("--trial", action="append", help="only this trial (repeatable; default all)")
    swp.set_defaults(func=cmd_sweep)

    spc = sub.add_parser(
        "specialists", help="train every specialist of data/specialists.yaml (a partition each), then the router"
    )
    spc.add_argument("--name", action="append", help="only this specialist (repeatable; default all)")
    spc.set_defaults(func=cmd_specialists)

    srv = sub.add_parser("serve", help="OpenAI-compatible server for the registry's champion and challenger")
    srv.add_argument("--host", default="127.0.0.1", help="bind address (a non-loopback one needs an API key)")
    srv.add_argument("--port", type=int, default=8000)
    srv.add_argument("--canary-share", type=_share, default=0.0, help="share of users routed to the challenger")
    srv.add_argument("--quantize", action="store_true", help="int8 dynamic quantization of Linear layers (CPU)")
    srv.add_argument(
        "--rag", action="store_true",
        help="hybrid RAG: add passages from the knowledge_index asset's current index to chat requests",
    )
    srv.add_argument("--knowledge-index", default=None, help="hybrid RAG from this index folder or index root")
    srv.add_argument("--rag-top-k", type=int, default=3, help="passages retrieved per chat request")
    srv.add_argument(
        "--specialists", action="store_true",
        help="route chat requests to deployed specialists with the router asset's current router (generalist fallback)",
    )
    srv.set_defaults(func=cmd_serve)

    kill = sub.add_parser("kill-switch", help="send all traffic to the champion (on) or restore the canary (off)")
    kill.add_argument("action", choices=["on", "off"])
    kill.add_argument("--reason", default="")
    kill.set_defaults(func=cmd_kill_switch)

    canary = sub.add_parser("canary", help="set the share of traffic routed to the challenger")
    canary.add_argument("share", type=_share, help="share of users routed to the challenger, from 0 to 1")
    canary.add_argument("--reason", default="")
    canary.set_defaults(func=cmd_canary)

    rollout = sub.add_parser(
        "rollout", help="staged canary rollout: start it, or judge the current stage now (the sensor does it every 5 min)"
    )
    rollout.add_argument("action", choices=["start", "step"])
    rollout.add_argument("--stages", type=_shares, default=None, help="start only: comma-separated shares, e.g. 0.05,0.25,1.0 (kept in the rollout state; default 0.05,0.25,1.0)")
    rollout.set_defaults(func=cmd_rollout)

    from finetune_platform.lineage import add_lineage_parser

    add_lineage_parser(sub)
    debug_help = "show the traceback of an unexpected error, and failed steps' stack traces in a run's log"
    parser.add_argument("--debug", action="store_true", help=debug_help)
    for command in sub.choices.values():  # also after the command: `finetune-platform lineage champion --debug`
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=debug_help)
    return parser


#: Where ``main`` writes the traceback of an unexpected error (under the project's artifacts folder).
ERROR_LOG_NAME = "cli_last_error.log"


def _write_traceback(command: str) -> Path | None:
    """The current exception's traceback, written to ``<home>/artifacts/cli_last_error.log`` (or the temporary
    folder when the home cannot be used); the file written, or None when neither could be."""
    import tempfile
    import traceback
    from datetime import datetime, timezone

    text = (
        f"{datetime.now(timezone.utc).isoformat(timespec='seconds')} finetune-platform {command}\n"
        + traceback.format_exc()
    )
    folders: list[Path] = []
    try:
        folders.append(load_settings().artifacts_dir)
    except Exception:  # the settings themselves may be what failed
        pass
    folders.append(Path(tempfile.gettempdir()))
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / ERROR_LOG_NAME
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command. An error the command does not expect (a store that cannot be read, a library's
    failure) is one line naming its class and message, with where its traceback was written; ``--debug``
    raises it with the traceback instead (and keeps failed steps' stack traces in a run's console log)."""
    global DEBUG
    args = build_parser().parse_args(argv)
    if getattr(args, "debug", False):
        DEBUG = True
        try:
            return int(args.func(args) or 0)
        finally:
            DEBUG = False
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        # Ctrl-C: the user stopped it; a traceback would only bury that. A Dagster run it started in this
        # process stops with it and shows as failed or canceled in the UI.
        print(f"finetune-platform {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # SystemExit is no Exception: it passes
        lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
        message = lines[0] if lines else "(no message)"
        if len(message) > 300:
            message = message[:297] + "..."
        log = _write_traceback(args.command)
        print(f"finetune-platform {args.command}: unexpected error: {type(error).__name__}: {message}", file=sys.stderr)
        print(
            "hint: run it again with --debug for the full traceback"
            + (f" (this one is in {log})" if log else "")
            + "; if the error names a store or a file, check that it exists and is the right one",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
