// The sidebar: field visibility, label filters (class, confidence, attributes such as
// evaluation outcomes), sample tags and numeric sample fields. It only edits
// app.filters / app.visible; the server turns filters into view stages.
import { colorFor } from "./draw.js";

export function buildSidebar(root, app) {
  root.replaceChildren();
  const info = app.info;
  if (!info.tags) {
    section(root, "Sample tags").append(loadingNote());
  } else if (Object.keys(info.tags).length) {
    const box = section(root, "Sample tags");
    for (const [tag, count] of Object.entries(info.tags)) {
      box.append(checkRow(`${tag} (${count})`, (app.filters.tags || []).includes(tag), (on) => {
        const tags = new Set(app.filters.tags || []);
        on ? tags.add(tag) : tags.delete(tag);
        app.filters.tags = [...tags];
        app.filtersChanged();
      }, { name: "tag", value: tag }));
    }
  }
  const labelBox = section(root, "Labels");
  for (const field of info.label_fields) labelBox.append(fieldControls(field, app));
  if (info.numeric_fields.length) {
    const box = section(root, "Sample fields");
    for (const field of info.numeric_fields) box.append(numericControls(field, app));
  }
}

function loadingNote() {
  const note = document.createElement("div");
  note.className = "loading";
  note.textContent = "counting…";
  return note;
}

function section(root, title) {
  const box = document.createElement("section");
  const h = document.createElement("h3");
  h.textContent = title;
  box.append(h);
  root.append(box);
  return box;
}

// "cat (12)": how many labels a filter value matches in the current view.
function withCount(text, count) {
  return count == null ? text : `${text} (${count})`;
}

function checkRow(text, checked, onChange, data = {}, color = null) {
  const label = document.createElement("label");
  label.className = "row";
  const input = document.createElement("input");
  input.type = "checkbox";
  input.checked = checked;
  for (const [k, v] of Object.entries(data)) input.dataset[k] = v;
  input.addEventListener("change", () => onChange(input.checked));
  label.append(input);
  if (color) {
    const sw = document.createElement("span");
    sw.className = "swatch";
    sw.style.background = color;
    label.append(sw);
  }
  label.append(document.createTextNode(text));
  return label;
}

function fieldFilter(app, name) {
  app.filters.labels = app.filters.labels || {};
  app.filters.labels[name] = app.filters.labels[name] || {};
  return app.filters.labels[name];
}

function fieldControls(field, app) {
  const box = document.createElement("div");
  box.className = "field";
  box.dataset.field = field.name;
  box.append(
    checkRow(`${field.name} · ${field.cls}`, app.visible.has(field.name), (on) => {
      on ? app.visible.add(field.name) : app.visible.delete(field.name);
      app.visibilityChanged();
    }, { name: "visible", field: field.name }, colorFor(field.name)),
  );
  const details = document.createElement("details");
  const summary = document.createElement("summary");
  summary.textContent = "filter";
  details.append(summary);
  const current = (app.filters.labels || {})[field.name] || {};
  if ((field.classes || []).length) {
    const classes = document.createElement("div");
    classes.className = "classes";
    for (const cls of field.classes) {
      classes.append(checkRow(withCount(cls, (field.class_counts || {})[cls]), (current.classes || []).includes(cls), (on) => {
        const f = fieldFilter(app, field.name);
        const set = new Set(f.classes || []);
        on ? set.add(cls) : set.delete(cls);
        f.classes = [...set];
        app.filtersChanged();
      }, { name: "class", field: field.name, value: cls }, colorFor(cls)));
    }
    details.append(classes);
    if (current.classes && current.classes.length) details.open = true;
  }
  if (field.has_confidence) {
    const row = document.createElement("label");
    row.className = "row confidence";
    const out = document.createElement("span");
    const input = document.createElement("input");
    input.type = "range";
    input.min = "0";
    input.max = "1";
    input.step = "0.01";
    input.dataset.name = "min-confidence";
    input.dataset.field = field.name;
    input.value = current.confidence ? current.confidence[0] : 0;
    out.textContent = `confidence ≥ ${Number(input.value).toFixed(2)}`;
    input.addEventListener("input", () => {
      out.textContent = `confidence ≥ ${Number(input.value).toFixed(2)}`;
      const f = fieldFilter(app, field.name);
      f.confidence = Number(input.value) > 0 ? [Number(input.value), 1] : null;
      app.filtersChanged();
    });
    row.append(out, input);
    details.append(row);
  }
  for (const [attr, values] of Object.entries(field.attributes || {})) {
    const head = document.createElement("div");
    head.className = "attr";
    head.textContent = attr;
    details.append(head);
    for (const value of values) {
      const chosen = ((current.attributes || {})[attr] || []).includes(value);
      details.append(checkRow(withCount(String(value), ((field.attribute_counts || {})[attr] || {})[String(value)]), chosen, (on) => {
        const f = fieldFilter(app, field.name);
        f.attributes = f.attributes || {};
        const set = new Set(f.attributes[attr] || []);
        on ? set.add(value) : set.delete(value);
        f.attributes[attr] = [...set];
        app.filtersChanged();
      }, { name: "attribute", field: field.name, attr, value }));
    }
  }
  if (details.children.length > 1) box.append(details);
  return box;
}

function numericControls(field, app) {
  const row = document.createElement("div");
  row.className = "row numeric";
  const title = document.createElement("span");
  title.textContent = field.name;
  row.append(title);
  const current = (app.filters.numeric || {})[field.name] || [null, null];
  const inputs = ["min", "max"].map((which, i) => {
    const input = document.createElement("input");
    input.type = "number";
    input.placeholder = `${which} ${(field.bounds || [])[i] ?? ""}`;
    input.step = "any";
    input.dataset.name = `numeric-${which}`;
    input.dataset.field = field.name;
    if (current[i] != null) input.value = current[i];
    input.addEventListener("change", () => {
      const lo = inputs[0].value === "" ? null : Number(inputs[0].value);
      const hi = inputs[1].value === "" ? null : Number(inputs[1].value);
      app.filters.numeric = app.filters.numeric || {};
      if (lo == null && hi == null) delete app.filters.numeric[field.name];
      else app.filters.numeric[field.name] = [lo, hi];
      app.filtersChanged();
    });
    row.append(input);
    return input;
  });
  return row;
}
