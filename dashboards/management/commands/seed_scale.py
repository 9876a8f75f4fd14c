"""`manage.py seed_scale`: a country for the national-scale bench (dashboards/scale.py)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from dashboards.scale import BENCH_PASSWORD, FULL, NotEmpty, ScaleOptions, seed_scale


class Command(BaseCommand):
    help = (
        "Generate a realistic country: 2,500 clubs in the real territorial structure, "
        "250,000 members, 1,000,000 enrolments, 500,000 certificates (or a --scale of it)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=float, default=1.0, help="Fraction of every count (0.01 = 1/100)."
        )
        for name in FULL:
            parser.add_argument(
                f"--{name.replace('_', '-')}",
                dest=name,
                type=int,
                default=None,
                help=f"Exact count (default {FULL[name]:,} x scale).",
            )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (deterministic).")
        parser.add_argument(
            "--yes", action="store_true", help="Wipe a non-empty database first (keeps TERYT)."
        )

    def handle(self, *args, **opts):
        if opts["scale"] <= 0:
            raise CommandError("--scale must be positive.")
        options = ScaleOptions.scaled(
            opts["scale"],
            **{name: opts[name] for name in FULL},
        )
        options.seed = opts["seed"]
        db = connection.settings_dict
        self.stdout.write(
            f"Seeding {connection.vendor} database {db.get('NAME')}: {options.clubs:,} clubs, "
            f"{options.members:,} members, {options.enrolments:,} enrolments, "
            f"{options.certificates:,} certificates, {options.instructors:,} instructors, "
            f"{options.partners:,} partners (seed {options.seed})."
        )
        try:
            result = seed_scale(options, wipe=opts["yes"], log=self.stdout.write)
        except NotEmpty as error:
            raise CommandError(str(error)) from error
        for name, count in result.counts.items():
            self.stdout.write(f"  {name}: {count:,}")
        self.stdout.write(self.style.SUCCESS(f"Seeded in {result.seconds:.1f} s."))
        self.stdout.write(f"Bench users (password {BENCH_PASSWORD!r}; TOTP as in the demo):")
        for role, email in result.bench_users.items():
            self.stdout.write(f"  {role}: {email}")
