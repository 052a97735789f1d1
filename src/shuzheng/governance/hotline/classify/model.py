"""The work-order classifier: TF-IDF over word unigrams and bigrams (``features``) and two
linear heads — the category leaf and the handling unit — stored as plain arrays.

Training uses scikit-learn (``LinearSVC``: fast on sparse text, one-vs-rest margins); the
margins become probabilities by a softmax whose temperature is fitted on an internal
calibration slice of the training rows (never on the held-out rows the metrics come from).
Only the arrays leave this module: vocabulary, idf, coefficients, intercepts, classes and
temperature, in a compressed NumPy ``.npz`` that loads with ``allow_pickle=False``. Scoring a
text is NumPy over the few rows of its own features — no scikit-learn object at inference.
"""

from __future__ import annotations

import io
import math
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np

from shuzheng.governance.hotline.classify import features as F

FORMAT = 1
DEFAULT_C = 1.0
MIN_DF = 2
# A linear model on a few dozen words is never certain: probabilities are reported at most
# this high, so a rule asking for full confidence (1.0) never fires on rounding.
MAX_CONFIDENCE = 0.9999


# --------------------------------------------------------------------------- data


@dataclass
class Sample:
    """One labelled order: its text, category leaf code and handling unit label (either may
    be None), and location names (district, street) known for it."""

    text: str
    category: str | None = None
    unit: str | None = None
    location: tuple[str, ...] = ()
    key: object = None  # the order's id, for the record


