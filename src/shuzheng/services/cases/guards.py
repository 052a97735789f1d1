"""The named guards of the 办件 workflow (``workflow.yaml``): each says which rule is unmet."""

from django.utils.translation import gettext as _

from shuzheng.foundation import workflow
from shuzheng.foundation.workflow.guards import GuardFailed


def missing_materials(case) -> list:
    """Required materials (not removed by 五个一律取消) the case has neither a file for nor a
    commitment (告知承诺) in place of; 容缺 materials may follow after acceptance."""
    supplied = {m.material_id for m in case.materials.all() if m.file_id or m.by_commitment}
    return [
        m
        for m in case.item_version.materials.all()
        if not m.removed_rule and m.necessity == "required" and m.pk not in supplied
    ]


@workflow.guard("materials_complete", label="申请材料齐全")
def materials_complete(ctx) -> None:
    missing = missing_materials(ctx.subject)
    if missing:
        raise GuardFailed(
            _("缺少必要材料：%(names)s") % {"names": "、".join(m.name for m in missing)}
        )


def _steps(case) -> list:
    return list(case.item_version.review_steps or []) or [_("审查")]


@workflow.guard("review_step_remaining", label="尚有后续审查环节")
def review_step_remaining(ctx) -> None:
    if ctx.subject.review_step >= len(_steps(ctx.subject)) - 1:
        raise GuardFailed(_("已是最后一个审查环节，请直接作出决定"))


@workflow.guard("review_steps_done", label="审查环节已全部完成")
def review_steps_done(ctx) -> None:
    steps = _steps(ctx.subject)
    if ctx.subject.review_step < len(steps) - 1:
        raise GuardFailed(
            _("还需经过审查环节：%(steps)s")
            % {"steps": "、".join(steps[ctx.subject.review_step + 1 :])}
        )


@workflow.guard("legal_basis_given", label="写明决定依据")
def legal_basis_given(ctx) -> None:
    if not str((ctx.data or {}).get("legal_basis", "")).strip():
        raise GuardFailed(_("作出决定须写明法律依据"))
