from siaga112.platform.api import ApiBlueprint

blp = ApiBlueprint("categories", __name__, url_prefix="/api/v1/tenants/<tenant>",
                   description="Incident categories: national defaults seeded for every tenant, renamed, disabled or added by it, mapped to agencies.")
