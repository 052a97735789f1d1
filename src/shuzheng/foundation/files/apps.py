from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FilesConfig(AppConfig):
    name = "shuzheng.foundation.files"
    label = "files"
    verbose_name = _("文件")

    def ready(self) -> None:
        from shuzheng.foundation import access
        from shuzheng.foundation.files import uses
        from shuzheng.foundation.files.models import StoredFile

        access.capability("files.read", _("查看文件"), self_service=True)
        access.capability("files.discard", _("删除文件"), self_service=True)
        # Own files through ownership; a grant of "files.read" on an organisation (no
        # built-in role has one) reaches the files its staff uploaded. Domain objects grant
        # reading through files.readable_through().
        access.rule(StoredFile, owner="owner", org="owner__staff__organisation")
        uses.register_all()
