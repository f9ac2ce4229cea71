"""Flask: the app's blueprints, pages, caching, security headers and OpenAPI document.

The web layer adapts :mod:`webmap.api` (answers) and :mod:`webmap.maps` (Folium maps) to
HTTP; it holds no maths.
"""
