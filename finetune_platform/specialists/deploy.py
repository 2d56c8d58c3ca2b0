"""Whether a specialist serves its domain: it must beat the generalist there.

A specialist is scored on its domain's held-out examples next to the generalist (the registry's champion)
and, when one is deployed, the specialist serving now (the incumbent) on the same examples. The outcome:

- the new specialist serves when it beats the generalist by more than ``min_gain`` and is at least as good
  as the incumbent;
- otherwise the incumbent keeps serving if it still beats the generalist by more than ``min_gain``
  (the generalist may have improved since it was deployed);
- otherwise no specialist serves the domain and the router's requests for it go to the generalist.
Without a generalist there is no fallback to compare with, so nothing is deployed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class DeploymentDecision:
    """What happens to the specialist alias: ``new`` (point it at the new version), ``incumbent`` (leave
    it), ``none`` (no specialist serves this domain: remove the alias)."""

    serves: Literal["new", "incumbent", "none"]
    reason: str


def decide(
    name: str,
    new_accuracy: float,
    generalist_accuracy: float | None,
    incumbent_accuracy: float | None,
    min_gain: float,
) -> DeploymentDecision:
    """The decision for specialist ``name`` from accuracies on the same domain examples (see module doc)."""
    if generalist_accuracy is None:
        return DeploymentDecision(
            "none", f"no generalist (champion) to fall back to or compare with: {name} is not deployed; promote a "
            "champion first (retrain_job)",
        )
    gain = new_accuracy - generalist_accuracy
    bar = f"must exceed {min_gain:+.3f}"
    if gain > min_gain and (incumbent_accuracy is None or new_accuracy >= incumbent_accuracy):
        return DeploymentDecision(
            "new", f"{name}: {new_accuracy:.3f} vs generalist {generalist_accuracy:.3f} ({gain:+.3f}; {bar})"
            + (f", incumbent {incumbent_accuracy:.3f}" if incumbent_accuracy is not None else ""),
        )
    if incumbent_accuracy is not None and incumbent_accuracy - generalist_accuracy > min_gain:
        return DeploymentDecision(
            "incumbent", f"{name}: the new version ({new_accuracy:.3f}) does not beat the serving one "
            f"({incumbent_accuracy:.3f}), which still beats the generalist ({generalist_accuracy:.3f}; {bar})",
        )
    return DeploymentDecision(
        "none", f"{name}: {new_accuracy:.3f} vs generalist {generalist_accuracy:.3f} ({gain:+.3f}; {bar})"
        + (f"; the serving one ({incumbent_accuracy:.3f}) no longer does either" if incumbent_accuracy is not None else "")
        + ": the generalist answers this domain",
    )
