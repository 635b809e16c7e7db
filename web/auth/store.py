"""Users, revoked tokens and the audit trail in the SQL store (tables: fleet/store/schema.py)."""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from fleet.store.schema import audit, revoked_tokens, users
from web.auth.audit import GENESIS, AuditEntry, entry_hash, first_broken
from web.auth.passwords import hash_password, verify_password
from web.auth.roles import Department, Principal, Role


class UserExists(ValueError):
    pass


class UnknownUser(KeyError):
    pass


@dataclass(frozen=True, kw_only=True, slots=True)
class User:
    username: str
    role: Role
    departments: frozenset[Department]
    vehicle_id: str | None
    disabled: bool
    created_at: datetime

    def principal(self) -> Principal:
        return Principal(
            username=self.username,
            role=self.role,
            departments=self.departments,
            vehicle_id=self.vehicle_id,
        )


def _user(row: object) -> User:
    m = row._mapping  # type: ignore[attr-defined]
    created = m["created_at"]
    return User(
        username=m["username"],
        role=Role(m["role"]),
        departments=frozenset(Department(d) for d in m["departments"]),
        vehicle_id=m["vehicle_id"],
        disabled=bool(m["disabled"]),
        created_at=created if created.tzinfo else created.replace(tzinfo=UTC),
    )


class UserStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(
        self,
        username: str,
        password: str,
        role: Role,
        departments: Sequence[Department],
        now: datetime,
        vehicle_id: str | None = None,
    ) -> User:
        try:
            with self._engine.begin() as c:
                c.execute(
                    insert(users).values(
                        username=username,
                        password_hash=hash_password(password),
                        role=role.value,
                        departments=sorted(d.value for d in departments),
                        vehicle_id=vehicle_id,
                        disabled=False,
                        created_at=now,
                    )
                )
        except IntegrityError as e:
            raise UserExists(f"user {username!r} already exists") from e
        return self.get(username)

    def get(self, username: str) -> User:
        with self._engine.connect() as c:
            row = c.execute(select(users).where(users.c.username == username)).first()
        if row is None:
            raise UnknownUser(username)
        return _user(row)

    def all(self) -> list[User]:
        with self._engine.connect() as c:
            return [_user(r) for r in c.execute(select(users).order_by(users.c.username))]

    def count(self) -> int:
        with self._engine.connect() as c:
            return int(c.execute(select(func.count()).select_from(users)).scalar() or 0)

    def authenticate(self, username: str, password: str) -> User | None:
        """The user if the password matches and the account is enabled; None otherwise.

        An unknown user costs one verification too, so response time does not reveal who
        exists."""
        with self._engine.connect() as c:
            row = c.execute(select(users).where(users.c.username == username)).first()
        if row is None:
            verify_password(_stand_in_hash(), password)
            return None
        user = _user(row)
        ok = verify_password(row._mapping["password_hash"], password)
        return user if ok and not user.disabled else None

    def update(
        self,
        username: str,
        *,
        password: str | None = None,
        role: Role | None = None,
        departments: Sequence[Department] | None = None,
        disabled: bool | None = None,
    ) -> User:
        values: dict[str, object] = {}
        if password is not None:
            values["password_hash"] = hash_password(password)
        if role is not None:
            values["role"] = role.value
        if departments is not None:
            values["departments"] = sorted(d.value for d in departments)
        if disabled is not None:
            values["disabled"] = disabled
        if not values:  # nothing to change (an empty PATCH): still 404 for an unknown user
            return self.get(username)
        with self._engine.begin() as c:
            changed = c.execute(
                update(users).where(users.c.username == username).values(**values)
            ).rowcount
        if not changed:
            raise UnknownUser(username)
        return self.get(username)


@functools.cache
def _stand_in_hash() -> str:
    """What an unknown user's password is checked against: hashed once, so such an attempt
    costs one Argon2 verification, like a known user's, not a hash and a verification."""
    return hash_password("timing-equaliser")


class RevokedTokens:
    """Signed-out token ids until they would have expired anyway."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def revoke(self, token_id: str, expires_at: datetime, now: datetime) -> None:
        with self._engine.begin() as c:
            c.execute(delete(revoked_tokens).where(revoked_tokens.c.expires_at < now))
            c.execute(delete(revoked_tokens).where(revoked_tokens.c.token_id == token_id))
            c.execute(insert(revoked_tokens).values(token_id=token_id, expires_at=expires_at))

    def is_revoked(self, token_id: str) -> bool:
        with self._engine.connect() as c:
            return (
                c.execute(
                    select(revoked_tokens.c.token_id).where(revoked_tokens.c.token_id == token_id)
                ).first()
                is not None
            )


AUDIT_FIELDS = ("seq", "at", "username", "role", "action", "target", "result", "reason", "client")


class AuditTrail:
    """Append-only, hash-chained; `verify` finds the first row that was tampered with."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def append(
        self,
        *,
        username: str,
        role: str,
        action: str,
        target: str,
        result: str,
        reason: str,
        client: str,
        now: datetime,
    ) -> AuditEntry:
        for _ in range(20):  # another writer may take the same seq first: retry on top of it
            with self._engine.connect() as c:
                last = c.execute(
                    select(audit.c.seq, audit.c.hash).order_by(audit.c.seq.desc()).limit(1)
                ).first()
            seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
            entry = AuditEntry(
                seq=seq,
                at=now.astimezone(UTC).isoformat(timespec="microseconds"),
                username=username,
                role=role,
                action=action,
                target=target,
                result=result,
                reason=reason,
                client=client,
            )
            try:
                with self._engine.begin() as c:
                    c.execute(
                        insert(audit).values(
                            **{f: getattr(entry, f) for f in AUDIT_FIELDS},
                            hash=entry_hash(prev, entry),
                        )
                    )
                return entry
            except IntegrityError:
                continue
        raise RuntimeError("audit trail busy: could not append after 20 attempts")

    def query(
        self,
        *,
        username: str | None = None,
        target: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after_seq: int = 0,
        limit: int = 1000,
    ) -> list[AuditEntry]:
        """Rows oldest first; page on with `after_seq` = the last seq of the previous page."""
        q = select(audit).where(audit.c.seq > after_seq).order_by(audit.c.seq).limit(limit)
        if username:
            q = q.where(audit.c.username == username)
        if target:
            q = q.where(audit.c.target == target)
        if since:
            q = q.where(audit.c.at >= since.astimezone(UTC).isoformat(timespec="microseconds"))
        if until:
            q = q.where(audit.c.at <= until.astimezone(UTC).isoformat(timespec="microseconds"))
        with self._engine.connect() as c:
            return [AuditEntry(**{f: r._mapping[f] for f in AUDIT_FIELDS}) for r in c.execute(q)]

    def count(self) -> int:
        with self._engine.connect() as c:
            return int(c.execute(select(func.count()).select_from(audit)).scalar_one())

    def verify(self) -> int | None:
        """The seq of the first row that breaks the chain, or None when the trail is intact."""
        with self._engine.connect() as c:
            rows = c.execute(select(audit).order_by(audit.c.seq)).all()
        return first_broken(
            (AuditEntry(**{f: r._mapping[f] for f in AUDIT_FIELDS}), r._mapping["hash"])
            for r in rows
        )


def audit_csv(entries: Sequence[AuditEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(AUDIT_FIELDS)
    for e in entries:
        writer.writerow([getattr(e, f) for f in AUDIT_FIELDS])
    return out.getvalue()
