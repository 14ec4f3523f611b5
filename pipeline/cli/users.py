"""``xwql users …``: the accounts of the workspace, each with a role and a scope."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pipeline.accounts.model import AccountRole, Scope
from pipeline.accounts.passwords import new_password
from pipeline.accounts.store import AccountStore
from pipeline.cli._app import JsonOption, app, console, current_settings, print_json
from pipeline.organisations import load_district

users_app = typer.Typer(
    help="Accounts of the web pages (clerks, town offices, supervisors, administrators).",
    no_args_is_help=True,
)
app.add_typer(users_app, name="users")

PasswordFileOption = Annotated[
    Path | None,
    typer.Option(help="Read the password from this file (else a new one is made and shown once)."),
]


def _password(password_file: Path | None) -> tuple[str, bool]:
    """The password to set, and whether it was made here (and must be shown)."""
    if password_file is not None:
        return password_file.read_text(encoding="utf-8").strip(), False
    return new_password(), True


def _show_password(name: str, password: str) -> None:
    console.print(f"密码 password (shown once; give it to {name}, keep it secret):")
    console.print(password, highlight=False, soft_wrap=True)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The login name, as the logs show it.")],
    role: Annotated[AccountRole, typer.Option(help="clerk, office, supervisor or admin.")],
    village: Annotated[str | None, typer.Option(help="The clerk's village (name or code).")] = None,
    town: Annotated[str | None, typer.Option(help="The office's town (name or code).")] = None,
    password_file: PasswordFileOption = None,
) -> None:
    """Make an account of the workspace, scoped to a village, a town or the district.

    Example: xwql users add nm-clerk --role clerk --village 南马村
    Example: xwql users add ql-office --role office --town 齐陵街道
    """
    settings = current_settings()
    directory = load_district(settings.district_path)
    password, made = _password(password_file)
    store = AccountStore.of(settings)
    try:
        account = store.add(name, role, Scope(town, village), password, directory)
    finally:
        store.close()
    where = account.scope.label(directory)
    console.print(f"[green]✓[/] {account.name} ({account.role.label} {role.value}, {where})")
    if made:
        _show_password(account.name, password)


@users_app.command("list")
def users_list(as_json: JsonOption = False) -> None:
    """List the accounts with their role, scope and state.

    Example: xwql users list
    """
    settings = current_settings()
    directory = load_district(settings.district_path)
    store = AccountStore.of(settings)
    try:
        accounts = store.accounts()
    finally:
        store.close()
    rows = [
        {"name": a.name, "role": a.role.value, "scope": a.scope.label(directory),
         "town": a.scope.town, "village": a.scope.village, "active": a.active,
         "created_at": a.created_at.isoformat()}
        for a in accounts
    ]  # fmt: skip
    if as_json:
        print_json(rows)
        return
    table = Table("账号 name", "角色 role", "范围 scope", "状态 state", "创建 created")
    for row, account in zip(rows, accounts, strict=True):
        state = "启用 active" if account.active else "停用 disabled"
        table.add_row(account.name, account.role.label, str(row["scope"]), state,
                      f"{account.created_at:%Y-%m-%d}")  # fmt: skip
    console.print(table)


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="The login name.")]) -> None:
    """Disable an account: it can no longer log in and its sessions end (records stay).

    Example: xwql users disable nm-clerk
    """
    _set_active(name, active=False)
    console.print(f"[green]✓[/] {name} 已停用 disabled")


@users_app.command("enable")
def users_enable(name: Annotated[str, typer.Argument(help="The login name.")]) -> None:
    """Enable a disabled account again.

    Example: xwql users enable nm-clerk
    """
    _set_active(name, active=True)
    console.print(f"[green]✓[/] {name} 已启用 enabled")


def _set_active(name: str, *, active: bool) -> None:
    store = AccountStore.of(current_settings())
    try:
        store.set_active(name, active)
    finally:
        store.close()


@users_app.command("password")
def users_password(
    name: Annotated[str, typer.Argument(help="The login name.")],
    password_file: PasswordFileOption = None,
) -> None:
    """Give an account a new password (its sessions end).

    Example: xwql users password nm-clerk
    """
    password, made = _password(password_file)
    store = AccountStore.of(current_settings())
    try:
        store.set_password(name, password)
    finally:
        store.close()
    console.print(f"[green]✓[/] {name}: 新密码已设置 new password set")
    if made:
        _show_password(name, password)
