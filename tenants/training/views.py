from flask import Blueprint

bp = Blueprint("tenants_training_web", __name__, template_folder="templates")
