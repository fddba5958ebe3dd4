"""A workspace's chart of accounts: seeded from the default chart on first use, then edited by code."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.errors import ValidationFailed
from ledgerlink.ids import has_prefix, new_id
from ledgerlink.ledger.accounts import Account, AccountType, ChartOfAccounts, default_chart
from ledgerlink.models import LedgerAccount

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


def _row(workspace_id: str, account: Account, active: bool = True) -> dict[str, object]:
    return {
        "id": new_id("acct"),
        "workspace_id": workspace_id,
        "code": account.code,
        "name": account.name,
        "type": str(account.type),
        "normal_balance": str(account.normal_balance),
        "active": active,
    }


async def accounts(session: AsyncSession, workspace_id: str) -> list[LedgerAccount]:
    """The workspace's accounts by code, the default chart written first if it has none yet."""
    query = select(LedgerAccount).where(LedgerAccount.workspace_id == workspace_id).order_by(LedgerAccount.code)
    rows = list((await session.execute(query)).scalars())
    if rows:
        return rows
    seed = [_row(workspace_id, a) for a in default_chart().values()]
    # A concurrent first use seeds the same codes: the unique (workspace, code) keeps one of each.
    await session.execute(insert(LedgerAccount).values(seed).on_conflict_do_nothing())
    return list((await session.execute(query)).scalars())


def as_chart(rows: list[LedgerAccount], *, active_only: bool = True) -> ChartOfAccounts:
    return ChartOfAccounts(Account(r.code, r.name, AccountType(r.type)) for r in rows if r.active or not active_only)


@dataclass(frozen=True, slots=True)
class Resolver:
    """Turns an account reference in an integration's mapping or nominal codes into a chart code: an
    `acct_…` id is looked up; anything else (a code, seed 003's numeric nominal code id) is the code."""

    by_id: dict[str, str]

    def __call__(self, reference: str) -> str:
        reference = reference.strip()
        if has_prefix(reference, "acct"):
            return self.by_id.get(reference, reference)
        return reference


def resolver(rows: list[LedgerAccount]) -> Resolver:
    return Resolver({r.id: r.code for r in rows})


async def save_account(
    session: AsyncSession, workspace_id: str, code: str, name: str, type_: str, active: bool = True
) -> tuple[LedgerAccount, bool]:
    """Adds the account, or edits the one with this code (name, type, active); returns it and whether
    it was new. Posted lines keep pointing at the code, so a code is never renamed."""
    if not CODE_PATTERN.match(code):
        raise ValidationFailed(
            "an account code is 1-40 letters, digits, '.', '_' or '-', starting with a letter or digit",
            [{"field": "code", "message": "invalid account code"}],
        )
    account = Account(code, name, AccountType(type_))
    await accounts(session, workspace_id)  # a first edit starts from the default chart
    row = _row(workspace_id, account, active)
    statement = (
        insert(LedgerAccount)
        .values(row)
        .on_conflict_do_update(
            index_elements=["workspace_id", "code"],
            set_={
                "name": row["name"],
                "type": row["type"],
                "normal_balance": row["normal_balance"],
                "active": active,
                "updated_at": func.now(),
            },
        )
        .returning(LedgerAccount.id)
    )
    account_id = (await session.execute(statement)).scalar_one()
    saved = (
        await session.execute(
            select(LedgerAccount).where(LedgerAccount.id == account_id).execution_options(populate_existing=True)
        )
    ).scalar_one()
    return saved, account_id == row["id"]
