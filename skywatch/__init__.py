"""Skywatch composition root: the `skywatch` command and the wiring that starts everything.

The only package that may import every other one (`sim`, `fleet`, `web`, `mission`).
"""
