"""Intake: village case ledgers (台账) read into cases, with every problem located.

The ledger layout is defined once in ``columns``; ``read_ledger`` reads a ledger,
``write_template_ledger`` writes a blank one to fill in, and
``write_error_report`` writes the problems found as a sheet the clerk can open.
"""

from pipeline.errors import Bilingual
from pipeline.intake.ledger import read_ledger
from pipeline.intake.messages import BadValue
from pipeline.intake.report import write_error_report
from pipeline.intake.result import IntakeResult, Issue, Location
from pipeline.intake.template import write_template_ledger

__all__ = [
    "BadValue",
    "Bilingual",
    "IntakeResult",
    "Issue",
    "Location",
    "read_ledger",
    "write_error_report",
    "write_template_ledger",
]
