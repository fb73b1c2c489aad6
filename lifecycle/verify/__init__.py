"""Exhaustive checking of the kernel: `lifecycle verify`.

`explore` searches every interleaving of events for a small job, `simulation`
models what a runtime may report, `state` copies kernels and names their
states, and `command` is the command line.
"""
