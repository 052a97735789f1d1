"""Workflow definitions as data: parse and validate a spec (YAML or JSON), export it again.

A spec names its states, the initial one, and transitions; each transition says who may do
it (a capability), what the actor must supply (opinion, reason, attachments), which named
guards must pass, and what it does to the SLA clock::

    code: demo.review
    name: 审核
    initial: submitted
    view_permission: identity.view_organisation
    states:
      submitted: {label: 已提交}
      accepted:  {label: 已受理}
      done:      {label: 已办结, final: true}
    transitions:
      - {name: accept, label: 受理, from: [submitted], to: accepted,
         permission: identity.manage_organisation, require: [opinion],
         guards: [materials_complete], sla: start, limit: 20 working_days}
      - {name: finish, label: 办结, from: [accepted], to: done,
         permission: identity.manage_organisation, sla: stop}

``transitions_via`` (optional) names the domain API that takes the transitions, because its
use cases record more than the engine does (e.g. 办件 accept writes 受理时间 and 受理文书编号);
the generic workflow API then only reads instances of that process.

``limit`` is ``"<amount> <unit>"`` (units: working_days, natural_days, hours, working_hours)
or ``"subject.<attribute>"`` naming an attribute of the subject that holds such a string
(e.g. an item's promised time limit).
"""

import json
import re
from dataclasses import dataclass, field

import yaml
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SLA_EFFECTS = ("start", "pause", "resume", "stop")
REQUIRABLE = ("opinion", "reason", "attachments")
UNITS = ("working_days", "natural_days", "hours", "working_hours")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_LIMIT = re.compile(r"^(\d{1,4})\s+(" + "|".join(UNITS) + r")$")
_SUBJECT_LIMIT = re.compile(r"^subject\.([a-z_][a-z0-9_]*)$")


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    permission: str
    require: tuple[str, ...] = ()
    guards: tuple[str, ...] = ()
    sla: str | None = None
    limit: str | None = None


@dataclass(frozen=True)
class Spec:
    code: str
    name: str
    initial: str
    states: dict[str, dict]
    transitions: tuple[Transition, ...]
    view_permission: str
    raw: dict = field(compare=False, hash=False, repr=False)
    transitions_via: str = ""  # a domain API owns the transitions; the generic one only reads

    def transitions_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]

    def transition(self, name: str) -> Transition | None:
        return next((t for t in self.transitions if t.name == name), None)

    def is_final(self, state: str) -> bool:
        return bool(self.states[state].get("final"))

    def label(self, state: str) -> str:
        return self.states[state].get("label", state)


def parse_limit(text: str) -> tuple[int, str] | str:
    """``"20 working_days"`` → (20, "working_days"); ``"subject.x"`` → "x" (resolved later)."""
    text = str(text).strip()
    if m := _LIMIT.match(text):
        return int(m.group(1)), m.group(2)
    if m := _SUBJECT_LIMIT.match(text):
        return m.group(1)
    raise ValueError(text)


