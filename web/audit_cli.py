"""`skywatch audit verify`: recompute the audit trail's hash chain from the store.

Exit 0 when every row matches the chain; exit 1 with the first row that does not (edited,
inserted, or following a removed row), so that an inquiry knows from where on the trail
cannot be trusted.
"""

from __future__ import annotations

import typer

from web.users_cli import DataDir, open_cli_auth

audit_app = typer.Typer(help="The audit trail of commands, changes and refusals.",
                        no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def verify(data_dir: DataDir = None) -> None:
    """Check that no audit row was edited, removed or inserted."""
    with open_cli_auth(data_dir) as auth:
        bad = auth.audit.verify()
        rows = auth.audit.query(after_seq=bad - 1, limit=1) if bad is not None else []
        count = auth.audit.count()
    if bad is None:
        typer.echo(f"audit trail intact: {count} rows")
        return
    typer.echo(f"audit trail broken at row {bad}", err=True)
    if rows:
        r = rows[0]
        typer.echo(
            f"  {r.seq} {r.at} {r.username or '-'} ({r.role or '-'}) {r.action} {r.target} "
            f"{r.result} {r.reason}", err=True,
        )
    raise typer.Exit(1)

