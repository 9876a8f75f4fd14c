"""The partner import on the web: upload → (column mapping) → dry run → confirm → import.

The file is read once, at upload, and kept parsed in the staged-upload store; the browser
holds only a signed token. A file of more than uploads.INLINE_ROWS rows is checked and
imported by a worker (clubs.tasks.partner_import_task) while the page shows a progress bar
that htmx polls, so no web worker waits on it.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from clubs.forms.partner_import import (
    PartnerImportConfirmForm,
    PartnerImportForm,
    PartnerMappingForm,
)
from clubs.services import partner_formats as formats
from clubs.services import partner_import as importer
from kos_portal import access, uploads
from kos_portal.access import require

PURPOSE = importer.UPLOAD_SALT


def _messages(error: Exception) -> list[str]:
    return error.messages if isinstance(error, ValidationError) else [str(error)]


def _imported(request, created: int, updated: int, unchanged: int):
    messages.success(
        request,
        _("Partners imported: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
        % {"created": created, "updated": updated, "unchanged": unchanged},
    )
    return redirect("clubs:partner-list")


def _confirm_form(token: str, plan: dict) -> PartnerImportConfirmForm:
    mapping = plan.get("mapping")
    return PartnerImportConfirmForm(
        initial={
            "token": token,
            "mapping": json.dumps(mapping) if mapping is not None else "",
            "default_kind": plan.get("default_kind", ""),
            "only_my_gminas": plan.get("only_my_gminas", False),
        }
    )


def _run(request, *, table, token: str, plan: dict, dry_run: bool, form=None):
    """Check or import `table` here, or (a large file) in a worker; answer the page."""
    if len(table.rows) > uploads.INLINE_ROWS:
        from clubs.tasks import partner_import_task

        job = uploads.job_start(
            user=request.user,
            purpose=PURPOSE,
            token=token,
            total=len(table.rows),
            options={**plan, "dry_run": dry_run},
            task=partner_import_task,
        )
        return redirect("clubs:partner-import-job", job_pk=job.pk)
    context: dict = {"form": form or _upload_form(request)}
    try:
        result = importer.partner_import(table=table, user=request.user, dry_run=dry_run, **plan)
    except (ValidationError, importer.PartnerImportError) as error:
        messages.error(request, " ".join(_messages(error)))
        return redirect("clubs:partner-import")
    if result.ok and not dry_run:
        importer.import_upload_discard(token=token, user=request.user)
        return _imported(request, result.created, result.updated, result.unchanged)
    context["result"] = result
    if result.ok and (result.created or result.updated):
        context["confirm"] = _confirm_form(token, plan)
    elif not dry_run:
        # The register changed meanwhile: the file must be checked again.
        importer.import_upload_discard(token=token, user=request.user)
    return render(request, "clubs/partner_import.html", context)


def _upload_form(request, data=None, files=None) -> PartnerImportForm:
    return PartnerImportForm(data, files, national=access.is_national(request.user))


@login_required
def partner_import(request):
    """Upload → (mapping) → dry run (errors per row, or what would change) → confirm."""
    require(request.user, "clubs.import_partners")
    if request.method == "POST" and request.POST.get("step") == "map":
        return _mapping_step(request)
    if request.method == "POST" and "token" in request.POST:
        confirm = PartnerImportConfirmForm(request.POST)
        if not confirm.is_valid():
            messages.error(request, _("This import has expired. Upload the file again."))
            return redirect("clubs:partner-import")
        token = confirm.cleaned_data["token"]
        try:
            table = importer.import_upload_load(token=token, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("clubs:partner-import")
        plan = {
            "mapping": confirm.cleaned_data["mapping"],
            "default_kind": confirm.cleaned_data["default_kind"],
            "only_my_gminas": confirm.cleaned_data["only_my_gminas"],
        }
        return _run(request, table=table, token=token, plan=plan, dry_run=False)
    form = _upload_form(request, request.POST or None, request.FILES or None)
    if form.is_valid():
        try:
            table = importer.partner_file_read(form.cleaned_data["file"].read())
        except importer.PartnerImportError as error:
            form.add_error("file", str(error))
        else:
            token = importer.import_upload_store(table=table, user=request.user)
            only_mine = bool(form.cleaned_data.get("only_my_gminas"))
            if formats.layout_for(table.header) is None:
                mapping_form = PartnerMappingForm(
                    header=table.header,
                    initial_mapping=formats.default_mapping(table.header),
                    initial={"token": token, "only_my_gminas": only_mine},
                )
                return _render_mapping(request, mapping_form, table)
            plan = {"mapping": None, "default_kind": "", "only_my_gminas": only_mine}
            return _run(request, table=table, token=token, plan=plan, dry_run=True, form=form)
    return render(request, "clubs/partner_import.html", {"form": form})


def _mapping_step(request):
    token = request.POST.get("token", "")
    try:
        table = importer.import_upload_load(token=token, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("clubs:partner-import")
    form = PartnerMappingForm(request.POST, header=table.header, initial_mapping={})
    if form.is_valid():
        plan = {
            "mapping": form.mapping,
            "default_kind": form.cleaned_data["default_kind"],
            "only_my_gminas": form.cleaned_data["only_my_gminas"],
        }
        try:
            importer.partner_layout(table, plan["mapping"], plan["default_kind"])
        except importer.PartnerImportError as error:
            form.add_error(None, str(error))
        else:
            return _run(request, table=table, token=token, plan=plan, dry_run=True)
    return _render_mapping(request, form, table)


def _render_mapping(request, form, table):
    context = {"form": form, "header": table.header, "row_count": len(table.rows)}
    return render(request, "clubs/partner_import_mapping.html", context)


@login_required
def partner_import_job(request, job_pk: int):
    """A large import running in a worker: a progress bar (polled), then its result."""
    require(request.user, "clubs.import_partners")
    job = uploads.job_get_for(request.user, job_pk, PURPOSE)
    context: dict = {"job": job}
    if job.state == job.State.DONE:
        result = dict(job.result or {})
        result["ok"] = not result.get("error_count")
        if result["ok"] and not result.get("dry_run"):
            if request.htmx:  # the polled fragment sends the browser on to the list
                response = render(request, "clubs/_partner_import_job.html", context)
                response["HX-Redirect"] = request.path
                return response
            return _imported(request, result["created"], result["updated"], result["unchanged"])
        context["result"] = result
        if result["ok"] and (result["created"] or result["updated"]):
            context["confirm"] = _confirm_form(job.token, job.options)
    if request.htmx and not job.finished:
        return render(request, "clubs/_partner_import_job.html", context)
    if request.htmx:
        response = render(request, "clubs/_partner_import_job.html", context)
        response["HX-Redirect"] = request.path  # show the whole result page
        return response
    context["form"] = _upload_form(request)
    return render(request, "clubs/partner_import.html", context)
