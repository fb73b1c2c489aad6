"""The demo job: Python's help questions answered from Python's help topics.

`lifecycle demo` (see `command`) runs it; `pipeline.run_demo` is the job
itself, `corpus` the input and ground truth, `index` and `memory` the two
services, `report` the summary. `docs/demo.md` describes it all.
"""
