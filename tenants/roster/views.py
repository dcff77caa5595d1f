from flask import Blueprint

bp = Blueprint("tenants_roster_web", __name__, template_folder="templates")
