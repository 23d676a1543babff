"""The CVAT backend: HTTP client, resources, media upload, converters, annotate/download."""
