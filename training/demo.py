"""Demo catalogue and instructor data: six courses and the demo instructor's profile.

Called from kos_portal/demo.py once the club and the demo users exist; the demo sessions
(training/demo_sessions.py) come after it. Safe to run twice: courses are found by their
code and qualifications by their number, and nothing already there is overwritten.
"""

from __future__ import annotations

import importlib
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from clubs.models import Club, Pillar
from kos_portal.models import User
from training.models import Course, InstructorProfile, InstructorQualification

INSTRUCTOR_EMAIL = "instruktor@kos.example"
COORDINATOR_EMAIL = "koordynator@kos.example"

DEMO_COURSES = [
    {
        "code": "KPP",
        "title": "Kwalifikowana pierwsza pomoc (KPP)",
        "title_en": "Qualified first aid (KPP)",
        "pillar": "first-aid",
        "hours": Decimal(66),
        "passing_rule": Course.PassingRule.ASSESSMENT,
        "pass_mark": 70,
        "minimum_attendance_percent": 100,
        "validity_months": 36,
        "requires_course_qualification": True,
        "description": (
            "Kurs kwalifikowanej pierwszej pomocy zgodny z ustawą o Państwowym Ratownictwie "
            "Medycznym, zakończony egzaminem teoretycznym i praktycznym."
        ),
        "learning_outcomes": (
            "Ocenia bezpieczeństwo miejsca zdarzenia i stan poszkodowanego.\n"
            "Prowadzi resuscytację krążeniowo-oddechową z użyciem AED.\n"
            "Udziela pomocy w urazach, krwotokach i wstrząsie.\n"
            "Przeprowadza segregację wstępną poszkodowanych w zdarzeniu masowym."
        ),
    },
    {
        "code": "BRON-POD",
        "title": "Bezpieczne posługiwanie się bronią – kurs podstawowy",
        "title_en": "Safe handling of firearms – basic course",
        "pillar": "shooting",
        "hours": Decimal(12),
        "passing_rule": Course.PassingRule.ASSESSMENT,
        "pass_mark": 80,
        "minimum_attendance_percent": 100,
        "validity_months": 24,
        "minimum_age": 18,
        "description": (
            "Zasady bezpieczeństwa, budowa broni, strzelanie na strzelnicy pod nadzorem."
        ),
        "learning_outcomes": (
            "Stosuje zasady bezpiecznego obchodzenia się z bronią.\n"
            "Wykonuje czynności kontrolne broni.\n"
            "Oddaje strzały pod nadzorem prowadzącego strzelanie."
        ),
    },
    {
        "code": "BSP-A1A3",
        "title": "Przygotowanie do egzaminu BSP A1/A3",
        "title_en": "Preparation for the A1/A3 drone pilot exam",
        "pillar": "drones",
        "hours": Decimal(8),
        "passing_rule": Course.PassingRule.ASSESSMENT,
        "pass_mark": 75,
        "minimum_attendance_percent": 80,
        "validity_months": 60,
        "minimum_age": 16,
        "description": (
            "Przepisy UE i ULC, bezpieczeństwo lotów, meteorologia i próbny test przed "
            "egzaminem online na kompetencje pilota BSP w podkategoriach A1/A3."
        ),
        "learning_outcomes": (
            "Zna przepisy dotyczące lotów w kategorii otwartej.\n"
            "Planuje lot z uwzględnieniem stref i pogody.\n"
            "Rozwiązuje próbny test egzaminacyjny."
        ),
    },
    {
        "code": "CYBER-HIG",
        "title": "Higiena cyfrowa",
        "title_en": "Digital hygiene",
        "pillar": "cyber",
        "hours": Decimal(4),
        "passing_rule": Course.PassingRule.ATTENDANCE,
        "minimum_attendance_percent": 80,
        "validity_months": None,
        "description": "Hasła, uwierzytelnianie dwuskładnikowe, kopie zapasowe, phishing.",
        "learning_outcomes": (
            "Tworzy silne hasła i korzysta z menedżera haseł.\n"
            "Włącza uwierzytelnianie dwuskładnikowe.\n"
            "Rozpoznaje próby phishingu."
        ),
    },
    {
        "code": "KOM-DEZ",
        "title": "Przeciwdziałanie dezinformacji",
        "title_en": "Countering disinformation",
        "pillar": "communication",
        "hours": Decimal(4),
        "passing_rule": Course.PassingRule.ATTENDANCE,
        "minimum_attendance_percent": 100,
        "validity_months": None,
        "description": (
            "Jak rozpoznawać i nie powielać fałszywych informacji w sytuacji kryzysowej."
        ),
        "learning_outcomes": (
            "Weryfikuje źródła informacji.\n"
            "Rozpoznaje typowe techniki manipulacji.\n"
            "Korzysta z oficjalnych kanałów komunikacji kryzysowej."
        ),
    },
    {
        "code": "ZPOS-I",
        "title": "ZPOS Moduł I – Podstawy odporności społecznej",
        "title_en": "ZPOS Module I – Foundations of social resilience",
        "pillar": None,
        "hours": Decimal(8),
        "passing_rule": Course.PassingRule.ATTENDANCE,
        "minimum_attendance_percent": 100,
        "validity_months": None,
        "requires_course_qualification": True,
        "description": (
            "Moduł przekrojowy dla każdego członka klubu: przygotowanie gospodarstwa domowego "
            "na 72 godziny bez prądu i wody, podstawy pierwszej pomocy, zagrożenia CBRNE, "
            "higiena cyfrowa i odporność na dezinformację."
        ),
        "learning_outcomes": (
            "Przygotowuje plan i zapasy gospodarstwa domowego na 72 godziny.\n"
            "Udziela podstawowej pierwszej pomocy i wzywa pomoc.\n"
            "Zna podstawowe zasady postępowania przy zagrożeniach CBRNE.\n"
            "Stosuje zasady higieny cyfrowej.\n"
            "Rozpoznaje dezinformację i sprawdza informacje w oficjalnych źródłach."
        ),
    },
]

