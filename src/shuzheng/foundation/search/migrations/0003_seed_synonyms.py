"""Starting synonym groups for government services; administrators edit them in admin."""

from django.db import migrations

GROUPS = [
    ("社保，社会保险", ""),
    ("社保卡，社会保障卡", ""),
    ("医保，医疗保险，基本医疗保险", ""),
    ("医保卡，医保电子凭证", ""),
    ("公积金，住房公积金", ""),
    ("身份证，居民身份证", ""),
    ("港澳通行证，往来港澳通行证", "内地居民前往港澳"),
    ("回乡证，港澳居民来往内地通行证", "港澳居民来往内地"),
    ("台胞证，台湾居民来往大陆通行证", ""),
    ("户口，户籍", ""),
    ("驾照，驾驶证，机动车驾驶证", ""),
    ("出生证，出生医学证明", ""),
    ("低保，最低生活保障", ""),
    ("残疾证，残疾人证", ""),
    ("房产证，不动产权证书，不动产证", ""),
    ("个税，个人所得税", ""),
    ("营业执照，工商执照", ""),
    ("12345，市民热线，政务服务便民热线", ""),
]


def seed(apps, schema_editor):
    Synonym = apps.get_model("search", "Synonym")
    for terms, note in GROUPS:
        Synonym.objects.get_or_create(terms=terms, defaults={"note": note})


def unseed(apps, schema_editor):
    Synonym = apps.get_model("search", "Synonym")
    Synonym.objects.filter(terms__in=[t for t, _ in GROUPS]).delete()


class Migration(migrations.Migration):
    dependencies = [("search", "0002_backend_index")]

    operations = [migrations.RunPython(seed, unseed)]
