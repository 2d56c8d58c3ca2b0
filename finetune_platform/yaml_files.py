"""Reading the YAML files a user edits (``data/sources.yaml``, ``curation.yaml``, ``sweep.yaml``,
``specialists.yaml``): PyYAML's safe loader, refusing a key written twice in one mapping.

PyYAML keeps the last of two equal keys without a word, so a setting written twice ("format: csv" then,
further down the entry, "format: jsonl") would silently take the second; a YAML file edited by hand is
where that happens.
"""

from __future__ import annotations

from typing import Any

import yaml


class UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key written twice in one mapping (with the line where it repeats)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice in one mapping", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str) -> Any:
    """``text`` parsed as YAML with :class:`UniqueKeyLoader` (a safe loader); raises ``yaml.YAMLError``."""
    return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - UniqueKeyLoader is a SafeLoader
