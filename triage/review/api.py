"""JSON API for reviewers (api.md, "Reviewers")."""

from flask import Blueprint

bp = Blueprint("review_api", __name__, url_prefix="/api/v1")
