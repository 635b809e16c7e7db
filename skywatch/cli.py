"""The `skywatch` command: one Typer application whose sub-commands live beside their package.

Each package that offers sub-commands has a `cli` module with `register(app)`; listing them here
keeps `skywatch --help` in one place while each command's options stay next to the code it runs.
"""

import importlib
import importlib.util

import typer

app = typer.Typer(
    help="Skywatch: mission control for emergency drones and ground rescue robots.",
    no_args_is_help=True,
    add_completion=False,
)

#: Modules with a `register(app: typer.Typer) -> None` adding their sub-commands.
SUBCOMMAND_MODULES = (
    "sim.cli",
    "web.cli",
    "mission.cli",
    "fleet.cli",
    "perception.cli",
    "skywatch.up",
    "skywatch.onboard_cli",
)


@app.callback()
def main() -> None:
    """Plan, simulate, serve and fly Skywatch fleets."""


for _name in SUBCOMMAND_MODULES:
    if importlib.util.find_spec(_name) is not None:
        importlib.import_module(_name).register(app)
