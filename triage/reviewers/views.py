"""Reviewer sign-in and sign-out pages."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
