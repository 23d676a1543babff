"""A normalised label schema as CVAT labels, and the way back.

Every class of every field becomes one CVAT label. A class used by several
fields is renamed ``<class>_<field>`` in each of them so that each CVAT label
belongs to exactly one field. Non-scalar fields get a hidden text attribute
``label_id`` carrying each label's id, so edits made in CVAT merge back into
the right label. ``occluded``/``group_id`` attributes bind to CVAT's shape
flags and are not sent as attributes. Scalar fields without classes become a
single label named after the field with a text attribute ``value``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from labelloop.cvat.convert.attributes import encode_value
from labelloop.cvat.convert.options import ConvertOptions

ID_ATTR = "label_id"
SCALAR_VALUE_ATTR = "value"
#: Text attribute recording where a keypoint's missing (NaN) points sit.
MISSING_POINTS_ATTR = "missing_points"
MAX_NAME_LENGTH = 64
_FLAG_TYPES = ("occluded", "group_id")
_CVAT_INPUT_TYPES = ("text", "select", "radio", "checkbox", "number")


@dataclass
class FieldLabels:
    """How one label field appears in CVAT."""

    name: str
    label_type: str
    #: class -> CVAT label name, and back.
    cvat_names: dict[str, str] = field(default_factory=dict)
    classes: dict[str, str] = field(default_factory=dict)
    #: class -> attribute specs (field-wide ones plus the class's own).
    attributes: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    occluded_attr: str | None = None
    group_id_attr: str | None = None
    coerce_text: bool = True
    #: Scalar classes as given (their types restore downloaded values).
    scalar_classes: list[Any] = field(default_factory=list)
    mask_targets: dict[int, str] | None = None
    _options: dict[str | None, ConvertOptions] = field(default_factory=dict, repr=False)

    @property
    def is_scalar(self) -> bool:
        """Whether the field holds plain values rather than labels."""
        return self.label_type == "scalar"

    @property
    def scalar_value_label(self) -> bool:
        """A scalar field without classes: one CVAT label with a ``value`` attribute."""
        return self.is_scalar and not self.classes

    def options(self, class_name: str | None) -> ConvertOptions:
        """Converter options for labels of ``class_name`` in this field (built once)."""
        if class_name not in self._options:
            self._options[class_name] = self._build_options(class_name)
        return self._options[class_name]

    def _build_options(self, class_name: str | None) -> ConvertOptions:
        specs = self.attributes.get(class_name or "", {}) if class_name is not None else {}
        return ConvertOptions(
            attributes=specs,
            occluded_attr=self.occluded_attr,
            group_id_attr=self.group_id_attr,
            id_attr=None if self.is_scalar else ID_ATTR,
            coerce_text=self.coerce_text,
            missing_points_attr=MISSING_POINTS_ATTR if self.has_keypoints else None,
            mask_targets=self.mask_targets,
            filled=self.label_type in ("polygon", "polygons"),
        )

    @property
    def has_keypoints(self) -> bool:
        """Whether the field holds keypoints (which record their missing points)."""
        return self.label_type in ("keypoint", "keypoints")


@dataclass
class CVATSchema:
    """Every field's CVAT labels plus the label specs to create on the server."""

    fields: dict[str, FieldLabels]
    labels: list[dict[str, Any]]

    def owner(self, cvat_label: str) -> tuple[FieldLabels, str | None] | None:
        """``(field, class)`` owning a CVAT label name (class ``None`` for value labels)."""
        for spec in self.fields.values():
            if cvat_label in spec.classes:
                return spec, spec.classes[cvat_label]
            if spec.scalar_value_label and cvat_label == spec.name:
                return spec, None
        return None


def _check_name(kind: str, name: str, where: str) -> None:
    if not isinstance(name, str) or not name:
        raise ValueError(f"{where}: {kind} names must be non-empty strings, got {name!r}")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(
            f"{where}: {kind} {name!r} is {len(name)} characters long; CVAT allows at most "
            f"{MAX_NAME_LENGTH}. Rename it."
        )


