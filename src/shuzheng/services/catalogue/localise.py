"""办事指南 content in the reader's language. A catalogue editor's own translation always wins;
繁體 without one is converted from the Simplified text with OpenCC (Macau usage, as the UI
catalogue is); Portuguese and English without one show the Chinese original, marked, so the
page can say so instead of pretending.

Where translations live (``ItemVersion.translations``, keyed by language code)::

    {"pt": {"name": "…", "acceptance_conditions": "…", "process": ["…", "…"],
            "materials": {"<material code>": {"name": "…", "notes": "…"}},
            "fees": [{"name": "…", "standard": "…"}],          # by position
            "questions": [{"question": "…", "answer": "…"}]}}   # by position
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from shuzheng.foundation.web.hant import to_traditional

SIMPLIFIED, TRADITIONAL, PORTUGUESE, ENGLISH = "zh-hans", "zh-hant", "pt", "en"


VERSION_TEXT_FIELDS = (
    "name",
    "short_name",
    "implementer_nature",
    "entrusted_department",
    "legal_basis",
    "acceptance_conditions",
    "location",
    "office_hours",
    "result_type",
    "result_name",
    "change_note",
)
VERSION_LIST_FIELDS = ("process", "handling_forms", "review_steps")
MATERIAL_TEXT_FIELDS = ("name", "issuing_department", "acceptance_standard", "notes", "basis")
FEE_TEXT_FIELDS = ("name", "standard", "basis")
QUESTION_TEXT_FIELDS = ("question", "answer")

FALLBACK_NOTES = {
    (PORTUGUESE, "all"): _("本事项暂无葡文版本，以下为中文原文"),
    (ENGLISH, "all"): _("本事项暂无英文版本，以下为中文原文"),
    (PORTUGUESE, "some"): _("本事项部分内容暂无葡文版本，以中文原文显示"),
    (ENGLISH, "some"): _("本事项部分内容暂无英文版本，以中文原文显示"),
}


class Text(str):
    """A displayed string that knows where it came from: ``machine`` = converted by OpenCC,
    ``fallback`` = the Chinese original shown because the language has no translation."""

    machine: bool
    fallback: bool

    def __new__(cls, value: str = "", *, machine: bool = False, fallback: bool = False):
        text = super().__new__(cls, value or "")
        text.machine = machine
        text.fallback = fallback
        return text


def language_of(code: str | None) -> str:
    """One of the four content languages for a Django language code (zh-hk → zh-hant)."""
    code = (code or SIMPLIFIED).lower().replace("_", "-")
    if code.startswith("zh"):
        if code in ("zh-hant", "zh-hk", "zh-mo", "zh-tw") or code.startswith("zh-hant"):
            return TRADITIONAL
        return SIMPLIFIED
    base = code.split("-")[0]
    return base if base in (PORTUGUESE, ENGLISH) else SIMPLIFIED


def in_language(text: str, language: str) -> str:
    """A proper name or label with no stored translation (an organisation, a theme): converted
    for 繁體, unchanged otherwise — never counted as a missing translation."""
    return to_traditional(text) if language == TRADITIONAL and text else (text or "")


def _one(original, provided, language: str) -> Text:
    original = "" if original is None else str(original)
    if language == SIMPLIFIED:
        return Text(original)
    if isinstance(provided, str) and provided.strip():
        return Text(provided)
    if not original:
        return Text("")
    if language == TRADITIONAL:
        return Text(to_traditional(original), machine=True)
    return Text(original, fallback=True)


def _many(originals, provided, language: str) -> list[Text]:
    originals = [str(x) for x in (originals or [])]
    if isinstance(provided, list) and len(provided) == len(originals):
        return [_one(o, p, language) for o, p in zip(originals, provided, strict=True)]
    return [_one(o, None, language) for o in originals]


def _for_language(version, language: str) -> dict:
    translations = version.translations if isinstance(version.translations, dict) else {}
    own = translations.get(language)
    return own if isinstance(own, dict) else {}


def localised(version, field: str, language: str):
    """One field of ``version`` in ``language``: a :class:`Text` (a list of them for list
    fields such as ``process``)."""
    provided = _for_language(version, language).get(field)
    original = getattr(version, field)
    if isinstance(original, list):
        return _many(original, provided, language)
    return _one(original, provided, language)


class _Localised:
    """Text fields replaced by their localised :class:`Text`; anything else (numbers, choices,
    relations) read from the wrapped row, so templates use the model's own names."""

    def __init__(self, row, texts: dict):
        self._row = row
        self.__dict__.update(texts)

    def __getattr__(self, name):
        if "_row" not in self.__dict__ or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._row, name)


