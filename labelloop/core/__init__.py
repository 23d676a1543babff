"""The dataset core: datasets, samples, frames, labels, views, aggregations and runs.

Where things live:

* ``dataset.py`` -- ``Dataset`` and the module functions (``load_dataset``, ...);
  ``lifecycle.py`` removes non-persistent datasets nobody uses any more.
* ``sample.py`` -- ``Sample``, ``Frame`` and ``Frames`` (video frames on demand).
* ``labels.py``, ``metadata.py``, ``fields.py`` -- label classes, media metadata,
  field kinds and their enforcement.
* ``collection.py`` / ``view.py`` -- what datasets and views share, and views.
* ``stages.py`` / ``label_stages.py`` -- view stages; ``planner.py`` runs them;
  ``expressions.py`` -- ``ViewField`` / ``ViewExpression``.
* ``aggregations.py`` -- ``values``, ``count``, ``distinct``, ``count_values``, ``bounds``.
* ``reader.py`` / ``writer.py`` / ``docs.py`` -- documents <-> store rows.
* ``labelops.py`` -- label-level get/set/delete for other layers.
* ``runs.py`` -- evaluation and annotation run records; ``extensions.py`` -- methods
  implemented by higher layers; ``editing.py`` -- bulk edits and metadata.

Storage is behind ``labelloop.store.base.Store``; no SQL lives here.
"""
