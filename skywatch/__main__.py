"""`python -m skywatch` runs the same command as `skywatch`."""

from skywatch.cli import app

app()
