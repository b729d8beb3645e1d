"""``update_plan``: the model's to-do list, shown to the user as a ``PlanUpdate`` event."""

from __future__ import annotations

from typing import Any, Literal, cast

from pycodex.core.tools.context import ToolArgumentError, ToolContext
from pycodex.protocol.events import PlanUpdate
from pycodex.protocol.items import Plan, PlanStep

PLAN_UPDATED = "Plan updated"
_STATUSES = ("pending", "in_progress", "completed")


def parse_plan(args: dict[str, Any]) -> Plan:
    raw_plan = args.get("plan")
    if not isinstance(raw_plan, list):
        raise ToolArgumentError("`plan` must be an array of {step, status} objects")
    steps: list[PlanStep] = []
    for n, entry in enumerate(raw_plan):
        if not isinstance(entry, dict) or not isinstance(entry.get("step"), str):
            raise ToolArgumentError(f"plan[{n}] must be an object with a string `step`")
        status = entry.get("status")
        if status not in _STATUSES:
            raise ToolArgumentError(
                f"plan[{n}].status must be one of {', '.join(_STATUSES)}, got {status!r}"
            )
        steps.append(
            PlanStep(entry["step"], cast(Literal["pending", "in_progress", "completed"], status))
        )
    explanation = args.get("explanation")
    if explanation is not None and not isinstance(explanation, str):
        raise ToolArgumentError("`explanation` must be a string")
    return Plan(tuple(steps), explanation or None)


async def handle_update_plan(ctx: ToolContext, call_id: str, args: dict[str, Any]) -> str:
    del call_id
    plan = parse_plan(args)
    ctx.set_plan(plan)
    ctx.emit(PlanUpdate(plan=plan.steps, explanation=plan.explanation))
    return PLAN_UPDATED