def cvat_attribute(name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    """A CVAT attribute spec for a schema attribute (values stringified as CVAT keeps them)."""
    kind = spec.get("type", "text")
    if kind not in _CVAT_INPUT_TYPES:
        raise ValueError(f"Attribute {name!r} of type {kind!r} has no CVAT input type")
    default = spec.get("default")
    values = [encode_value(v, name) for v in spec.get("values") or () if v is not None]
    if kind == "checkbox":
        values = [encode_value(bool(default) if default is not None else False, name)]
    elif kind == "text":
        values = [encode_value(default, name)] if default is not None else []
    elif default is not None and encode_value(default, name) in values:
        # CVAT shows the first value as the default of select/radio widgets
        text = encode_value(default, name)
        values = [text] + [v for v in values if v != text]
    out: dict[str, Any] = {
        "name": name,
        "input_type": kind,
        "mutable": bool(spec.get("mutable", True)),
        "values": values,
    }
    if default is not None:
        out["default_value"] = encode_value(default, name)
    return out


def _class_entries(field_name: str, spec: Mapping[str, Any]) -> list[tuple[str, dict]]:
    """``(class, class-specific attributes)`` pairs from a field's ``classes``."""
    out: list[tuple[str, dict]] = []
    for item in spec.get("classes") or ():
        if isinstance(item, Mapping):
            for name in item.get("classes") or ():
                out.append((str(name), dict(item.get("attributes") or {})))
        else:
            out.append((str(item), {}))
    return out


def build_schema(
    label_schema: Mapping[str, Mapping[str, Any]],
    *,
    occluded_attr: str | None = None,
    group_id_attr: str | None = None,
    coerce_text_attrs: bool = True,
) -> CVATSchema:
    """CVAT labels for a normalised label schema (names checked, collisions renamed)."""
    per_field: dict[str, list[tuple[str, dict]]] = {}
    usage: dict[str, int] = {}
    for name, spec in label_schema.items():
        entries = _class_entries(name, spec)
        if spec.get("type") == "segmentation" and not entries:
            targets = spec.get("mask_targets") or {}
            entries = [
                (str(v), {})
                for k, v in sorted(targets.items(), key=lambda kv: str(kv[0]))
                if str(k) not in ("0", "#000000")
            ]
        per_field[name] = entries
        for cls in {c for c, _ in entries}:
            usage[cls] = usage.get(cls, 0) + 1
    taken: set[str] = set()
    fields: dict[str, FieldLabels] = {}
    labels: list[dict[str, Any]] = []
    for name, spec in label_schema.items():
        label_type = spec.get("type")
        where = f"label_schema[{name!r}]"
        global_attrs = dict(spec.get("attributes") or {}) if label_type != "scalar" else {}
        out = FieldLabels(
            name=name,
            label_type=label_type,
            occluded_attr=occluded_attr,
            group_id_attr=group_id_attr,
            coerce_text=coerce_text_attrs,
        )
        if label_type == "scalar":
            out.scalar_classes = [
                c
                for item in spec.get("classes") or ()
                for c in (item.get("classes", []) if isinstance(item, Mapping) else [item])
            ]
        if label_type == "segmentation":
            out.mask_targets = {int(k): str(v) for k, v in (spec.get("mask_targets") or {}).items()}
        if label_type == "scalar" and not per_field[name]:
            cvat_name = _unique(name, taken)
            _check_name("field", cvat_name, where)
            labels.append(
                {
                    "name": cvat_name,
                    "attributes": [
                        cvat_attribute(SCALAR_VALUE_ATTR, {"type": "text", "values": []})
                    ],
                }
            )
            fields[name] = out
            continue
        for cls, own_attrs in per_field[name]:
            if cls in out.cvat_names:
                out.attributes[cls].update(own_attrs)
                continue
            _check_name("class", cls, where)
            wanted = f"{cls}_{name}" if usage[cls] > 1 else cls
            cvat_name = _unique(wanted, taken)
            _check_name("class", cvat_name, where)
            out.cvat_names[cls] = cvat_name
            out.classes[cvat_name] = cls
            out.attributes[cls] = {**global_attrs, **own_attrs} if label_type != "scalar" else {}
        for cls, cvat_name in out.cvat_names.items():
            attrs = []
            if label_type != "scalar":
                attrs.append(cvat_attribute(ID_ATTR, {"type": "text", "values": []}))
            if out.has_keypoints:
                attrs.append(cvat_attribute(MISSING_POINTS_ATTR, {"type": "text", "values": []}))
            for attr_name, attr_spec in out.attributes[cls].items():
                _check_name("attribute", attr_name, where)
                if attr_name == ID_ATTR:
                    raise ValueError(
                        f"{where}: attribute {ID_ATTR!r} is reserved for label provenance; "
                        "rename it"
                    )
                if attr_spec.get("type") in _FLAG_TYPES:
                    continue
                attrs.append(cvat_attribute(attr_name, attr_spec))
            labels.append({"name": cvat_name, "attributes": attrs})
        fields[name] = out
    return CVATSchema(fields=fields, labels=labels)


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    taken.add(candidate)
    return candidate


def spec_from_cvat_attribute(attr: Mapping[str, Any]) -> dict[str, Any]:
    """A schema attribute spec from a CVAT attribute (values stay CVAT strings)."""
    kind = attr.get("input_type", "text")
    spec: dict[str, Any] = {"type": kind, "values": list(attr.get("values") or [])}
    if kind == "checkbox":
        spec["values"] = [True, False]
    if attr.get("default_value") not in (None, ""):
        default = attr["default_value"]
        spec["default"] = default.lower() == "true" if kind == "checkbox" else default
    spec["mutable"] = bool(attr.get("mutable", True))
    return spec


_FLAG_TYPES = {"occluded": "occluded_attr", "group_id": "group_id_attr"}


def refuse_flag_attributes(
    label_schema: Mapping[str, Mapping[str, Any]],
    project_name: str,
    occluded_attr: str | None = None,
    group_id_attr: str | None = None,
) -> None:
    """An existing project's labels replace the schema's attributes, so attributes typed
    ``occluded``/``group_id`` would silently stop being bound to CVAT's flags: refuse them
    (before anything is sent) and name the parameters that bind them project-wide (those
    already bound by ``occluded_attr``/``group_id_attr`` are fine)."""
    bound = {"occluded": occluded_attr, "group_id": group_id_attr}
    found: dict[str, list[str]] = {}
    for field_name, spec in label_schema.items():
        groups = [spec.get("attributes") or {}] + [
            item.get("attributes") or {}
            for item in spec.get("classes") or ()
            if isinstance(item, Mapping)
        ]
        for attrs in groups:
            for name, attr in attrs.items():
                kind = (attr or {}).get("type")
                if kind in _FLAG_TYPES and name != bound[kind]:
                    found.setdefault(kind, []).append(f"{field_name}.{name}")
    if found:
        uses = "; ".join(
            f"{sorted(set(where))} typed {kind!r}: pass {_FLAG_TYPES[kind]}="
            f"{where[0].split('.', 1)[1]!r} instead"
            for kind, where in sorted(found.items())
        )
        raise ValueError(
            f"CVAT project {project_name!r} already defines the labels, which replace the "
            f"schema's attributes, so these would not be bound to CVAT's flags: {uses} "
            "(it binds the attribute for every class), or use attributes=False"
        )


def bind_flag_attributes(
    label_schema: Mapping[str, Mapping[str, Any]],
    occluded_attr: str | None,
    group_id_attr: str | None,
) -> dict[str, dict[str, Any]]:
    """The schema with ``occluded_attr``/``group_id_attr`` declared (types ``occluded``/
    ``group_id``) on every label field lacking an attribute of that type, so the run's
    stored schema holds them and the merge writes the flags back (also for projects,
    whose labels replace the schema's own attributes)."""
    out = {name: dict(spec) for name, spec in label_schema.items()}
    for spec in out.values():
        if spec.get("type") in ("scalar", "segmentation"):
            continue
        attrs = dict(spec.get("attributes") or {})
        declared = [attrs] + [
            item.get("attributes") or {}
            for item in spec.get("classes") or ()
            if isinstance(item, Mapping)
        ]
        for kind, name in (("occluded", occluded_attr), ("group_id", group_id_attr)):
            if name and not any(
                (a or {}).get("type") == kind for d in declared for a in d.values()
            ):
                attrs[name] = {"type": kind}
        spec["attributes"] = attrs
    return out


def schema_from_project(
    label_schema: Mapping[str, Mapping[str, Any]],
    project_labels: list[Mapping[str, Any]],
    project_name: str,
) -> dict[str, dict[str, Any]]:
    """The label schema with classes and attributes taken from an existing project.

    Project labels named ``<class>_<field>`` (how labelloop names a class used
    by several fields) go to that field; the others go to the one field that
    has no such labels. The fields' own classes and attributes are ignored,
    as the project defines them.
    """
    fields = list(label_schema)
    assigned: dict[str, list[dict[str, Any]]] = {f: [] for f in fields}
    rest: list[dict[str, Any]] = []
    for label in project_labels:
        name = label["name"]
        attrs = {
            a["name"]: spec_from_cvat_attribute(a)
            for a in label.get("attributes") or ()
            if a["name"] not in (ID_ATTR, SCALAR_VALUE_ATTR, MISSING_POINTS_ATTR)
        }
        owner = next((f for f in fields if len(fields) > 1 and name.endswith(f"_{f}")), None)
        if owner is not None:
            cls = name[: -len(owner) - 1]
            assigned[owner].append({"classes": [cls], "attributes": attrs})
        else:
            rest.append({"classes": [name], "attributes": attrs})
    open_fields = [f for f in fields if not assigned[f]]
    if rest:
        if len(open_fields) != 1:
            raise ValueError(
                f"CVAT project {project_name!r} defines labels {[r['classes'][0] for r in rest]} "
                f"that cannot be split among the fields {open_fields or fields}; upload one "
                "field at a time to this project"
            )
        assigned[open_fields[0]].extend(rest)
    out: dict[str, dict[str, Any]] = {}
    for name, spec in label_schema.items():
        new = dict(spec)
        new["classes"] = assigned[name]
        new["attributes"] = {}
        out[name] = new
    return out
