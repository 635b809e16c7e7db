"""`python -m sim ...`: the same as `skywatch sim ...`."""

from sim.cli import main

main()
