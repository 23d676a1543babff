"""The labelloop App: a browser UI over a dataset or view, served by the library.

``launch_app(dataset_or_view)`` starts the server in a background thread and
returns a :class:`Session`; see ``docs/app.md`` for the page and its API.
"""

from labelloop.app.session import Session, launch_app

__all__ = ["Session", "launch_app"]