# (pillar code or None, course code or None, issuer, number, valid until)
DEMO_QUALIFICATIONS = [
    ("first-aid", None, "Polska Rada Resuscytacji", "PRR/BLS-I/2024/118", date(2028, 6, 30)),
    (None, "KPP", "Polska Rada Resuscytacji", "PRR/KPP-I/2024/052", date(2028, 6, 30)),
    ("cyber", None, "NASK – Państwowy Instytut Badawczy", "NASK/TR/2025/311", None),
    ("communication", None, "Rządowe Centrum Bezpieczeństwa", "RCB/KK/2025/07", None),
    (None, "ZPOS-I", "ICCSS", "ICCSS/ZPOS-I/2025/014", date(2030, 12, 31)),
]


def _pillars() -> dict[str, Pillar]:
    """The five pillars by code. A migration makes them, but a transactional test's flush
    removes them, so the seed puts back any that are missing, from the migration's data."""
    migration = importlib.import_module("clubs.migrations.0005_pillars")
    for number, code, name_pl, name_en in migration.PILLARS:
        Pillar.objects.get_or_create(
            code=code, defaults={"number": number, "name_pl": name_pl, "name_en": name_en}
        )
    return {pillar.code: pillar for pillar in Pillar.objects.all()}


@transaction.atomic
def training_seed_demo(club: Club) -> dict:
    """Create (or find) the demo courses and the demo instructor's verified profile.

    Returns {"courses": {code: Course}, "instructor": InstructorProfile | None}.
    """
    pillars = _pillars()
    courses: dict[str, Course] = {}
    for spec in DEMO_COURSES:
        defaults = {key: value for key, value in spec.items() if key != "code"}
        defaults["pillar"] = pillars.get(spec["pillar"]) if spec["pillar"] else None
        course, _created = Course.objects.get_or_create(code=spec["code"], defaults=defaults)
        courses[course.code] = course

    instructor_user = User.objects.filter(email=INSTRUCTOR_EMAIL).first()
    coordinator = User.objects.filter(email=COORDINATOR_EMAIL).first()
    if instructor_user is None:
        return {"courses": courses, "instructor": None}
    profile, created = InstructorProfile.objects.get_or_create(
        user=instructor_user,
        defaults={
            "phone": "+48 600 100 200",
            "bio": (
                "Ratownik medyczny i strażak ochotnik OSP Złotokłos; prowadzi zajęcia "
                "z pierwszej pomocy, higieny cyfrowej i komunikacji kryzysowej."
            ),
        },
    )
    now = timezone.now()
    if created or profile.safeguarding_verified_at is None:
        profile.offender_register_checked_on = date(2025, 9, 1)
        profile.child_protection_statement_on = date(2025, 9, 1)
        profile.safeguarding_verified_by = coordinator
        profile.safeguarding_verified_at = now
        profile.save()
    for pillar_code, course_code, issuer, number, valid_until in DEMO_QUALIFICATIONS:
        InstructorQualification.objects.get_or_create(
            instructor=profile,
            number=number,
            defaults={
                "pillar": pillars.get(pillar_code) if pillar_code else None,
                "course": courses[course_code] if course_code else None,
                "issuer": issuer,
                "valid_until": valid_until,
                "verified_by": coordinator,
                "verified_at": now,
            },
        )
    return {"courses": courses, "instructor": profile}
