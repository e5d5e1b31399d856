"""The automation service, its action runner and the SLA monitor, started and stopped
together (a server's lifespan; a test's own store)."""

from __future__ import annotations

import time

from headwater.server.automations.runner import ActionRunner
from headwater.server.automations.service import AutomationService
from headwater.server.automations.slas import SlaMonitor
from headwater.server.db.database import Database


class Automations:
    def __init__(self, db: Database) -> None:
        self.runner = ActionRunner(db)
        self.service = AutomationService(db, on_fired=self.runner.wake)
        self.slas = SlaMonitor(db)

    def start(self) -> Automations:
        self.runner.start()
        self.service.start()
        self.slas.start()
        return self

    def changed(self) -> None:
        """An automation was created, changed or deleted: reload at once."""
        self.service.nudge()

    def slas_changed(self) -> None:
        """An SLA was created, changed or deleted: look again at once."""
        self.slas.nudge()

    def stop(self) -> None:
        self.slas.stop()
        self.service.stop()
        self.runner.stop()

    def run_once(self) -> None:
        """One pass of each, in this thread (tests)."""
        self.slas.run_once(time.time())
        self.service.run_once(time.time())
        self.runner.run_once(time.time())
