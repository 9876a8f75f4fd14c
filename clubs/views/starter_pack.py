"""The starter pack: the library national staff keep, and each active club's pack.

Files are only ever sent through these views, after the access check; pages never link
to MEDIA_URL.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from clubs.forms.starter_pack import (
    StarterDocumentCreateForm,
    StarterDocumentForm,
    StarterLibraryFilterForm,
    StarterVersionForm,
)
from clubs.models import StarterDocument, StarterDocumentVersion
from clubs.services import starter_pack as services
from kos_portal.access import require
from kos_portal.pagination import Paginator

MANAGE = "clubs.manage_starter_pack"


def _download(version: StarterDocumentVersion) -> FileResponse:
    try:
        handle = default_storage.open(version.file.name, "rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing from storage.")) from None
    response = FileResponse(
        handle, as_attachment=True, filename=services.starter_file_name(version)
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


# --- The library (national staff) ------------------------------------------------------


@login_required
def starter_document_list(request):
    require(request.user, MANAGE)
    filters = StarterLibraryFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    documents = services.starter_library(
        kind=chosen.get("kind", ""), language=chosen.get("language", "")
    )
    page = Paginator(documents, 50).get_page(request.GET.get("page"))
    page.object_list = services.starter_with_latest(page.object_list)
    return render(request, "clubs/starter_document_list.html", {"page": page, "filters": filters})


@login_required
def starter_document_create(request):
    require(request.user, MANAGE)
    form = StarterDocumentCreateForm(request.POST or None, request.FILES or None)
    if form.is_valid():
        try:
            document = services.starter_document_create(
                title=form.cleaned_data["title"],
                kind=form.cleaned_data["kind"],
                language=form.cleaned_data["language"],
                description=form.cleaned_data["description"],
                is_published=form.cleaned_data["is_published"],
                version=form.cleaned_data["version"],
                file=form.cleaned_data["file"],
                notes=form.cleaned_data["notes"],
                created_by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("%(title)s was added to the library.") % {"title": document.title}
            )
            return redirect("clubs:starter-document-edit", document_pk=document.pk)
    return render(request, "clubs/starter_document_create.html", {"form": form})


@login_required
def starter_document_edit(request, document_pk: int):
    require(request.user, MANAGE)
    document = get_object_or_404(StarterDocument, pk=document_pk)
    initial = {
        "title": document.title,
        "kind": document.kind,
        "language": document.language,
        "description": document.description,
        "is_published": document.is_published,
    }
    form = StarterDocumentForm(request.POST or None, initial=initial)
    if form.is_valid():
        try:
            services.starter_document_update(document=document, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The document was saved."))
            return redirect("clubs:starter-document-edit", document_pk=document.pk)
    context = {
        "document": document,
        "form": form,
        "versions": services.starter_versions_of(document),
    }
    return render(request, "clubs/starter_document_edit.html", context)


@login_required
def starter_version_create(request, document_pk: int):
    require(request.user, MANAGE)
    document = get_object_or_404(StarterDocument, pk=document_pk)
    form = StarterVersionForm(request.POST or None, request.FILES or None)
    if form.is_valid():
        try:
            version = services.starter_version_create(
                document=document,
                version=form.cleaned_data["version"],
                file=form.cleaned_data["file"],
                notes=form.cleaned_data["notes"],
                created_by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Version %(version)s is now the one clubs get.") % {"version": version.version},
            )
            return redirect("clubs:starter-document-edit", document_pk=document.pk)
    context = {"document": document, "form": form}
    return render(request, "clubs/starter_version_create.html", context)


@login_required
def starter_version_download(request, version_pk: int):
    """Any version, published or not: national staff only. Clubs get the latest version
    of published documents through their pack."""
    require(request.user, MANAGE)
    version = get_object_or_404(
        StarterDocumentVersion.objects.select_related("document"), pk=version_pk
    )
    return _download(version)


# --- A club's pack ---------------------------------------------------------------------


@login_required
def club_starter_pack(request, club_pk: int):
    club = services.starter_pack_club_get_for(request.user, club_pk, "clubs.view_starter_pack")
    if not services.starter_pack_available(club):
        return render(request, "clubs/starter_pack_inactive.html", {"club": club})
    documents = services.starter_pack_documents()
    context = {"club": club, "groups": services.starter_pack_grouped(documents)}
    return render(request, "clubs/starter_pack.html", context)


@login_required
def club_starter_pack_zip(request, club_pk: int):
    club = services.starter_pack_club_get_for(request.user, club_pk, "clubs.download_starter_pack")
    if not services.starter_pack_available(club):
        raise Http404(_("The starter pack is available once the club is active."))
    archive = services.starter_pack_zip(documents=services.starter_pack_documents())
    response = FileResponse(
        archive, as_attachment=True, filename=services.starter_pack_zip_filename(club)
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
def club_starter_file(request, club_pk: int, document_pk: int):
    club = services.starter_pack_club_get_for(request.user, club_pk, "clubs.view_starter_pack")
    if not services.starter_pack_available(club):
        raise Http404(_("The starter pack is available once the club is active."))
    document = services.starter_pack_document_get(document_pk)
    return _download(document.latest_version)
