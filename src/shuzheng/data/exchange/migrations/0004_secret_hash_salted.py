"""Client secrets as ``sm3$<salt>$<hex>`` (101 characters), which no key rotation touches.

Existing rows keep their HMAC-SM3 hash (the clear secret is not stored, so nothing can be
recomputed here): the gateway verifies it and replaces it with the salted form on first use."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0003_sequence_numbers"),
    ]

    operations = [
        migrations.AlterField(
            model_name="clientapp",
            name="secret_hash",
            field=models.CharField(max_length=128, verbose_name="密钥摘要"),
        ),
    ]
