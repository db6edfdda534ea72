"""Reviewer pages: queue, review page, decisions."""

from flask import Blueprint

bp = Blueprint("review", __name__, url_prefix="/review")
