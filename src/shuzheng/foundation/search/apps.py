from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "shuzheng.foundation.search"
    label = "search"
    verbose_name = _("全文检索")

    def ready(self) -> None:
        from shuzheng.foundation.search import builtin, indexing, querying
        from shuzheng.foundation.search.models import Synonym

        builtin.register_all()
        indexing.connect_signals()
        post_save.connect(querying.forget_synonyms, sender=Synonym)
        post_delete.connect(querying.forget_synonyms, sender=Synonym)
