"""One module per CVAT server resource, each a thin wrapper over :class:`CVATClient`."""

from labelloop.cvat.resources.base import Resource
from labelloop.cvat.resources.jobs import Jobs
from labelloop.cvat.resources.labels import LabelMaps, Labels
from labelloop.cvat.resources.projects import Projects
from labelloop.cvat.resources.tasks import Tasks
from labelloop.cvat.resources.users import Users

__all__ = ["Jobs", "LabelMaps", "Labels", "Projects", "Resource", "Tasks", "Users"]
