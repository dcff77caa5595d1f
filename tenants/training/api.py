from siaga112.platform.api import ApiBlueprint

blp = ApiBlueprint("training", __name__, url_prefix="/api/v1/tenants/<tenant>",
                   description="Training records of the people on a tenant's roster, with certificates.")