def split(labels: list, holdout: float, seed: int) -> tuple[list[int], list[int]]:
    """Stratified train / held-out indices: ``holdout`` of every label's rows (rounded) go to
    the held-out side, but a label keeps at least one row for training. Deterministic."""
    if not 0 <= holdout < 1:
        raise ValueError("holdout must be in [0, 1)")
    rng = random.Random(seed)
    by_label: dict[object, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_label[label].append(i)
    test: list[int] = []
    for label in sorted(by_label, key=str):
        rows = by_label[label]
        rng.shuffle(rows)
        take = min(round(len(rows) * holdout), len(rows) - 1)
        test.extend(rows[:take])
    held = set(test)
    return [i for i in range(len(labels)) if i not in held], sorted(test)


# --------------------------------------------------------------------------- vectoriser


class Vectoriser:
    """Feature → column, with idf; sublinear tf, l2-normalised rows."""

    def __init__(self, vocabulary, idf):
        self.vocabulary = [str(v) for v in vocabulary]
        self.idf = np.asarray(idf, dtype=np.float32)
        self.index = {f: i for i, f in enumerate(self.vocabulary)}

    @classmethod
    def fit(cls, docs: list[list[str]], *, min_df: int = MIN_DF) -> Vectoriser:
        df: Counter = Counter()
        for doc in docs:
            df.update(set(doc))
        if min_df > 1 and sum(1 for c in df.values() if c >= min_df) < 2:
            min_df = 1  # tiny histories: keep every feature
        vocabulary = sorted(f for f, c in df.items() if c >= min_df)
        n = len(docs)
        idf = [math.log((1 + n) / (1 + df[f])) + 1.0 for f in vocabulary]
        return cls(vocabulary, idf)

    def counts(self, doc: list[str]) -> dict[int, int]:
        """Column → count of the document's known features."""
        counts: dict[int, int] = {}
        index = self.index
        for f in doc:
            j = index.get(f)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        return counts

    def weights(self, doc: list[str] | dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """(columns, weights) of one document (its features or their ``counts``): the
        sparse row the scorer multiplies."""
        counts = doc if isinstance(doc, dict) else self.counts(doc)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        w = (1.0 + np.log(tf)) * self.idf[cols]
        norm = float(np.sqrt(np.dot(w, w)))
        return cols, (w / norm if norm else w)

    def matrix(self, docs: list[list[str]]):
        from scipy import sparse

        indptr = [0]
        indices: list[np.ndarray] = []
        data: list[np.ndarray] = []
        for doc in docs:
            cols, w = self.weights(doc)
            indices.append(cols)
            data.append(w)
            indptr.append(indptr[-1] + len(cols))
        return sparse.csr_matrix(
            (
                np.concatenate(data) if data else np.zeros(0, dtype=np.float32),
                np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64),
                np.asarray(indptr),
            ),
            shape=(len(docs), len(self.vocabulary)),
            dtype=np.float32,
        )


# --------------------------------------------------------------------------- heads


@dataclass
class Head:
    """One linear classifier: ``softmax(scale · (x · coef + intercept))`` over ``classes``."""

    coef: np.ndarray  # (n_features, n_classes) float32
    intercept: np.ndarray  # (n_classes,) float32
    classes: np.ndarray  # (n_classes,) str
    scale: float = 1.0

    def probabilities(self, cols: np.ndarray, w: np.ndarray) -> np.ndarray:
        scores = w @ self.coef[cols] + self.intercept if len(cols) else self.intercept.copy()
        z = self.scale * scores.astype(np.float64)
        z = np.exp(z - z.max())
        return np.minimum(z / z.sum(), MAX_CONFIDENCE)

    def contributions(self, cols: np.ndarray, w: np.ndarray, k: int) -> np.ndarray:
        """weight × coefficient of class ``k`` for each of the text's features."""
        return w * self.coef[cols, k]


def _margins(model, X) -> np.ndarray:
    d = model.decision_function(X)
    if d.ndim == 1:  # binary: one margin for classes_[1]
        d = np.column_stack([-d / 2, d / 2])
    return d


def _fit_scale(margins: np.ndarray, truth: np.ndarray) -> float:
    """The softmax temperature (as a multiplier) minimising the log loss of ``truth`` —
    golden-section search on log scale."""

    def nll(log_s: float) -> float:
        z = math.exp(log_s) * margins
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return -float(logp[np.arange(len(truth)), truth].mean())

    lo, hi = math.log(0.1), math.log(100.0)
    g = (math.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = nll(a), nll(b)
    for _ in range(40):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = nll(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = nll(b)
    return float(math.exp((lo + hi) / 2))


def fit_head(X, labels: list[str], *, C: float = DEFAULT_C, seed: int = 0) -> Head:
    """Train one head on the rows of ``X``; calibrate its softmax on a fifth of them."""
    from sklearn.svm import LinearSVC

    classes = np.array(sorted(set(labels)))
    n_features = X.shape[1]
    if len(classes) == 1:  # nothing to choose between: always this one
        return Head(
            np.zeros((n_features, 1), dtype=np.float32), np.zeros(1, dtype=np.float32), classes
        )
    y = np.searchsorted(classes, np.array(labels))
    scale = 5.0
    fit_rows, cal_rows = split(list(y), 0.2, seed)
    fit_labels = {int(y[i]) for i in fit_rows}
    if cal_rows and len(fit_labels) > 1:
        probe = LinearSVC(C=C, random_state=seed).fit(X[fit_rows], y[fit_rows])
        margins = np.full((len(cal_rows), len(classes)), -1e3)
        margins[:, probe.classes_] = _margins(probe, X[cal_rows])
        scale = _fit_scale(margins, y[cal_rows])
    model = LinearSVC(C=C, random_state=seed).fit(X, y)
    coef = model.coef_
    intercept = model.intercept_
    if coef.shape[0] == 1:  # binary
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    return Head(
        np.ascontiguousarray(coef.T, dtype=np.float32),
        np.asarray(intercept, dtype=np.float32),
        classes,
        scale,
    )


# --------------------------------------------------------------------------- the model


@dataclass
class Prediction:
    category: list[tuple[str, float]] = field(default_factory=list)
    unit: list[tuple[str, float]] = field(default_factory=list)
    words: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class Model:
    vectoriser: Vectoriser
    category: Head | None
    unit: Head | None

    def predict(
        self, text: str, *, location: tuple[str, ...] = (), k: int = 4, words: int = 8
    ) -> Prediction:
        """Top-``k`` categories and units with probabilities, and the words that pushed the
        top category most (weight × coefficient, largest first)."""
        result = Prediction()
        counts = self.vectoriser.counts(F.features(text))
        cols, w = self.vectoriser.weights(counts)
        if self.category is not None:
            p = self.category.probabilities(cols, w)
            top = _top(p, k)
            result.category = [(str(self.category.classes[i]), float(p[i])) for i in top]
            if len(cols) and words:
                result.words = self._words(cols, w, int(top[0]), words)
        if self.unit is not None:
            if location:
                counts = dict(counts)
                for j in self.vectoriser.counts(F.features("", location=location)):
                    counts[j] = counts.get(j, 0) + 1
                cols, w = self.vectoriser.weights(counts)
            p = self.unit.probabilities(cols, w)
            top = _top(p, k)
            result.unit = [(str(self.unit.classes[i]), float(p[i])) for i in top]
        return result

    def explain(self, text: str, label: str, *, words: int = 8) -> list[tuple[str, float]]:
        """The words of ``text`` that speak most for category ``label``."""
        if self.category is None:
            return []
        where = np.flatnonzero(self.category.classes == label)
        cols, w = self.vectoriser.weights(F.features(text))
        if not len(where) or not len(cols):
            return []
        return self._words(cols, w, int(where[0]), words)

    def _words(self, cols, w, k: int, limit: int) -> list[tuple[str, float]]:
        contrib = self.category.contributions(cols, w, k)
        strongest = _top(contrib, 2 * limit)
        totals: dict[str, float] = {}
        vocabulary = self.vectoriser.vocabulary
        for i in strongest.tolist():
            c = float(contrib[i])
            if c <= 0:
                break
            feature = vocabulary[int(cols[i])]
            if not F.is_text_feature(feature):
                continue
            word = F.display(feature)
            totals[word] = totals.get(word, 0.0) + c
        ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
        return [(word, round(value, 4)) for word, value in ranked[:limit]]


def _top(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest values, largest first."""
    if len(values) > k:
        part = np.argpartition(-values, k)[:k]
        return part[np.argsort(-values[part], kind="stable")]
    return np.argsort(-values, kind="stable")


def fit(samples: list[Sample], *, C: float = DEFAULT_C, seed: int = 0) -> Model:
    """Train both heads: the category head on samples with a category (text only), the unit
    head on samples with a unit (text + location features)."""
    text_docs = [F.features(s.text) for s in samples]
    loc_docs = [
        doc + F.features("", location=s.location) for doc, s in zip(text_docs, samples, strict=True)
    ]
    vectoriser = Vectoriser.fit(loc_docs)
    category = unit = None
    rows = [i for i, s in enumerate(samples) if s.category]
    if rows:
        X = vectoriser.matrix([text_docs[i] for i in rows])
        category = fit_head(X, [samples[i].category for i in rows], C=C, seed=seed)
    rows = [i for i, s in enumerate(samples) if s.unit]
    if rows:
        X = vectoriser.matrix([loc_docs[i] for i in rows])
        unit = fit_head(X, [samples[i].unit for i in rows], C=C, seed=seed)
    return Model(vectoriser, category, unit)


def evaluate(model: Model, samples: list[Sample]) -> dict:
    """Held-out figures: top-1 / top-3 accuracy of category and unit, accuracy per level-1
    category (first two digits of the code), and the scorer's latency per text."""
    cat_hits = [0, 0, 0]  # n, top1, top3
    unit_hits = [0, 0, 0]
    level1: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    timings: list[float] = []
    for s in samples:
        start = time.perf_counter()
        p = model.predict(s.text, location=s.location, k=3)
        timings.append((time.perf_counter() - start) * 1000)
        if s.category and p.category:
            codes = [c for c, _ in p.category]
            cat_hits[0] += 1
            cat_hits[1] += codes[0] == s.category
            cat_hits[2] += s.category in codes
            level1[s.category[:2]][0] += 1
            level1[s.category[:2]][1] += codes[0] == s.category
        if s.unit and p.unit:
            labels = [u for u, _ in p.unit]
            unit_hits[0] += 1
            unit_hits[1] += labels[0] == s.unit
            unit_hits[2] += s.unit in labels

    def rate(hits, i):
        return round(hits[i] / hits[0], 4) if hits[0] else None

    timings.sort()
    return {
        "category": {"n": cat_hits[0], "top1": rate(cat_hits, 1), "top3": rate(cat_hits, 2)},
        "unit": {"n": unit_hits[0], "top1": rate(unit_hits, 1), "top3": rate(unit_hits, 2)},
        "level1": {
            code: {"n": n, "top1": round(hit / n, 4)} for code, (n, hit) in sorted(level1.items())
        },
        "latency_ms": {
            "n": len(timings),
            "mean": round(sum(timings) / len(timings), 4) if timings else None,
            "p50": round(timings[len(timings) // 2], 4) if timings else None,
            "p95": round(timings[int(len(timings) * 0.95)], 4) if timings else None,
        },
    }


# --------------------------------------------------------------------------- archive


def dumps(model: Model) -> bytes:
    """The model as a compressed ``.npz`` of plain arrays (no object arrays, no pickle)."""
    arrays = {
        "format": np.array([FORMAT], dtype=np.int32),
        "vocabulary": np.array(model.vectoriser.vocabulary, dtype=np.str_),
        "idf": model.vectoriser.idf.astype(np.float32),
    }
    for name, head in (("category", model.category), ("unit", model.unit)):
        if head is None:
            continue
        arrays[f"{name}_coef"] = head.coef.astype(np.float16)
        arrays[f"{name}_intercept"] = head.intercept.astype(np.float32)
        arrays[f"{name}_classes"] = np.array([str(c) for c in head.classes], dtype=np.str_)
        arrays[f"{name}_scale"] = np.array([head.scale], dtype=np.float32)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def loads(data: bytes) -> Model:
    with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as archive:
        if int(archive["format"][0]) != FORMAT:
            raise ValueError("unknown classifier archive format")
        vectoriser = Vectoriser(archive["vocabulary"].tolist(), archive["idf"])
        heads = {}
        for name in ("category", "unit"):
            if f"{name}_coef" not in archive.files:
                heads[name] = None
                continue
            heads[name] = Head(
                np.ascontiguousarray(archive[f"{name}_coef"], dtype=np.float32),
                archive[f"{name}_intercept"].astype(np.float32),
                archive[f"{name}_classes"],
                float(archive[f"{name}_scale"][0]),
            )
    return Model(vectoriser, heads["category"], heads["unit"])
