"""lifecycle: an explicit state-machine lifecycle kernel for dataflow pipelines.

Every task, every service and each job's dispatcher is a finite state machine,
moved only by events through CREATED, STARTING, RUNNING, STOPPING, STOPPED,
CLEANING and CLEANED (or FAILED). See `docs/` for the semantics.
"""

from lifecycle.components import JobError, Outcome
from lifecycle.environment import LocalEnvironment
from lifecycle.errors import (
    ConfigError,
    InvalidTransition,
    JobFailed,
    LifecycleError,
    ServiceUnavailable,
    UnknownService,
)
from lifecycle.events import StopOrigin, StopReason
from lifecycle.history import TransitionRecord, load_jsonl, save_jsonl
from lifecycle.job import ComponentView, Job
from lifecycle.phases import TERMINAL, Kind, Phase
from lifecycle.service import Function, Service, service
from lifecycle.stream import IDLE

__all__ = [
    "IDLE",
    "TERMINAL",
    "ComponentView",
    "ConfigError",
    "Function",
    "InvalidTransition",
    "Job",
    "JobError",
    "JobFailed",
    "Kind",
    "LifecycleError",
    "LocalEnvironment",
    "Outcome",
    "Phase",
    "Service",
    "ServiceUnavailable",
    "StopOrigin",
    "StopReason",
    "TransitionRecord",
    "UnknownService",
    "load_jsonl",
    "save_jsonl",
    "service",
]

__version__ = "0.1.0"
