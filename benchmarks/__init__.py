"""lifecycle's benchmarks: each case of issue 6 against its baseline, in one run.

Run `python -m benchmarks` from the repository's root: it runs every case,
prints the table and writes `docs/performance.md`. `--quick` runs tiny sizes
in seconds (for CI; it judges no goal), `--case NAME` runs one case, `--jobs N`
sets how many jobs the wait-latency case measures.

One module per case; each has a `run(quick)` returning `Row`s and a docstring
whose "What is measured" section is copied into the document.
"""
