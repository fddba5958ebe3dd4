"""The tasks every task module declares, and the Procrastinate Blueprint each App takes them from.

An App that takes a Blueprint's tasks renames them into its namespace and binds them to itself, so a
second App built in the same process from the same Blueprint got them renamed twice
(`ledgerlink:ledgerlink:sync_run`) and failed every job. Task modules therefore declare their tasks
here, and `TaskDeclarations.blueprint()` makes a new Blueprint of them for each App.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import procrastinate
from procrastinate.job_context import JobContext

from ledgerlink.runtime import Runtime

F = TypeVar("F", bound=Callable[..., Any])


class TaskDeclarations:
    """`@tasks.task(name=…, **options)` and `@tasks.periodic(**options)` take Procrastinate's arguments and
    leave the function as it is; nothing is bound until an App asks for a blueprint."""

    def __init__(self) -> None:
        self._tasks: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {}
        self._periodic: dict[str, dict[str, Any]] = {}

    def task(self, *, name: str, **options: Any) -> Callable[[F], F]:
        def declare(function: F) -> F:
            if name in self._tasks and self._tasks[name][0] is not function:
                raise ValueError(f"task {name!r} is declared twice")
            self._tasks[name] = (function, {"name": name, **options})
            return function

        return declare

    def periodic(self, **options: Any) -> Callable[[F], F]:
        """Above `task` (it names the function declared beneath)."""

        def declare(function: F) -> F:
            names = [name for name, (declared, _) in self._tasks.items() if declared is function]
            if not names:
                raise ValueError(f"{function.__qualname__} is made periodic before it is declared a task")
            self._periodic[names[0]] = options
            return function

        return declare

    def blueprint(self) -> procrastinate.Blueprint:
        """A new Blueprint holding every task declared so far (one for each App)."""
        blueprint = procrastinate.Blueprint()
        for name, (function, options) in self._tasks.items():
            task = blueprint.task(**options)(function)
            if name in self._periodic:
                blueprint.periodic(**self._periodic[name])(task)
        return blueprint


tasks = TaskDeclarations()

# Modules whose import declares tasks on `tasks`; a worker imports every one of them.
TASK_MODULES: list[str] = [
    "ledgerlink.jobs.maintenance",
    "ledgerlink.sync.tasks",
    "ledgerlink.webhooks.tasks",
    "ledgerlink.webhooks.registration_tasks",
    "ledgerlink.reactions",
    "ledgerlink.books.tasks",
]


def runtime_of(context: JobContext) -> Runtime:
    """The worker's Runtime, handed to every task through Procrastinate's additional context."""
    runtime: Any = context.additional_context.get("runtime")
    if not isinstance(runtime, Runtime):
        raise RuntimeError("task run outside a ledgerlink worker: no runtime in the job context")
    return runtime
