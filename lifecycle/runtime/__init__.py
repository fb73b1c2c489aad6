"""Runtimes execute the kernel's commands and report what happened as events."""
