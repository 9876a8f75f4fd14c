"""The web upload of a club's roster: upload → column mapping → dry run → import.

One URL takes every step; the step is a POST field. The file stays on the server between
steps, named only by a signed token (see roster_upload_save), never by a client path.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from clubs.models import Club
from kos_portal import uploads
from kos_portal.access import require
from members.forms.roster_import import RosterConfirmForm, RosterMappingForm, RosterUploadForm
from members.services.roster_import import (
    IMPORT_PERMISSION,
    UPLOAD_SALT,
    RosterFileError,
    default_mapping,
    roster_file_read,
    roster_import,
    roster_upload_delete,
    roster_upload_load,
    roster_upload_save,
)


@login_required
def roster_import_view(request, club_pk: int):
    club = get_object_or_404(Club.objects.visible_to(request.user), pk=club_pk)
    require(request.user, IMPORT_PERMISSION, club)
    step = request.POST.get("step") if request.method == "POST" else None
    if step in ("map", "confirm"):
        return _mapping_step(request, club, step)
    form = RosterUploadForm(
        request.POST if step == "upload" else None, request.FILES if step == "upload" else None
    )
    if form.is_valid():
        data = form.cleaned_data["file"].read()
        try:
            roster = roster_file_read(data)
        except RosterFileError as error:
            form.add_error("file", str(error))
        else:
            token = roster_upload_save(roster=roster, club=club, user=request.user)
            mapping_form = RosterMappingForm(
                header=roster.header,
                initial_mapping=default_mapping(roster.header),
                initial={"token": token},
            )
            return _render_mapping(request, club, mapping_form, roster=roster)
    return render(request, "members/import_upload.html", {"club": club, "form": form})


def _mapping_step(request, club: Club, step: str):
    token = request.POST.get("token", "")
    try:
        roster = roster_upload_load(token=token, club=club, user=request.user)
    except RosterFileError as error:
        messages.error(request, str(error))
        return redirect("members:roster-import", club_pk=club.pk)
    form = RosterMappingForm(request.POST, header=roster.header, initial_mapping={})
    confirm_form = RosterConfirmForm(request.POST if step == "confirm" else None)
    result = None
    if form.is_valid():
        # Without the ticked box, the confirmation shows the dry run again, with the error.
        dry_run = not (step == "confirm" and confirm_form.is_valid())
        if len(roster.rows) > uploads.INLINE_ROWS:
            from members.tasks import roster_import_task

            job = uploads.job_start(
                user=request.user,
                purpose=UPLOAD_SALT,
                token=token,
                total=len(roster.rows),
                options={"club": club.pk, "mapping": form.mapping, "dry_run": dry_run},
                task=roster_import_task,
            )
            return redirect("members:roster-import-job", club_pk=club.pk, job_pk=job.pk)
        try:
            result = roster_import(
                club=club,
                roster=roster,
                imported_by=request.user,
                mapping=form.mapping,
                dry_run=dry_run,
                consent_forms_attested=not dry_run,
            )
        except (RosterFileError, ValidationError) as error:
            message = " ".join(error.messages) if isinstance(error, ValidationError) else error
            form.add_error(None, str(message))
        else:
            if result.ok and not dry_run:
                roster_upload_delete(token=token, club=club, user=request.user)
                messages.success(
                    request,
                    _(
                        "Roster imported: %(new)s new, %(linked)s linked to people from other "
                        "clubs, %(in_club)s already in the club."
                    )
                    % {"new": result.new, "linked": result.linked, "in_club": result.in_club},
                )
                return redirect("members:roster", club_pk=club.pk)
    return _render_mapping(
        request, club, form, roster=roster, result=result, confirm_form=confirm_form
    )


def _render_mapping(request, club, form, *, roster, result=None, confirm_form=None):
    context = {
        "club": club,
        "form": form,
        "header": roster.header,
        "row_count": len(roster.rows),
        "result": result,
        "confirm_form": confirm_form or RosterConfirmForm(),
    }
    return render(request, "members/import_mapping.html", context)


@login_required
def roster_import_job(request, club_pk: int, job_pk: int):
    """A large roster checked or imported by a worker: a progress bar (polled), then the
    result, with the confirmation after a clean dry run."""
    club = get_object_or_404(Club.objects.visible_to(request.user), pk=club_pk)
    require(request.user, IMPORT_PERMISSION, club)
    job = uploads.job_get_for(request.user, job_pk, UPLOAD_SALT)
    if job.options.get("club") != club.pk:
        raise Http404
    result = dict(job.result or {}) if job.state == job.State.DONE else None
    if result is not None and not result["error_count"] and not result["dry_run"]:
        if request.htmx:
            response = HttpResponse()
            response["HX-Redirect"] = request.path
            return response
        messages.success(
            request,
            _(
                "Roster imported: %(new)s new, %(linked)s linked to people from other "
                "clubs, %(in_club)s already in the club."
            )
            % result,
        )
        return redirect("members:roster", club_pk=club.pk)
    context = {"club": club, "job": job, "result": result}
    if request.htmx:
        response = render(request, "members/_import_job.html", context)
        if job.finished:
            response["HX-Redirect"] = request.path
        return response
    context["confirm_form"] = RosterConfirmForm()
    return render(request, "members/import_job.html", context)
