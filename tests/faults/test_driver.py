"""The driver applies a report already queued before a deadline that is due."""

from __future__ import annotations

from lifecycle import Phase
from lifecycle import events as ev
from lifecycle.kernel import Kernel
from lifecycle.runtime.driver import Driver
from lifecycle.specs import ServiceSpec, job_spec
from tests.faults.checks import BOUND


def test_a_report_queued_before_a_due_deadline_is_not_overtaken_by_it() -> None:
    """A service that reported Started in time is not abandoned by a busy driver."""
    kernel = Kernel(job_spec("driver", [], [ServiceSpec(name="index")]), check=True)
    driver: Driver

    def execute(command: ev.Command) -> None:
        """Answer each command at once, as a fast service would."""
        if isinstance(command, ev.StartService):
            # The deadline falls due while the driver is still busy here,
            # and the report that beats it is already queued.
            driver.arm(0.0, ev.Overran("index", Phase.STARTING, command.timeout))
            driver.report(ev.Started("index"))
        elif isinstance(command, ev.StopService):
            driver.report(ev.Stopped("index"))
        elif isinstance(command, ev.Cleanup):
            driver.report(ev.Cleaned("index"))

    driver = Driver(kernel, execute)
    driver.start(ev.Submit())
    assert driver.wait_for(lambda: driver.phase.terminal, BOUND)
    driver.thread.join(BOUND)

    assert kernel.state is Phase.CLEANED
    assert kernel.components["index"].state is Phase.CLEANED
    assert kernel.errors == []
