"""README's "Bring your own data" works as written: its sources entry loads and its commands parse."""

import re
import shlex

from finetune_platform.cli import build_parser
from finetune_platform.ingest.sources import load_sources
from finetune_platform.settings import PACKAGE_ROOT


def _section() -> str:
    text = (PACKAGE_ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("## Bring your own data", 1)[1].split("\n## ", 1)[0]


def test_the_readme_sources_entry_is_a_valid_source(tmp_path) -> None:
    entry = re.search(r"```yaml\n(.*?)```", _section(), re.S).group(1)
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n" + entry, encoding="utf-8")
    [source] = load_sources(path)
    assert (source.name, source.path, source.format, source.label_field) == ("intents", "intents/*.csv", "csv", "category")


def test_the_readme_ingest_commands_parse_and_name_the_entry() -> None:
    block = re.search(r"```bash\n(.*?)```", _section(), re.S).group(1)
    commands = [shlex.split(line.split("#", 1)[0]) for line in block.splitlines() if line.strip()]
    assert commands and all(c[0] == ".venv/bin/finetune-platform" for c in commands)
    parsed = [build_parser().parse_args(c[1:]) for c in commands]
    assert parsed[0].job == "ingest_job" and parsed[0].source == ["intents"]
