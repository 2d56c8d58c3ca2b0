"""Benchmarks: each module ``bench/<name>.py`` with a ``main()`` is one benchmark; ``python -m bench.run_all``
runs them all. Benchmarks are not part of the installed package and may need the ``bench`` extra."""
