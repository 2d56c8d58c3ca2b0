"""The model registry: fine-tuned models as MLflow model versions, with champion/challenger aliases.

A registered version is a self-contained MLflow pyfunc model: the base model folder and the adapter (or
fully fine-tuned) folder are copied in as artifacts, and its ``predict`` generates text through
``finetune_platform.evaluation.generation``. Evaluation metrics are stored as version tags
(``eval.<metric>``) so that promotion decisions need nothing but the registry.

How it talks to MLflow, and why:

- Only an ``MlflowClient`` bound to this registry's URI is used (no ``mlflow.set_tracking_uri``), so the
  model is saved locally with ``mlflow.pyfunc.save_model``, copied into the run with ``log_artifacts``
  and registered with ``create_model_version``; ``mlflow.pyfunc.log_model`` would need the global URI.
- The python model is logged "from code" (a three-line script that builds :class:`GenerationModel`),
  not pickled. Loading therefore needs ``finetune_platform`` importable, as the pickle would.
- The signature declares no input schema: MLflow would otherwise reduce a DataFrame to its first column
  or refuse a plain list; :meth:`GenerationModel.predict` checks its input itself. It declares the
  generation params (``max_new_tokens``, ``batch_size``) so that they can be passed per call.
- Aliases are read from the registered model or a single version: ``search_model_versions`` returns
  none (STACK.md trap 3).
"""

from __future__ import annotations

import importlib.metadata
import math
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pandas as pd

from mlflow.pyfunc import PythonModel

#: Version tags that hold evaluation metrics: ``eval.accuracy`` = "0.91".
METRIC_TAG_PREFIX = "eval."
CHAMPION = "champion"
CHALLENGER = "challenger"
#: Distributions the served model needs; versions are taken from this environment.
MODEL_REQUIREMENTS = ("torch", "transformers", "tokenizers", "peft", "safetensors", "pandas", "mlflow")

_MODEL_SCRIPT = """\
# Written by finetune_platform.serving.registry: the pyfunc model of a registered version.
import mlflow

from finetune_platform.serving.registry import GenerationModel

mlflow.models.set_model(GenerationModel())
"""


class RegistryLookupError(LookupError):
    """No model version answers to the given alias or number."""


def _prompts_from(model_input: Any) -> list[str]:
    """The prompts in a pyfunc input: a DataFrame with a ``prompt`` column, a list/Series of strings, or
    one string."""
    if isinstance(model_input, pd.DataFrame):
        if "prompt" not in model_input.columns:
            raise ValueError(
                f"the input DataFrame has no 'prompt' column (columns: {list(model_input.columns)}); pass "
                "pd.DataFrame({'prompt': [...]}) or a list of prompt strings"
            )
        return [str(p) for p in model_input["prompt"].tolist()]
    if isinstance(model_input, str):
        return [model_input]
    if isinstance(model_input, (list, tuple, pd.Series)):
        prompts = list(model_input)
        bad = [type(p).__name__ for p in prompts if not isinstance(p, str)]
        if bad:
            raise ValueError(f"prompts must be strings; got {sorted(set(bad))}")
        return prompts
    raise ValueError(
        f"cannot read prompts from a {type(model_input).__name__}; pass a DataFrame with a 'prompt' column "
        "or a list of strings"
    )


class GenerationModel(PythonModel):
    """pyfunc model of a registered version: prompts in, generated text out."""

    # MLflow wraps ``predict`` to validate inputs against its type hints, and warns when there are none.
    # This model checks its own input (see ``predict``); MLflow's own chat models opt out the same way.
    _skip_type_hint_validation = True

    def load_context(self, context: Any) -> None:
        from finetune_platform.evaluation.generation import load_causal_lm

        adapter = context.artifacts.get("adapter")
        self.model, self.tokenizer = load_causal_lm(context.artifacts["base_model"], adapter_path=adapter)

    def predict(self, context, model_input, params: dict[str, Any] | None = None) -> list[str]:  # noqa: ANN001
        """Generate for every prompt; see :func:`_prompts_from` for the accepted inputs.

        ``context`` and ``model_input`` carry no annotations on purpose: MLflow reads them to infer and
        enforce an input schema, which would cut a DataFrame down to its first column.
        """
        from finetune_platform.evaluation.generation import generate

        params = params or {}
        return generate(
            self.model,
            self.tokenizer,
            _prompts_from(model_input),
            max_new_tokens=int(params.get("max_new_tokens", 32)),
            batch_size=int(params.get("batch_size", 32)),
        )


