"""Framework-free API functions: (registry, arguments) in, :class:`ApiResponse` out.

Nothing here imports Flask or Folium (a test walks the imports); :mod:`webmap.web`
adapts these functions to routes.
"""
