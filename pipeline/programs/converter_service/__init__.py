"""The converter service: warm LibreOffice kept running between commands.

Every command that converts documents starts LibreOffice first (about 2 s of a
one-notice command's 3). ``xwql converters up`` starts a converter service
instead: a detached process owning a warm :class:`~pipeline.programs.soffice.ConverterPool`
that converts on request over a Unix socket in ``<data>/converter-service/``.
Commands then find it there and convert through it
(:class:`~pipeline.programs.converter_service.pool.ServiceOrPool`); with no
service they start their own pool as before.

Access is the owner's only: the folder is 0700, the socket 0600, and the
service checks each peer's user id. Client and service share the machine and
the user, so only paths travel, never document bytes.

The modules, by what they are:

- :mod:`.pool`: what a job converts through (the ``Converter`` protocol, a
  local pool, or the service with a local pool to fall back on).
- :mod:`.client`: one request to the service and its answer; who the service
  is, and why a command must not use it.
- :mod:`.service`: the service process itself and its protocol. It converts;
  it runs commands too when its entry point hands it a runner of them (the
  command line's does, :mod:`pipeline.cli._served`), as this package knows
  nothing of the command line.
- :mod:`.lifecycle`: starting, stopping and asking after the detached process
  (``xwql converters up|down|status``).

Nothing is imported here, so that ``python -m`` of a module below runs it once.
"""
