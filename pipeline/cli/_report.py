"""A verification report as the command line prints it, check by check."""

from __future__ import annotations

from pipeline.cli._app import console


def show_report(report_data: dict[str, object]) -> None:
    """Print a verification report (``VerificationReport.as_dict()``) check by check."""
    console.print(f"[bold]{report_data['archival_code']}[/] {report_data['title'] or ''}")
    checks = report_data["checks"]
    assert isinstance(checks, list)
    for check in checks:
        mark = {True: "[green]✓[/]", False: "[red]✗[/]", None: "[yellow]![/]"}[check["passed"]]
        console.print(f"  {mark} {check['name']:<12} {check['detail']}", highlight=False)
    verdict = "[green]通过 passed[/]" if report_data["ok"] else "[red]未通过 FAILED[/]"
    console.print(f"  核验结论 verdict: {verdict}")