@dataclass
class LocalisedVersion:
    """The guide's view-model: the version, its parts and its names in one language."""

    version: object
    language: str
    texts: dict
    materials: list = field(default_factory=list)
    removed_materials: list = field(default_factory=list)
    fees: list = field(default_factory=list)
    questions: list = field(default_factory=list)
    themes: list = field(default_factory=list)
    organisation_name: str = ""
    has_translation: bool = False

    def __getattr__(self, name):
        texts = self.__dict__.get("texts", {})
        if name in texts:
            return texts[name]
        if "version" not in self.__dict__ or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.__dict__["version"], name)

    def _all_texts(self):
        yield from _flatten(self.texts.values())
        for part in (*self.materials, *self.removed_materials, *self.fees, *self.questions):
            yield from _flatten(v for k, v in vars(part).items() if not k.startswith("_"))

    @property
    def fallback(self) -> str | None:
        """``"all"`` when the language has no translation at all, ``"some"`` when parts are missing,
        None when everything shown is in the reader's language (or converted)."""
        if self.language not in (PORTUGUESE, ENGLISH):
            return None
        missing = any(getattr(t, "fallback", False) for t in self._all_texts())
        if not missing:
            return None
        return "some" if self.has_translation else "all"

    @property
    def fallback_note(self):
        kind = self.fallback
        return FALLBACK_NOTES.get((self.language, kind)) if kind else None

    @property
    def machine_converted(self) -> bool:
        return any(getattr(t, "machine", False) for t in self._all_texts())


def _flatten(values):
    for value in values:
        if isinstance(value, list):
            yield from value
        else:
            yield value


def _part(row, fields, provided: dict, language: str) -> _Localised:
    provided = provided if isinstance(provided, dict) else {}
    return _Localised(
        row, {name: _one(getattr(row, name), provided.get(name), language) for name in fields}
    )


def _positional(rows, provided, fields, language: str) -> list[_Localised]:
    provided = provided if isinstance(provided, list) else []
    return [
        _part(row, fields, provided[i] if i < len(provided) else None, language)
        for i, row in enumerate(rows)
    ]


def localised_version(version, language: str) -> LocalisedVersion:
    """Everything a 办事指南 shows of ``version``, in ``language``."""
    language = language_of(language)
    own = _for_language(version, language)
    texts = {name: localised(version, name, language) for name in VERSION_TEXT_FIELDS}
    texts.update({name: localised(version, name, language) for name in VERSION_LIST_FIELDS})
    by_code = own.get("materials") if isinstance(own.get("materials"), dict) else {}
    materials, removed = [], []
    for material in version.materials.all():
        row = _part(material, MATERIAL_TEXT_FIELDS, by_code.get(material.code), language)
        (removed if material.removed_rule else materials).append(row)
    organisation = version.item.organisation
    return LocalisedVersion(
        version=version,
        language=language,
        texts=texts,
        materials=materials,
        removed_materials=removed,
        fees=_positional(version.fees.all(), own.get("fees"), FEE_TEXT_FIELDS, language),
        questions=_positional(
            version.questions.all(), own.get("questions"), QUESTION_TEXT_FIELDS, language
        ),
        themes=[(theme, in_language(theme.name, language)) for theme in version.themes.all()],
        organisation_name=in_language(organisation.name, language),
        has_translation=bool(own),
    )
