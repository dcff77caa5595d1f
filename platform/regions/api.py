from flask.views import MethodView

from ..api import ApiBlueprint, SelectPage
from ..db import request_session
from ..identity.access import public
from . import service
from .schemas import RegionQuerySchema, RegionSchema

blp = ApiBlueprint("regions", __name__, url_prefix="/api/v1/regions",
                description="The public registry of Indonesia's 514 kabupaten and kota.")


@blp.route("")
class Regions(MethodView):
    @public
    @blp.arguments(RegionQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, RegionSchema(many=True))
    @blp.paginate(SelectPage, page_size=50, max_page_size=600)
    def get(self, **filters):
        """Regions, filtered by province, kind and part of the name"""
        return service.region_query(**filters)


@blp.route("/<code>")
class RegionByCode(MethodView):
    @public
    @blp.response(200, RegionSchema)
    @blp.alt_response(404, description="No region has this code")
    def get(self, code):
        """One region by its Kemendagri code (e.g. 33.75)"""
        return service.get_region(request_session(), code)
