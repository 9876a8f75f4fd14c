"""Partners (the gmina's resources), their links to clubs and the agreements behind them."""

from __future__ import annotations

import os
import secrets
from datetime import date

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from clubs.models import Club, Municipality, Partner, PartnerLink, search_key
from kos_portal import access
from kos_portal.uploads import JPEG, PDF, PNG, ZIP, upload_check

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
DOCUMENT_SIGNATURES = {"pdf": PDF, "docx": ZIP, "odt": ZIP, "jpg": JPEG, "jpeg": JPEG, "png": PNG}
PARTNER_FIELDS = (
    "name",
    "kind",
    "address",
    "is_ksrg",
    "contact_person",
    "contact_email",
    "contact_phone",
    "offers_venue",
    "offers_equipment",
    "offers_instructors",
    "offers_funding",
    "offers_other",
)


def agreement_document_validate(document: UploadedFile) -> None:
    """Refuse anything but a PDF, DOCX, ODT, JPG or PNG file of at most 10 MB."""
    upload_check(
        document,
        signatures=DOCUMENT_SIGNATURES,
        max_bytes=MAX_DOCUMENT_BYTES,
        type_message=_("Upload the agreement as a PDF, DOCX, ODT, JPG or PNG file."),
        content_message=_("The file's content is not a %(type)s document."),
    )


def _private_name(document: UploadedFile) -> str:
    """A random file name: the stored file can't be found by guessing its URL."""
    extension = os.path.splitext(document.name or "")[1].lower()
    return f"{secrets.token_urlsafe(24)}{extension}"


def _check_partner_scope(user, municipality: Municipality) -> None:
    if not access.can(user, "clubs.change_partner", municipality):
        raise ValidationError(_("You may not add or change partners in this gmina."))


def _check_unique(*, partner: Partner) -> None:
    clash = Partner.objects.filter(
        municipality_id=partner.municipality_id,
        kind=partner.kind,
        name_key=search_key(partner.name),
    ).exclude(pk=partner.pk)
    if clash.exists():
        raise ValidationError(
            _("This gmina already has a partner of this kind named “%(name)s”.")
            % {"name": partner.name}
        )


@transaction.atomic
def partner_create(*, user, municipality: Municipality, name: str, kind: str, **fields) -> Partner:
    """Add a partner in a gmina where the user may change partners.

    Safe to run twice: a second call with the same gmina, kind and name is refused with a
    ValidationError instead of making a duplicate.
    """
    _check_partner_scope(user, municipality)
    unknown = set(fields) - set(PARTNER_FIELDS)
    if unknown:
        raise TypeError(f"Unknown partner fields: {sorted(unknown)}")
    partner = Partner(municipality=municipality, name=name.strip(), kind=kind, **fields)
    _check_unique(partner=partner)
    partner.full_clean(exclude=["clubs"])
    try:
        with transaction.atomic():
            partner.save()
    except IntegrityError as error:  # the same partner, added at the same moment
        raise ValidationError(
            _("This gmina already has a partner of this kind named “%(name)s”.")
            % {"name": partner.name}
        ) from error
    return partner


@transaction.atomic
def partner_update(
    *, user, partner: Partner, municipality: Municipality | None = None, **fields
) -> Partner:
    """Change a partner's details; moving it to another gmina needs rights in both gminas."""
    partner = Partner.objects.select_for_update(of=("self",)).get(pk=partner.pk)
    _check_partner_scope(user, partner.municipality)
    unknown = set(fields) - set(PARTNER_FIELDS)
    if unknown:
        raise TypeError(f"Unknown partner fields: {sorted(unknown)}")
    if municipality is not None and municipality.pk != partner.municipality_id:
        _check_partner_scope(user, municipality)
        partner.municipality = municipality
    for name, value in fields.items():
        setattr(partner, name, value.strip() if isinstance(value, str) else value)
    _check_unique(partner=partner)
    partner.full_clean(exclude=["clubs"])
    partner.save()
    return partner


