"""``manage.py seed --persons N --enterprises N``: synthetic data at scale for benchmarks.

Rows are validated by the same normalisers as real input and written in batches; a run is
repeatable (``--seed``) and never collides with existing documents."""

import random

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from shuzheng.foundation.identity import synthetic, validators
from shuzheng.foundation.identity.models import Enterprise, EnterpriseRegistry, NaturalPerson
from shuzheng.foundation.trust import pii

BATCH = 2000


class Command(BaseCommand):
    help = "Create N synthetic natural persons and N enterprises with valid numbers."

    def add_arguments(self, parser):
        parser.add_argument("--persons", type=int, default=0)
        parser.add_argument("--enterprises", type=int, default=0)
        parser.add_argument("--seed", type=int, default=None, help="random seed (repeatable runs)")

    def handle(self, *args, persons, enterprises, seed, **options):
        if persons < 0 or enterprises < 0:
            raise CommandError("--persons and --enterprises must be zero or more")
        rng = random.Random(seed)
        made = self._persons(rng, persons)
        firms = self._enterprises(rng, enterprises)
        self.stdout.write(self.style.SUCCESS(f"created {made} persons and {firms} enterprises"))

    def _persons(self, rng, count: int) -> int:
        def make():
            number = validators.normalize_resident_id(synthetic.resident_id(rng))
            return pii.blind_index("id_number", number), NaturalPerson(
                name=synthetic.person_name(rng),
                id_type=validators.IdType.RESIDENT_ID,
                id_number=number,
                mobile=validators.normalize_mobile(synthetic.mobile(rng)),
            )

        taken = set(NaturalPerson.objects.values_list("id_number_index", flat=True))
        return self._batched(NaturalPerson, count, make, taken, "persons")

    def _enterprises(self, rng, count: int) -> int:
        def make():
            code = validators.normalize_uscc(synthetic.credit_code(rng))
            return code, Enterprise(
                name=synthetic.enterprise_name(rng),
                registry=EnterpriseRegistry.MAINLAND,
                uscc=code,
                legal_representative=synthetic.person_name(rng),
                address=synthetic.address(rng),
            )

        taken = set(Enterprise.objects.exclude(uscc=None).values_list("uscc", flat=True))
        return self._batched(Enterprise, count, make, taken, "enterprises")

    def _batched(self, model, count: int, make, taken: set, label: str) -> int:
        """Insert ``count`` rows from ``make()`` in batches, skipping numbers already used."""
        made = 0
        while made < count:
            batch = []
            while len(batch) < min(BATCH, count - made):
                key, row = make()
                if key not in taken:
                    taken.add(key)
                    batch.append(row)
            with transaction.atomic():
                model.objects.bulk_create(batch)
            made += len(batch)
            self.stdout.write(f"  {label} {made}/{count}", ending="\r")
        return made
