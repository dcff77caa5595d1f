from siaga112.platform.api import ApiBlueprint

blp = ApiBlueprint("roster", __name__, url_prefix="/api/v1/tenants/<tenant>",
                   description="Shift templates in local time, assignments, the rotation generator, and 24/7 coverage.")
