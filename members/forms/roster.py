"""Input shapes for the members pages. Rules (minors, duplicates, club status) live in
the services; these forms check that the input is well formed."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clubs.forms.public import HoneypotMixin
from clubs.models import Municipality
from kos_portal.gmina_picker import GminaField
from members import age
from members.consent_texts import CONSENT_TEXTS, GUARDIAN_CONSENT
from members.models import ConsentMethod, ConsentPurpose, Membership, PersonalDataAccess, Skill
from members.services.registration import normalise_email, normalise_phone

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
STAFF_METHODS = [
    (ConsentMethod.PAPER.value, ConsentMethod.PAPER.label),
    (ConsentMethod.ONLINE.value, ConsentMethod.ONLINE.label),
]


def consent_field(purpose: str, *, required: bool = False) -> forms.BooleanField:
    """A checkbox labelled with the current consent text; its version goes in the help."""
    text = CONSENT_TEXTS[purpose]
    return forms.BooleanField(
        label=text.text,
        required=required,
        help_text=_("Consent text version: %(version)s") % {"version": text.version},
    )


class PersonFieldsMixin(forms.Form):
    """Name, date of birth and contact data, normalised the way the services store them."""

    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    birth_date = forms.DateField(label=_("Date of birth"), widget=DATE_WIDGET)
    email = forms.CharField(
        label=_("Email address"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=30,
        required=False,
        help_text=_("A Polish number, e.g. 600 700 800, or one with a country code."),
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    municipality = GminaField(
        label=_("Gmina of residence"),
        queryset=Municipality.objects.all(),
        required=False,
    )

    def clean_birth_date(self):
        value = self.cleaned_data["birth_date"]
        if value and value > timezone.localdate():
            raise ValidationError(_("The date of birth cannot be in the future."))
        return value

    def clean_email(self):
        return normalise_email(self.cleaned_data["email"])

    def clean_phone(self):
        return normalise_phone(self.cleaned_data["phone"])

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("email") and not cleaned.get("phone"):
            raise ValidationError(_("Give an email address or a phone number (or both)."))
        return cleaned


def guardian_relation_field() -> forms.CharField:
    return forms.CharField(
        label=_("Relation to the person"),
        max_length=50,
        required=False,
        help_text=_("e.g. mother, father, legal guardian"),
    )


GUARDIAN_FIELDS_MESSAGE = _(
    "For a guardian's consent give their name, their relation to the person, their contact "
    "and the date."
)


class GuardianFieldsMixin(forms.Form):
    """The guardian's consent for a minor: all four fields, or none. Under 16 the
    guardian also gives the consents below (#13)."""

    guardian_name = forms.CharField(label=_("Guardian's name"), max_length=200, required=False)
    guardian_relation = guardian_relation_field()
    guardian_contact = forms.CharField(
        label=_("Guardian's phone or email"), max_length=200, required=False
    )
    guardian_consent_date = forms.DateField(
        label=_("Date of the guardian's consent"), required=False, widget=DATE_WIDGET
    )

    guardian_text = GUARDIAN_CONSENT

    def clean(self):
        cleaned = super().clean()
        keys = ("guardian_name", "guardian_relation", "guardian_contact", "guardian_consent_date")
        given = [bool(cleaned.get(key)) for key in keys]
        if any(given) and not all(given):
            raise ValidationError(GUARDIAN_FIELDS_MESSAGE)
        return cleaned

    def guardian(self) -> dict | None:
        if not self.cleaned_data.get("guardian_name"):
            return None
        return {
            "guardian_name": self.cleaned_data["guardian_name"],
            "guardian_relation": self.cleaned_data["guardian_relation"],
            "guardian_contact": self.cleaned_data["guardian_contact"],
            "consent_date": self.cleaned_data["guardian_consent_date"],
            "text_version": GUARDIAN_CONSENT.version,
        }


class MemberRegistrationForm(PersonFieldsMixin, GuardianFieldsMixin, forms.Form):
    emergency_contact_name = forms.CharField(
        label=_("Emergency contact (name)"), max_length=200, required=False
    )
    emergency_contact_phone = forms.CharField(
        label=_("Emergency contact (phone)"), max_length=30, required=False
    )
    skills = forms.ModelMultipleChoiceField(
        label=_("Skills"),
        queryset=Skill.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    consent_membership_data = consent_field(ConsentPurpose.MEMBERSHIP_DATA, required=True)
    consent_images = consent_field(ConsentPurpose.IMAGES)
    consent_email_news = consent_field(ConsentPurpose.EMAIL_NEWS)
    method = forms.ChoiceField(
        label=_("How were the consents given?"), choices=STAFF_METHODS, initial="paper"
    )
    # The duplicate step: "link:<pk>" to add the membership to an existing person, "new" to
    # register someone else. Empty on the first submission.
    duplicate_choice = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_emergency_contact_phone(self):
        return normalise_phone(self.cleaned_data["emergency_contact_phone"])

    def consents(self) -> dict[str, bool]:
        return {
            ConsentPurpose.MEMBERSHIP_DATA: self.cleaned_data["consent_membership_data"],
            ConsentPurpose.IMAGES: self.cleaned_data["consent_images"],
            ConsentPurpose.EMAIL_NEWS: self.cleaned_data["consent_email_news"],
        }


class MemberEditForm(PersonFieldsMixin, forms.Form):
    emergency_contact_name = forms.CharField(
        label=_("Emergency contact (name)"), max_length=200, required=False
    )
    emergency_contact_phone = forms.CharField(
        label=_("Emergency contact (phone)"), max_length=30, required=False
    )
    skills = forms.ModelMultipleChoiceField(
        label=_("Skills"),
        queryset=Skill.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea)

    def clean_emergency_contact_phone(self):
        return normalise_phone(self.cleaned_data["emergency_contact_phone"])


class MembershipStatusForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=Membership.Status.choices)
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class ApplicationDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))]
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class ConsentRecordForm(forms.Form):
    """Record or withdraw one consent: a purpose, or "guardian" for a guardian's consent."""

    GUARDIAN = "guardian"
    kind = forms.ChoiceField(
        label=_("Consent"),
        choices=[*ConsentPurpose.choices, (GUARDIAN, _("guardian's consent (minors)"))],
    )
    given = forms.TypedChoiceField(
        label=_("Record"),
        choices=[("1", _("consent given")), ("0", _("consent withdrawn"))],
        coerce=lambda value: value == "1",
    )
    method = forms.ChoiceField(label=_("How"), choices=STAFF_METHODS, initial="paper")
    # A guardian's consent to membership; and, for a person under 16, the guardian who
    # gives the consent to a purpose (name and relation; an email contact is kept).
    guardian_name = forms.CharField(label=_("Guardian's name"), max_length=200, required=False)
    guardian_relation = guardian_relation_field()
    guardian_contact = forms.CharField(
        label=_("Guardian's phone or email"), max_length=200, required=False
    )
    guardian_consent_date = forms.DateField(
        label=_("Date of the guardian's consent"), required=False, widget=DATE_WIDGET
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == self.GUARDIAN and cleaned.get("given"):
            keys = (
                "guardian_name",
                "guardian_relation",
                "guardian_contact",
                "guardian_consent_date",
            )
            if not all(cleaned.get(key) for key in keys):
                raise ValidationError(GUARDIAN_FIELDS_MESSAGE)
        elif cleaned.get("given") and bool(cleaned.get("guardian_name")) != bool(
            cleaned.get("guardian_relation")
        ):
            raise ValidationError(
                _("Give both the guardian's name and their relation to the person.")
            )
        return cleaned

    def consent_guardian(self):
        """The guardian giving a purpose's consent, when the form names one."""
        from members.services.consents import Guardian

        if not self.cleaned_data.get("guardian_name"):
            return None
        return Guardian.from_contact(
            name=self.cleaned_data["guardian_name"],
            relation=self.cleaned_data["guardian_relation"],
            contact=self.cleaned_data.get("guardian_contact", ""),
        )


class PublicApplicationForm(HoneypotMixin, PersonFieldsMixin, forms.Form):
    """A citizen's application. Email is required: the decision is sent there."""

    message = forms.CharField(
        label=_("A few words about yourself (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    consent_membership_data = consent_field(ConsentPurpose.MEMBERSHIP_DATA, required=True)
    consent_images = consent_field(ConsentPurpose.IMAGES)
    consent_email_news = consent_field(ConsentPurpose.EMAIL_NEWS)
    # Under 18: the parent or legal guardian fills these in with the applicant (#13).
    guardian_name = forms.CharField(
        label=_("Parent's or legal guardian's name"), max_length=200, required=False
    )
    guardian_relation = guardian_relation_field()
    guardian_email = forms.EmailField(
        label=_("Parent's or legal guardian's email"), max_length=254, required=False
    )
    guardian_agrees = forms.BooleanField(label=GUARDIAN_CONSENT.text, required=False)

    guardian_help = _(
        "Under 18: a parent or legal guardian fills in this part. Under 16 they also give "
        "the consents above; without them we keep only what the application needs, and the "
        "club can accept the applicant only once a guardian has consented."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True

    def clean_guardian_email(self):
        return normalise_email(self.cleaned_data["guardian_email"])

    def clean(self):
        cleaned = super().clean()
        keys = ("guardian_name", "guardian_relation", "guardian_email", "guardian_agrees")
        given = [bool(cleaned.get(key)) for key in keys]
        if any(given) and not all(given):
            raise ValidationError(
                _(
                    "The parent or legal guardian must give their name, their relation to the "
                    "applicant and their email, and tick their consent."
                )
            )
        birth_date = cleaned.get("birth_date")
        if all(given) and birth_date and not age.is_minor(birth_date):
            raise ValidationError(
                _("The applicant is an adult: leave the parent's or guardian's part empty.")
            )
        return cleaned

    def guardian(self) -> dict | None:
        if not self.cleaned_data.get("guardian_agrees"):
            return None
        return {
            key: self.cleaned_data[key]
            for key in ("guardian_name", "guardian_relation", "guardian_email")
        }

    def consents(self) -> dict[str, bool]:
        return {
            ConsentPurpose.MEMBERSHIP_DATA: self.cleaned_data["consent_membership_data"],
            ConsentPurpose.IMAGES: self.cleaned_data["consent_images"],
            ConsentPurpose.EMAIL_NEWS: self.cleaned_data["consent_email_news"],
        }


class RosterFilterForm(forms.Form):
    q = forms.CharField(label=_("Search by name or email"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *Membership.Status.choices],
    )
    skill = forms.ModelChoiceField(
        label=_("Skill"),
        queryset=Skill.objects.all(),
        required=False,
        empty_label=_("All skills"),
        to_field_name="code",
    )
    minors = forms.ChoiceField(
        label=_("Age"),
        required=False,
        choices=[("", _("Everyone")), ("yes", _("Under 18 only")), ("no", _("18 and over"))],
    )


class AccessLogFilterForm(forms.Form):
    user_email = forms.CharField(label=_("Who (email)"), required=False, max_length=254)
    member = forms.CharField(label=_("Member (name or email)"), required=False, max_length=100)
    action = forms.ChoiceField(
        label=_("What"),
        required=False,
        choices=[("", _("Any action")), *PersonalDataAccess.Action.choices],
    )
    # "From"/"To" of a status change are "Ze statusu"/"Na status" in Polish; of dates, "Od"/"Do".
    date_from = forms.DateField(
        label=pgettext_lazy("date range", "From"), required=False, widget=DATE_WIDGET
    )
    date_to = forms.DateField(
        label=pgettext_lazy("date range", "To"), required=False, widget=DATE_WIDGET
    )