@contextmanager
def _quiet_mlflow_hints() -> Iterator[None]:
    """Hide MLflow's advice to add type hints or an input example: both are deliberate omissions here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*type hints to the `predict` method.*")
        warnings.filterwarnings("ignore", message=r".*input example was not provided.*")
        yield


@dataclass(frozen=True)
class ModelVersionInfo:
    """One registered version as the platform sees it."""

    name: str
    version: int
    run_id: str | None
    source: str  #: artifact URI of the pyfunc model
    tags: dict[str, str]
    aliases: list[str]
    metrics: dict[str, float] = field(default_factory=dict)  #: from the ``eval.*`` tags


@dataclass(frozen=True)
class PromotionDecision:
    """What :meth:`ModelRegistry.promote_if_better` decided, and the numbers it decided on."""

    promoted: bool
    reason: str
    version: int
    metric: str
    margin: float
    candidate_value: float
    champion_version_before: int | None
    champion_value: float | None


class ModelRegistry:
    """Versions of one registered model (``model_name``) in the MLflow registry at ``tracking_uri``."""

    def __init__(self, tracking_uri: str, model_name: str, registry_uri: str | None = None) -> None:
        from mlflow import MlflowClient

        if not model_name:
            raise ValueError("model_name is empty; name the registered model, e.g. 'support-assistant'")
        self.tracking_uri = tracking_uri
        self.model_name = model_name
        self.client = MlflowClient(tracking_uri=tracking_uri, registry_uri=registry_uri or tracking_uri)

    # -- registering ---------------------------------------------------------------------------------

    def _ensure_registered_model(self) -> None:
        from mlflow.exceptions import MlflowException

        try:
            self.client.get_registered_model(self.model_name)
        except MlflowException as error:
            if error.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
        else:
            return
        try:
            self.client.create_registered_model(self.model_name, description="Fine-tuned model (finetune-platform).")
        except MlflowException as error:
            if error.error_code != "RESOURCE_ALREADY_EXISTS":  # another process created it meanwhile
                raise

    def _free_artifact_path(self, run_id: str) -> str:
        """``model``, or ``model-2``, ... when the run already holds a registered model."""
        taken = {f.path for f in self.client.list_artifacts(run_id)}
        path, n = "model", 1
        while path in taken:
            n += 1
            path = f"model-{n}"
        return path

    @staticmethod
    def _signature(max_new_tokens: int, batch_size: int) -> Any:
        from mlflow.models import ModelSignature
        from mlflow.types import ColSpec, ParamSchema, ParamSpec, Schema

        return ModelSignature(
            inputs=None,
            outputs=Schema([ColSpec("string")]),
            params=ParamSchema(
                [ParamSpec("max_new_tokens", "long", max_new_tokens), ParamSpec("batch_size", "long", batch_size)]
            ),
        )

    @staticmethod
    def _requirements() -> list[str]:
        return [f"{name}=={importlib.metadata.version(name)}" for name in MODEL_REQUIREMENTS]

    def register(
        self,
        run_id: str,
        base_model_path: Path | str,
        adapter_path: Path | str | None = None,
        metrics: Mapping[str, float] | None = None,
        tags: Mapping[str, Any] | None = None,
        max_new_tokens: int = 32,
        batch_size: int = 32,
    ) -> ModelVersionInfo:
        """Log a pyfunc model into run ``run_id`` and register it as a new version.

        ``adapter_path`` is a PEFT adapter or a fully fine-tuned model folder (None: the base alone).
        ``metrics`` become ``eval.<name>`` version tags; ``tags`` are stored as given (stringified).
        ``max_new_tokens`` / ``batch_size`` are the default generation params of the model.
        """
        import mlflow

        version_tags = {str(k): str(v) for k, v in (tags or {}).items()}
        for name, value in (metrics or {}).items():
            if not math.isfinite(float(value)):
                raise ValueError(f"metric {name!r} is {value}; only finite metrics can be compared for promotion")
            version_tags[f"{METRIC_TAG_PREFIX}{name}"] = repr(float(value))
        base = Path(base_model_path)
        adapter = Path(adapter_path) if adapter_path is not None else None
        for label, folder in (("base model", base), ("adapter", adapter)):
            if folder is not None and not folder.is_dir():
                raise FileNotFoundError(f"{label} folder {folder} does not exist; pass the folder training wrote")
        run = self.client.get_run(run_id)  # fails early, with MLflow's message, for an unknown run
        artifacts = {"base_model": str(base)}
        if adapter is not None:
            artifacts["adapter"] = str(adapter)

        artifact_path = self._free_artifact_path(run_id)
        with tempfile.TemporaryDirectory(prefix="register-") as scratch:
            script = Path(scratch) / "generation_model.py"
            script.write_text(_MODEL_SCRIPT, encoding="utf-8")
            model_dir = Path(scratch) / "model"
            with _quiet_mlflow_hints():
                mlflow.pyfunc.save_model(
                    path=str(model_dir),
                    python_model=str(script),
                    artifacts=artifacts,
                    signature=self._signature(max_new_tokens, batch_size),
                    pip_requirements=self._requirements(),
                )
            self.client.log_artifacts(run_id, str(model_dir), artifact_path=artifact_path)

        self._ensure_registered_model()
        created = self.client.create_model_version(
            self.model_name,
            source=f"{run.info.artifact_uri.rstrip('/')}/{artifact_path}",
            run_id=run_id,
            tags=version_tags,
        )
        return self.get_version(int(created.version))

    # -- reading -------------------------------------------------------------------------------------

    def _info(self, model_version: Any) -> ModelVersionInfo:
        tags = dict(model_version.tags or {})
        metrics = {
            key[len(METRIC_TAG_PREFIX) :]: float(value)
            for key, value in tags.items()
            if key.startswith(METRIC_TAG_PREFIX)
        }
        return ModelVersionInfo(
            name=model_version.name,
            version=int(model_version.version),
            run_id=model_version.run_id,
            source=model_version.source,
            tags=tags,
            aliases=sorted(model_version.aliases or []),
            metrics=metrics,
        )

    def aliases(self) -> dict[str, int]:
        """Every alias of the registered model and the version it points to ({} if nothing is registered)."""
        from mlflow.exceptions import MlflowException

        try:
            model = self.client.get_registered_model(self.model_name)
        except MlflowException as error:
            if error.error_code == "RESOURCE_DOES_NOT_EXIST":
                return {}
            raise
        return {alias: int(version) for alias, version in (model.aliases or {}).items()}

    def get_version(self, version: int) -> ModelVersionInfo:
        from mlflow.exceptions import MlflowException

        try:
            return self._info(self.client.get_model_version(self.model_name, str(int(version))))
        except MlflowException as error:
            if error.error_code == "RESOURCE_DOES_NOT_EXIST":
                raise RegistryLookupError(
                    f"model {self.model_name!r} has no version {version}; registered versions: "
                    f"{[v.version for v in self.list_versions()]}"
                ) from error
            raise

    def get_by_alias(self, alias: str) -> ModelVersionInfo | None:
        """The version ``alias`` points to, or None when no version carries it."""
        version = self.aliases().get(alias)
        return None if version is None else self.get_version(version)

    def list_versions(self) -> list[ModelVersionInfo]:
        """All versions, oldest first, with their aliases."""
        by_version: dict[int, list[str]] = {}
        for alias, version in self.aliases().items():
            by_version.setdefault(version, []).append(alias)
        found = self.client.search_model_versions(f"name = '{self.model_name}'")
        infos = []
        for mv in sorted(found, key=lambda v: int(v.version)):
            info = self._info(mv)
            infos.append(
                ModelVersionInfo(**{**info.__dict__, "aliases": sorted(by_version.get(info.version, []))})
            )
        return infos

    def resolve(self, alias_or_version: str | int) -> ModelVersionInfo:
        """A version by number (``3`` or ``"3"``) or by alias (``"champion"``)."""
        if isinstance(alias_or_version, int) or str(alias_or_version).isdigit():
            return self.get_version(int(alias_or_version))
        info = self.get_by_alias(str(alias_or_version))
        if info is None:
            raise RegistryLookupError(
                f"no version of model {self.model_name!r} has the alias {alias_or_version!r}; aliases: "
                f"{self.aliases() or 'none'}"
            )
        return info

    # -- aliases and promotion -------------------------------------------------------------------------

    def set_alias(self, version: int, alias: str) -> None:
        """Point ``alias`` at ``version`` (moving it from any other version)."""
        if str(alias).isdigit():
            raise ValueError(f"alias {alias!r} is a number; MLflow aliases must not look like version numbers")
        self.get_version(version)  # a clear error for an unknown version
        self.client.set_registered_model_alias(self.model_name, alias, str(int(version)))

    def remove_alias(self, alias: str) -> bool:
        """Take ``alias`` off whatever version carries it; False when none did."""
        if alias not in self.aliases():
            return False
        self.client.delete_registered_model_alias(self.model_name, alias)
        return True

    def promote_if_better(
        self, version: int, metric: str, margin: float = 0.0, higher_is_better: bool = True
    ) -> PromotionDecision:
        """Make ``version`` the challenger, and the champion when it beats the champion by ``margin``.

        The comparison uses the ``eval.<metric>`` tags of both versions. Without a champion the version
        becomes champion; when the champion lacks the metric nothing is promoted (a person decides).
        """
        if margin < 0:
            raise ValueError(f"margin must be >= 0, got {margin}")
        candidate = self.get_version(version)
        if metric not in candidate.metrics:
            raise ValueError(
                f"version {version} has no '{METRIC_TAG_PREFIX}{metric}' tag (metrics: {sorted(candidate.metrics)}); "
                "register it with that metric"
            )
        value = candidate.metrics[metric]
        champion = self.get_by_alias(CHAMPION)
        self.set_alias(version, CHALLENGER)

        def decision(promoted: bool, reason: str, champion_value: float | None = None) -> PromotionDecision:
            if promoted:
                self.set_alias(version, CHAMPION)
            return PromotionDecision(
                promoted=promoted,
                reason=reason,
                version=candidate.version,
                metric=metric,
                margin=margin,
                candidate_value=value,
                champion_version_before=champion.version if champion else None,
                champion_value=champion_value,
            )

        if champion is None:
            return decision(True, f"no champion yet: version {version} ({metric}={value:.4g}) becomes champion")
        if champion.version == candidate.version:
            return decision(False, f"version {version} is already the champion", value)
        if metric not in champion.metrics:
            return decision(
                False,
                f"champion version {champion.version} has no '{METRIC_TAG_PREFIX}{metric}' tag, so the two "
                f"cannot be compared; promote by hand with set_alias({version}, 'champion') if intended",
            )
        best = champion.metrics[metric]
        gain = value - best if higher_is_better else best - value
        comparison = (
            f"{metric} {value:.4g} vs champion version {champion.version}'s {best:.4g} "
            f"({'+' if gain >= 0 else ''}{gain:.4g}, margin {margin:.4g})"
        )
        if gain > 0 and gain >= margin:
            return decision(True, f"promoted: {comparison}", best)
        return decision(False, f"kept champion: {comparison}", best)

    # -- loading -------------------------------------------------------------------------------------

    def _local_model_path(self, source: str) -> str:
        parsed = urlparse(source)
        if parsed.scheme in ("", "file"):
            return unquote(parsed.path) if parsed.scheme == "file" else source
        import mlflow

        return mlflow.artifacts.download_artifacts(artifact_uri=source, tracking_uri=self.tracking_uri)

    def load(self, alias_or_version: str | int) -> Any:
        """The pyfunc model of a version (by alias or number); ``predict(prompts) -> list[str]``.

        ``predict`` takes a DataFrame with a ``prompt`` column, a list of strings or one string, and
        ``params={"max_new_tokens": n, "batch_size": m}``.
        """
        import mlflow

        info = self.resolve(alias_or_version)
        with _quiet_mlflow_hints():
            return mlflow.pyfunc.load_model(self._local_model_path(info.source))
