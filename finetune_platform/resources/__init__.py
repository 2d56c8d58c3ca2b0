"""Dagster resources for the outside systems the platform talks to.

Each resource is a thin ``ConfigurableResource`` around a plain-Python client (in ``datasets``,
``training``, ``serving``, ``monitoring``), so the same client serves the CLI, the server and tests.
"""

from finetune_platform.resources.platform import (
    DvcResource,
    LogStoreResource,
    MlflowResource,
    PlatformResource,
    RegistryResource,
    build_resources,
)

__all__ = [
    "DvcResource",
    "LogStoreResource",
    "MlflowResource",
    "PlatformResource",
    "RegistryResource",
    "build_resources",
]
