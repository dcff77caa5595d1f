from siaga112.platform.api import ApiBlueprint

blp = ApiBlueprint("directory", __name__, url_prefix="/api/v1/tenants/<tenant>",
                   description="A region's directory: its agencies and their contacts, and its phone numbers.")
