"""A probe, not a product page: the new-ticket form and its files in ONE request.

`python -m benchmarks peer --peer-flow one-request` serves `benchmarks.one_request:app`:
the real app plus one route, POST /bench/one-request, that files the ticket from the
new-ticket form (CSRF checked, as every form) and adds each file with the product's own
services, every check on (`add_evidence`), then commits once. The customer pages never
do this; the probe measures how close the product could come to django-helpdesk's
two-request flow (GET the form, POST it with the files) if they did.
"""

from __future__ import annotations

from flask import Flask, redirect, request, url_for

from forms.tickets import NewTicketForm
from triage.app import create_app
from triage.evidence.names import uploaded_name
from triage.evidence.operations import add_evidence
from triage.extensions import db
from triage.i18n import current_language
from triage.security import grant_ticket
from triage.tickets import operations as ops

PATH = "/bench/one-request"
FILE_FIELD = "files-"  # then the material: files-passport, files-card_front, ...


def file_with_files():
    new = ops.create_ticket(NewTicketForm().payload("unfreeze"), language=current_language())
    for field, upload in request.files.items(multi=True):
        add_evidence(
            new.ticket, field.removeprefix(FILE_FIELD), uploaded_name(upload), upload.stream
        )
    grant_ticket(new.ticket, show_code=new.access_code)
    reference = new.ticket.reference
    db.session.commit()
    return redirect(url_for("tickets.created", reference=reference))


def make_app() -> Flask:
    probe = create_app()
    probe.add_url_rule(PATH, "bench_one_request", file_with_files, methods=["POST"])
    return probe


app = make_app()
