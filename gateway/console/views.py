"""Console pages. For now the start page: sign in and see who you are and what is running."""
from __future__ import annotations

from flask import Blueprint, render_template

blp = Blueprint("console", __name__, template_folder="templates")


@blp.get("/")
def home():
    return render_template("home.html")
