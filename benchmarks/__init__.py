"""Speed and memory benchmarks of shequ_gov (run with ``make bench`` or ``python -m benchmarks``).

Each benchmark runs in a fresh Python process, so its peak memory is its own. Results go to
``benchmarks/results.json`` and a table on standard output. These are measurements, not tests:
nothing here fails a build.
"""