def _check_link_scope(user, club: Club) -> None:
    if not access.can(user, "clubs.change_partnerlink", club):
        raise ValidationError(_("You may not change the partners of this club."))


def _check_dates(signed_on: date | None, expires_on: date | None) -> None:
    if signed_on and expires_on and expires_on < signed_on:
        raise ValidationError(
            {"agreement_expires_on": _("The agreement can't expire before it was signed.")}
        )


def _delete_file_after_commit(name: str) -> None:
    """Files aren't transactional: drop the old one only once the row no longer names it."""
    if name:
        transaction.on_commit(lambda: _delete_file(name))


@transaction.atomic
def partner_link_create(
    *,
    user,
    partner: Partner,
    club: Club,
    role: str = "",
    agreement_type: str = "",
    agreement_signed_on: date | None = None,
    agreement_expires_on: date | None = None,
    agreement_document: UploadedFile | None = None,
) -> PartnerLink:
    """Link a partner to a club the user may change, with its role and the agreement.

    Safe to run twice: a second link between the same partner and club is refused.
    """
    _check_link_scope(user, club)
    _check_dates(agreement_signed_on, agreement_expires_on)
    if PartnerLink.objects.filter(partner=partner, club=club).exists():
        raise ValidationError(_("This partner is already linked to this club."))
    link = PartnerLink(
        partner=partner,
        club=club,
        role=role.strip(),
        agreement_type=agreement_type,
        agreement_signed_on=agreement_signed_on,
        agreement_expires_on=agreement_expires_on,
    )
    if agreement_document is not None:
        agreement_document_validate(agreement_document)
        _save_document(link, agreement_document)
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError as error:
        _delete_file(link.agreement_document.name)
        raise ValidationError(_("This partner is already linked to this club.")) from error
    return link


def _save_document(link: PartnerLink, document: UploadedFile) -> None:
    """Store the upload under a random name (the row is saved by the caller)."""
    link.agreement_document.save(_private_name(document), document, save=False)


def _delete_file(name: str) -> None:
    if name:
        PartnerLink._meta.get_field("agreement_document").storage.delete(name)


@transaction.atomic
def partner_link_update(
    *,
    user,
    link: PartnerLink,
    role: str,
    agreement_type: str,
    agreement_signed_on: date | None,
    agreement_expires_on: date | None,
    agreement_document: UploadedFile | None = None,
    remove_document: bool = False,
) -> PartnerLink:
    """Change a link's role and agreement; a new document replaces the old one."""
    link = (
        PartnerLink.objects.select_for_update(of=("self",)).select_related("club").get(pk=link.pk)
    )
    _check_link_scope(user, link.club)
    _check_dates(agreement_signed_on, agreement_expires_on)
    link.role = role.strip()
    link.agreement_type = agreement_type
    link.agreement_signed_on = agreement_signed_on
    link.agreement_expires_on = agreement_expires_on
    old_name = link.agreement_document.name
    if agreement_document is not None:
        agreement_document_validate(agreement_document)
        _save_document(link, agreement_document)
    elif remove_document:
        link.agreement_document = ""
    try:
        link.save()
    except Exception:
        if link.agreement_document.name != old_name:
            _delete_file(link.agreement_document.name)  # the new file; the old one stays
        raise
    if old_name and old_name != link.agreement_document.name:
        _delete_file_after_commit(old_name)
    return link


@transaction.atomic
def partner_link_delete(*, user, link: PartnerLink) -> None:
    """Remove a partner's link to a club, and its agreement document. Safe to run twice."""
    link = (
        PartnerLink.objects.select_for_update(of=("self",))
        .select_related("club")
        .filter(pk=link.pk)
        .first()
    )
    if link is None:
        return
    _check_link_scope(user, link.club)
    document = link.agreement_document.name
    link.delete()
    _delete_file_after_commit(document)
