"""The Zhuhai demo catalogue answers the citizen phrasings the issue names — a check that the
synonym groups and the demo items' keywords fit together."""

import pytest
from django.contrib.auth.models import AnonymousUser

from shuzheng.foundation.identity import demo as identity_demo
from shuzheng.foundation.search import querying
from shuzheng.services.catalogue import demo
from shuzheng.services.catalogue import search as catalogue_search

pytestmark = pytest.mark.django_db

# query → (a word the right item's name starts with or contains, the kind that explains it)
EXAMPLES = {
    "生孩子要办什么": ("出生", "synonym"),
    "开饭店要什么证": ("食品经营许可", "synonym"),
    "退休了怎么领养老金": ("基本养老保险待遇申领", None),
    "gjj tq": ("住房公积金提取", "initials"),
    "gongjijin": ("住房公积金", "pinyin"),
    "公積金提取": ("住房公积金提取", "traditional"),
    "公基金": ("住房公积金", "homophone"),
    "居往证": ("居住证", "typo"),
    "营业执找": ("设立登记", "homophone"),
    "结昏登记": ("结婚登记", "homophone"),
    "jzz": ("居住证", "initials"),
    "孩子上学": ("义务教育入学", "synonym"),
    "人去世了要办什么": ("死亡注销户口", "synonym"),
    "zxgs": ("企业注销登记", "initials"),
}


@pytest.fixture
def demo_catalogue(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        identity_demo.load_organisations()
        demo.load_demo()
        catalogue_search.load_synonyms()
    querying.forget_synonyms()
    yield
    querying.forget_synonyms()


def test_the_demo_catalogue_answers_citizen_language_in_the_top_three(demo_catalogue):
    misses = []
    for query, (expected, kind) in EXAMPLES.items():
        hits = catalogue_search.search_items(AnonymousUser(), query)[:3]
        right = [h for h in hits if expected in h.version.name]
        if not right:
            misses.append(f"{query}: {[h.version.name for h in hits]}")
        elif kind and kind not in {m.kind for m in right[0].matches}:
            misses.append(f"{query}: explained as {right[0].explanation}")
    assert misses == []