def load_text(text: str) -> dict:
    """YAML is a superset of JSON: one loader for both file formats."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(
            _("流程定义不是有效的 YAML/JSON：%(error)s") % {"error": exc}
        ) from None
    if not isinstance(data, dict):
        raise ValidationError(_("流程定义应是一个映射（键值对）"))
    return data


def dump_text(raw: dict, fmt: str = "yaml") -> str:
    if fmt == "json":
        return json.dumps(raw, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    return yaml.safe_dump(raw, allow_unicode=True, sort_keys=True)


def validate(raw: dict, *, known_guards=None, known_permissions=None) -> Spec:
    """Check a definition completely; every problem is reported, each naming the rule."""
    errors: list[str] = []
    err = errors.append
    code, name = str(raw.get("code", "")), str(raw.get("name", ""))
    if not re.match(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$", code):
        err(_("code 应为小写点分代码，如 services.case"))
    if not name:
        err(_("缺少 name（流程名称）"))
    states = raw.get("states")
    if not isinstance(states, dict) or not states:
        err(_("缺少 states（状态）"))
        states = {}
    states = {str(k): (v or {}) for k, v in states.items()}
    for state in states:
        if not _NAME.match(state):
            err(_("状态名 %(name)s 应为小写字母、数字和下划线") % {"name": state})
    initial = str(raw.get("initial", ""))
    if initial not in states:
        err(_("initial（初始状态）%(state)s 不在 states 中") % {"state": initial})
    view_permission = str(raw.get("view_permission", ""))
    if known_permissions is not None and view_permission not in known_permissions:
        err(_("view_permission %(perm)s 不是已声明的权限") % {"perm": view_permission})
    transitions, seen = [], set()
    for index, item in enumerate(raw.get("transitions") or []):
        where = _("第 %(n)s 个转换") % {"n": index + 1}
        if not isinstance(item, dict):
            err(where + _("应是映射"))
            continue
        t_name = str(item.get("name", ""))
        if not _NAME.match(t_name):
            err(where + _("：name 应为小写字母、数字和下划线"))
        if t_name in seen:
            err(_("转换 %(name)s 重复") % {"name": t_name})
        seen.add(t_name)
        sources = item.get("from") or []
        sources = [sources] if isinstance(sources, str) else list(sources)
        for s in sources:
            if s not in states:
                err(_("转换 %(t)s 的起始状态 %(s)s 不存在") % {"t": t_name, "s": s})
        if not sources:
            err(_("转换 %(t)s 缺少 from") % {"t": t_name})
        target = str(item.get("to", ""))
        if target not in states:
            err(_("转换 %(t)s 的目标状态 %(s)s 不存在") % {"t": t_name, "s": target})
        permission = str(item.get("permission", ""))
        if known_permissions is not None and permission not in known_permissions:
            err(_("转换 %(t)s 的权限 %(p)s 未声明") % {"t": t_name, "p": permission})
        require = tuple(item.get("require") or ())
        for r in require:
            if r not in REQUIRABLE:
                err(
                    _("转换 %(t)s 的 require 只能是 %(allowed)s")
                    % {"t": t_name, "allowed": ", ".join(REQUIRABLE)}
                )
        guards = tuple(item.get("guards") or ())
        if known_guards is not None:
            for g in guards:
                if g not in known_guards:
                    err(_("转换 %(t)s 的校验规则 %(g)s 未注册") % {"t": t_name, "g": g})
        sla = item.get("sla")
        if sla is not None and sla not in SLA_EFFECTS:
            err(_("转换 %(t)s 的 sla 只能是 start/pause/resume/stop") % {"t": t_name})
        limit = item.get("limit")
        if limit is not None:
            try:
                parse_limit(limit)
            except ValueError:
                err(
                    _("转换 %(t)s 的 limit 应如“20 working_days”或“subject.属性名”") % {"t": t_name}
                )
        if sla == "start" and limit is None:
            err(_("转换 %(t)s 开始计时但没有 limit（时限）") % {"t": t_name})
        transitions.append(
            Transition(
                name=t_name,
                label=str(item.get("label") or t_name),
                sources=tuple(sources),
                target=target,
                permission=permission,
                require=require,
                guards=guards,
                sla=sla,
                limit=str(limit) if limit is not None else None,
            )
        )
    if not transitions:
        err(_("至少需要一个转换"))
    for state, info in states.items():
        if info.get("final") and any(state in t.sources for t in transitions):
            err(_("终止状态 %(s)s 不能再有转出") % {"s": state})
    if errors:
        raise ValidationError(errors)
    return Spec(
        code=code,
        name=name,
        initial=initial,
        states=states,
        transitions=tuple(transitions),
        view_permission=view_permission,
        raw=raw,
        transitions_via=str(raw.get("transitions_via") or ""),
    )
