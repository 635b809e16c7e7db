"""The `skywatch` command: one Typer application whose sub-commands live beside their package."""

import typer

app = typer.Typer(
    help="Skywatch: mission control for emergency drones and ground rescue robots.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main() -> None:
    """Plan, simulate, serve and fly Skywatch fleets."""
