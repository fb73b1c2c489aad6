"""Exhaustive checking of the kernel: `lifecycle verify`.

`explore` searches every interleaving of events of a small job breadth
first; `harness` wires a kernel to a simulated runtime and a history checker
and checks every event; `simulation` and `threads` model what a runtime may
report given the commands it received; `state` copies kernels and names
their states; `command` is the command line.
"""
