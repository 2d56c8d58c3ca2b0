"""Where the base model comes from, and what it is.

Three sources, one result (a local Hugging Face model folder):

- ``tiny``: the platform's own tiny model, built offline from the corpus (``tiny_model.py``);
- ``local``: any causal-LM folder on disk (``config.json`` + weights + tokenizer);
- ``hub``: a Hugging Face Hub repository id, downloaded with ``huggingface_hub.snapshot_download``.

``describe_model_folder`` reads the architecture, size and licence without loading the weights, so the
lead's asset can show them as metadata cheaply.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from finetune_platform.training.tiny_model import TinyModelSettings, build_tiny_model

#: Any one of these makes a folder's tokenizer loadable by ``AutoTokenizer``.
TOKENIZER_FILE_SETS: tuple[tuple[str, ...], ...] = (
    ("tokenizer.json",),
    ("tokenizer.model",),
    ("vocab.json", "merges.txt"),
)

#: What is fetched from the Hub: configs, tokenizers, the model card and safetensors weights.
HUB_ALLOW_PATTERNS = ["*.json", "*.safetensors", "*.model", "*.txt", "*.jinja", "README.md"]


class ModelFolderError(ValueError):
    """A model folder is missing, incomplete, or could not be fetched."""


class BaseModelSettings(TinyModelSettings):
    """Which base model to fine-tune; the tiny-model fields apply only when ``source='tiny'``.

    Flattened (inherits :class:`TinyModelSettings`' fields) because Dagster config cannot nest models.
    """

    source: Literal["tiny", "local", "hub"] = Field(
        "tiny", description="tiny: build the platform's own model; local: a folder on disk; hub: a Hub repo id."
    )
    name_or_path: str = Field(
        "", description="Folder (source='local') or Hub repo id such as 'org/model' (source='hub')."
    )
    revision: str = Field("main", min_length=1, description="Hub branch, tag or commit (source='hub' only).")

    @model_validator(mode="after")
    def _source_needs(self) -> "BaseModelSettings":
        if self.source in ("local", "hub") and not self.name_or_path.strip():
            raise ValueError(f"source='{self.source}' needs name_or_path (a folder or a Hub repo id)")
        if self.source == "tiny" and self.name_or_path.strip():
            raise ValueError(
                f"source='tiny' builds the platform's own model and ignores name_or_path "
                f"('{self.name_or_path}'); clear it or set source='local' / 'hub'"
            )
        if self.source != "hub" and self.revision != "main":
            raise ValueError(f"revision ('{self.revision}') only applies to source='hub'")
        return self

    def tiny_settings(self) -> TinyModelSettings:
        """The tiny-model part of these settings."""
        return TinyModelSettings(**{name: getattr(self, name) for name in TinyModelSettings.model_fields})


@dataclass(frozen=True)
class BaseModelInfo:
    """What a model folder holds, read from its files without loading the weights."""

    path: Path
    architecture: str
    model_type: str
    n_params: int
    license: str
    vocab_size: int


def _weight_files(folder: Path) -> list[Path]:
    safetensors = sorted(p for p in folder.glob("*.safetensors") if not p.name.startswith("adapter_"))
    if safetensors:
        return safetensors
    return sorted(folder.glob("pytorch_model*.bin"))


def validate_model_folder(path: Path | str) -> Path:
    """Check that ``path`` is a loadable causal-LM folder; raise :class:`ModelFolderError` listing all gaps."""
    folder = Path(path)
    if not folder.is_dir():
        raise ModelFolderError(f"model folder {folder} does not exist (or is not a folder)")
    if (folder / "adapter_config.json").is_file() and not (folder / "config.json").is_file():
        base = json.loads((folder / "adapter_config.json").read_text()).get("base_model_name_or_path")
        raise ModelFolderError(
            f"{folder} is a PEFT adapter, not a full model (its base model is {base!r}); pass the base model "
            "folder here and the adapter separately"
        )
    missing: list[str] = []
    if not (folder / "config.json").is_file():
        missing.append("config.json")
    if not _weight_files(folder):
        missing.append("weights (*.safetensors or pytorch_model*.bin)")
    if not any(all((folder / name).is_file() for name in names) for names in TOKENIZER_FILE_SETS):
        missing.append("tokenizer files (tokenizer.json, tokenizer.model, or vocab.json + merges.txt)")
    if missing:
        raise ModelFolderError(
            f"model folder {folder} is incomplete: missing {', '.join(missing)}. Save the model and its "
            "tokenizer there with save_pretrained(), or point to a complete folder"
        )
    return folder


def _count_parameters(weight_files: list[Path]) -> int:
    """Parameters stored in the weight files (safetensors headers only; .bin files are memory-mapped)."""
    import math

    total = 0
    for file in weight_files:
        if file.suffix == ".safetensors":
            from safetensors import safe_open

            with safe_open(str(file), framework="pt") as handle:
                total += sum(math.prod(handle.get_slice(name).get_shape()) for name in handle.keys())
        else:
            import torch

            state = torch.load(file, map_location="cpu", mmap=True, weights_only=True)
            total += sum(t.numel() for t in state.values())
    return total


def _license(folder: Path, config: dict) -> str:
    """The licence from the model card's front matter, else the config, else 'unknown'."""
    readme = folder / "README.md"
    if readme.is_file():
        text = readme.read_text(encoding="utf-8", errors="replace")
        if text.startswith("---"):
            front = text.split("---", 2)[1] if text.count("---") >= 2 else ""
            match = re.search(r"^license:\s*['\"]?([^'\"\n]+)", front, flags=re.MULTILINE)
            if match:
                return match.group(1).strip()
    return str(config.get("license") or "unknown")


def describe_model_folder(path: Path | str) -> BaseModelInfo:
    """Architecture, model type, parameter count, licence and vocabulary size of a model folder."""
    folder = validate_model_folder(path)
    config = json.loads((folder / "config.json").read_text())
    architectures = config.get("architectures") or ["unknown"]
    text_config = config.get("text_config") or {}
    return BaseModelInfo(
        path=folder,
        architecture=str(architectures[0]),
        model_type=str(config.get("model_type", "unknown")),
        n_params=_count_parameters(_weight_files(folder)),
        license=_license(folder, config),
        vocab_size=int(config.get("vocab_size") or text_config.get("vocab_size") or 0),
    )


def resolve_hub_model(
    repo_id: str, revision: str, cache_dir: Path | str, local_files_only: bool = False
) -> Path:
    """Download (or find in ``cache_dir``) a Hub model snapshot and return its validated folder.

    Only configs, tokenizer files, the model card and safetensors weights are fetched; ``pytorch_model*.bin``
    only when the repository has no safetensors. ``local_files_only`` never touches the network.
    """
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    def fetch(patterns: list[str]) -> Path:
        return Path(
            snapshot_download(
                repo_id=repo_id,
                revision=revision,
                cache_dir=str(cache_dir),
                allow_patterns=patterns,
                local_files_only=local_files_only,
            )
        )

    try:
        folder = fetch(HUB_ALLOW_PATTERNS)
        if not _weight_files(folder):
            folder = fetch([*HUB_ALLOW_PATTERNS, "pytorch_model*.bin"])
    except GatedRepoError as error:
        raise ModelFolderError(
            f"Hub model {repo_id!r} is gated: accept its licence on the Hub and log in (HF_TOKEN)"
        ) from error
    except RepositoryNotFoundError as error:
        raise ModelFolderError(
            f"Hub model {repo_id!r} was not found (or is private): check the repo id, or log in (HF_TOKEN)"
        ) from error
    except RevisionNotFoundError as error:
        raise ModelFolderError(f"Hub model {repo_id!r} has no revision {revision!r}: check the branch, tag or commit") from error
    except LocalEntryNotFoundError as error:
        raise ModelFolderError(
            f"Hub model {repo_id!r}@{revision} is not in the cache {cache_dir} and the Hub cannot be reached "
            "(offline, or HF_HUB_OFFLINE=1); download it on a connected machine into that cache, or use "
            "source='local' with a folder"
        ) from error
    return validate_model_folder(folder)


def resolve_base_model(settings: BaseModelSettings, corpus: list[str], cache_root: Path | str) -> Path:
    """The base model folder for ``settings``: built (tiny), checked (local) or downloaded (hub).

    ``cache_root`` holds tiny-model builds (``cache_root/tiny``) and Hub downloads (``cache_root/hub``).
    ``corpus`` is only used by ``source='tiny'``.
    """
    cache_root = Path(cache_root)
    if settings.source == "tiny":
        return build_tiny_model(corpus, settings.tiny_settings(), cache_root / "tiny").path
    if settings.source == "local":
        return validate_model_folder(Path(settings.name_or_path).expanduser())
    return resolve_hub_model(settings.name_or_path, settings.revision, cache_root / "hub")


def folder_fingerprint(path: Path | str) -> str:
    """A cheap content fingerprint of a model folder: every file's relative path, size and modification
    time, and ``config.json`` itself. It changes when weights are replaced in place (a re-download, a new
    export to the same folder), which the folder's path alone does not show."""
    import hashlib

    root = Path(path)
    digest = hashlib.sha256()
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        stat = file.stat()
        digest.update(f"{file.relative_to(root).as_posix()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    config = root / "config.json"
    if config.is_file():
        digest.update(config.read_bytes())
    return digest.hexdigest()[:16]
