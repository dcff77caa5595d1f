from flask import Blueprint

bp = Blueprint("tenants_directory_web", __name__, template_folder="templates")
