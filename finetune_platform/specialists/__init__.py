"""Specialist models behind a router with a generalist fallback. Plain Python: no Dagster, no HTTP.

- :mod:`.spec`: ``data/specialists.yaml``, which names each specialist, the labels (categories) of its
  domain and the SFT settings it trains with;
- :mod:`.router`: the domain classifier that sends a request to a specialist, or to the generalist when
  it is unsure, the request is outside every domain, or the specialist is not deployed.
"""
