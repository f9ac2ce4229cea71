"""Folium only: GeoDataFrames in, ``folium.Map`` out (point layers, legends, basemaps,
export). Nothing here imports Flask; a test walks the imports.
"""
