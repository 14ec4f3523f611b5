"""The users' jobs: one library function each, called alike by the CLI, the web pages and the flows.

Where each lives:

* import a ledger — :func:`pipeline.intake.importing.import_ledger`;
* record a step — :func:`pipeline.jobs.cases.record_step`;
* write a case's own documents — :func:`pipeline.jobs.cases.case_documents`;
* issue notices for posting — :func:`pipeline.jobs.notices.issue_notices`, and file
  them — :func:`pipeline.jobs.notices.archive_notices`;
* write the month's packs and the district summary — :func:`pipeline.jobs.month.write_packs`,
  or from a page, followed in the database — :func:`pipeline.jobs.runs.build_month_run`;
* file a case file, a village's notices, its monthly pack, the district summary, the
  catalog edition — :mod:`pipeline.jobs.village` (the grain the flows fan out over);
* file the named cases — :func:`pipeline.jobs.village.file_cases`;
* read the seal-use register and the overdue list — :func:`pipeline.jobs.registers.seal_register`,
  :func:`pipeline.jobs.registers.overdue_register`;
* search, retrieve and verify archived packages, read the access log —
  :class:`pipeline.jobs.audit.AuditDesk`.
"""
