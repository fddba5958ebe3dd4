"""Static looks at a query document before it runs."""

from __future__ import annotations

from typing import Any

from graphql import DocumentNode, FieldNode, TypeInfo, TypeInfoVisitor, Visitor, visit

from ledgerlink.sandbox.shopify.schema import admin_schema

CUSTOMER_INDEX_FIELDS = frozenset({"numberOfOrders", "amountSpent", "orders", "lastOrder"})


class _CustomerIndexFields(Visitor):
    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info, self.found = type_info, False

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        parent = self.type_info.get_parent_type()
        if parent is not None and parent.name == "Customer" and node.name.value in CUSTOMER_INDEX_FIELDS:
            self.found = True


def needs_customer_index(document: DocumentNode) -> bool:
    """Whether a selected Customer field needs the one pass over every order (numberOfOrders…), which the
    app then runs in a worker thread before executing, rather than blocking the event loop."""
    finder = _CustomerIndexFields(TypeInfo(admin_schema()))
    visit(document, TypeInfoVisitor(finder.type_info, finder))
    return finder.found
