"""Sign-in, roles, department scoping and the tamper-evident audit trail.

The rules are plain functions over plain values (who may do what to which asset, how a
password is judged, how an audit row is chained); the FastAPI dependencies that apply them
to requests are thin.
"""
