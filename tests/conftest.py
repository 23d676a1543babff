"""Suite-wide isolation: every test session gets its own labelloop home.

Datasets live in a throwaway database directory so tests never touch the
user's ``~/.labelloop``; the zoo cache is shared across the session so the
quickstart media is generated once.
"""

import os
import signal
import tempfile

_HOME = tempfile.mkdtemp(prefix="labelloop-tests-")
os.environ["LABELLOOP_HOME"] = _HOME
os.environ["LABELLOOP_DATABASE_DIR"] = os.path.join(_HOME, "db")
os.environ.setdefault("LABELLOOP_ZOO_DIR", os.path.join(_HOME, "zoo"))
os.environ["LABELLOOP_ANNOTATION_CONFIG_PATH"] = os.path.join(_HOME, "annotation_config.json")
for _name in list(os.environ):
    if _name.startswith(("LABELLOOP_CVAT_", "FIFTYONE_CVAT_")):
        del os.environ[_name]
# Ctrl-C as in a terminal: a suite started in the background (`... &`, nohup) inherits
# SIGINT ignored, and so would every process it starts; the interrupt tests need it.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_runtest_setup(item):
    """Tests marked ``local_cvat_only`` are skipped, with the reason, on a real CVAT."""
    from labelloop.testing.fixtures import skip_local_only

    skip_local_only(item)
