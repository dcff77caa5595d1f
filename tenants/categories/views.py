from flask import Blueprint

bp = Blueprint("tenants_categories_web", __name__, template_folder="templates")
