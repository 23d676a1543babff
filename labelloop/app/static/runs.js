// The annotation runs panel: runs with their schema, live task/job status with links to
// the annotation tool's editor, "load" (dry-run diff first, then merge) and a form that
// sends the current view (with the sidebar's filters) for a new run.

const LABEL_TYPES = ["", "classification", "classifications", "detections", "instances",
  "polylines", "polygons", "keypoints", "segmentation", "scalar"];

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node[k] = v;
  }
  node.append(...children.filter((c) => c != null));
  return node;
}

function link(url, text) {
  return el("a", { href: url, target: "_blank", rel: "noopener noreferrer", textContent: text });
}

export class RunsPanel {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    document.getElementById("runs-toggle").addEventListener("click", () => {
      root.hidden = !root.hidden;
      if (!root.hidden) this.refresh();
    });
  }

  post(path, body) {
    return this.app.api(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  message(text, isError = false) {
    this.msg.textContent = text;
    this.msg.className = isError ? "msg error" : "msg";
  }

  // Build the panel once; refreshes only redraw the run list, so a half-filled form and
  // the last message survive the page following a new session version.
  build() {
    this.msg = el("div", { className: "msg", id: "runs-msg" });
    this.list = el("div", { id: "runs-list" });
    this.fieldOptions = el("datalist", { id: "run-fields" });
    this.root.replaceChildren(el("h3", { textContent: "Annotation runs" }), this.list, this.newRunForm(), this.msg);
  }

  async refresh() {
    if (this.root.hidden) return;
    if (!this.list) this.build();
    const names = this.app.info.label_fields.filter((f) => !f.frame).map((f) => f.name);
    this.fieldOptions.replaceChildren(...names.map((f) => el("option", { value: f })));
    try {
      const { runs } = await this.app.api("/api/runs");
      // Keep the cards of runs still there (with their status, diff or merge result).
      const cards = new Map([...this.list.querySelectorAll(".run")].map((c) => [c.dataset.key, c]));
      const shown = runs.map((run) => cards.get(run.key) || this.runCard(run));
      this.list.replaceChildren(...(shown.length ? shown : [el("p", { textContent: "No annotation runs yet." })]));
    } catch (err) {
      this.message(err.message, true);
    }
  }

  runCard(run) {
    const status = el("div", { className: "run-status" });
    const load = el("div", { className: "run-load" });
    // How to merge: unexpected labels ignored or kept (in fields named after their type),
    // and an optional field to write the run's labels to instead of the run's own.
    const options = el("div", { className: "run-options" },
      el("label", {}, "unexpected labels ",
        el("select", { name: "unexpected" },
          el("option", { value: "ignore", textContent: "ignore" }),
          el("option", { value: "keep", textContent: "keep" }))),
      el("input", { name: "dest_field", placeholder: "merge into field (default: the run's)" }));
    const fields = Object.entries(run.fields).map(([name, spec]) =>
      el("li", { textContent: `${name}: ${spec.type}${spec.classes ? ` (${spec.classes.join(", ")})` : ""}` }),
    );
    return el(
      "div",
      { className: "run", dataset: { key: run.key } },
      el("div", { className: "run-head" }, el("strong", { textContent: run.key }),
        ` · ${run.backend} · ${run.timestamp.replace("T", " ").slice(0, 19)}`),
      run.url ? el("div", {}, link(run.url, run.url)) : null,
      el("ul", {}, ...fields),
      el("div", { className: "toolbar" },
        el("button", { type: "button", className: "run-status-btn", textContent: "status", onclick: () => this.showStatus(run.key, status) }),
        el("button", { type: "button", className: "run-load-btn", textContent: "load…", onclick: () => this.dryRun(run.key, load, options) })),
      options,
      status,
      load,
    );
  }

  async showStatus(key, box) {
    box.replaceChildren(el("em", { textContent: "asking the server…" }));
    try {
      const { status } = await this.app.api(`/api/runs/${encodeURIComponent(key)}/status`);
      const rows = [];
      for (const [field, tasks] of Object.entries(status)) {
        for (const [taskId, task] of Object.entries(tasks)) {
          rows.push(el("tr", { className: "task" },
            el("td", {}, link(task.url, `task ${taskId}`)),
            el("td", { textContent: field }),
            el("td", { textContent: task.status ?? "" }),
            el("td", { textContent: task.assignee?.username ?? "—" })));
          for (const [jobId, job] of Object.entries(task.jobs)) {
            rows.push(el("tr", { className: "job", dataset: { job: jobId } },
              el("td", {}, link(job.url, `job ${jobId}`)),
              el("td", { textContent: job.stage ?? "" }),
              el("td", { textContent: job.state ?? "" }),
              el("td", { textContent: job.assignee?.username ?? "—" })));
          }
        }
      }
      const head = el("tr", {}, ...["task / job", "field / stage", "status / state", "assignee"].map((t) => el("th", { textContent: t })));
      box.replaceChildren(rows.length ? el("table", {}, head, ...rows) : el("em", { textContent: "no tasks left" }));
    } catch (err) {
      box.replaceChildren();
      this.message(err.message, true);
    }
  }

  reportTable(report) {
    const rows = Object.entries(report.fields).map(([field, d]) => {
      const refused = Object.values(d.refused || {}).reduce((a, b) => a + b, 0);
      return el("tr", { dataset: { field } },
        ...[field, d.added, d.edited, d.deleted, refused].map((v) => el("td", { textContent: String(v) })));
    });
    const head = el("tr", {}, ...["field", "added", "edited", "deleted", "refused"].map((t) => el("th", { textContent: t })));
    return el("table", { className: "diff" }, head, ...rows);
  }

  // The itemised review: each label added, deleted, edited (before -> after), refused (why),
  // conflicting (which side won), and what could not be read (left as it is).
  reviewList(report) {
    const show = (v) => JSON.stringify(v);
    const lines = [];
    for (const [field, items] of Object.entries(report.items || {})) {
      for (const item of items.slice(0, 500)) {
        const where = `${field} · sample ${item.sample_id}` + (item.frame != null ? ` · frame ${item.frame}` : "");
        const what = item.label_id ? `${item.label_id}${item.label != null ? ` (${item.label})` : ""}` : "value";
        const changes = Object.entries(item.changes || {}).map(([k, [a, b]]) => `${k}: ${show(a)} → ${show(b)}`).join("; ");
        const why = item.reason ? ` [${item.reason}${item.resolution ? `, kept ${item.resolution}` : ""}]` : "";
        lines.push(el("li", { className: `review-${item.kind}`, textContent: `${item.kind} ${where} ${what}${changes ? ": " + changes : ""}${why}` }));
      }
    }
    for (const skip of report.skipped || []) {
      lines.push(el("li", { className: "review-skipped", textContent: `skipped ${skip.source} (${skip.reason}): ${skip.samples.length} sample(s) left as they are` }));
    }
    return el("ul", { className: "review" }, ...lines);
  }

  loadOptions(options) {
    const dest = options.querySelector("input[name='dest_field']").value.trim();
    return { unexpected: options.querySelector("select[name='unexpected']").value, dest_field: dest || null };
  }

  async dryRun(key, box, options) {
    box.replaceChildren(el("em", { textContent: "downloading (dry run)…" }));
    const chosen = this.loadOptions(options);  // the merge uses what the dry run showed
    try {
      const report = await this.post(`/api/runs/${encodeURIComponent(key)}/load`, { dry_run: true, ...chosen });
      const merge = el("button", {
        type: "button",
        className: "run-merge-btn",
        textContent: "merge into the dataset",
        onclick: () => this.merge(key, box, chosen),
      });
      box.replaceChildren(el("div", { textContent: "Would change:" }), this.reportTable(report), this.reviewList(report), merge);
    } catch (err) {
      box.replaceChildren();
      this.message(err.message, true);
    }
  }

  async merge(key, box, chosen) {
    box.replaceChildren(el("em", { textContent: "merging…" }));
    try {
      const report = await this.post(`/api/runs/${encodeURIComponent(key)}/load`, { dry_run: false, ...chosen });
      box.replaceChildren(el("div", { className: "merged", textContent: "Merged:" }), this.reportTable(report));
      this.message(`Loaded run ${key}`);
    } catch (err) {
      box.replaceChildren();
      this.message(err.message, true);
    }
  }

  newRunForm() {
    const key = el("input", { name: "anno_key", placeholder: "run key", required: true });
    const field = el("input", { name: "label_field", placeholder: "label field", required: true });
    field.setAttribute("list", "run-fields");
    const type = el("select", { name: "label_type" }, ...LABEL_TYPES.map((t) => el("option", { value: t, textContent: t || "type (from field)" })));
    const classes = el("input", { name: "classes", placeholder: "classes, comma separated" });
    const url = el("input", { name: "url", placeholder: "server url (default: from config)" });
    const form = el("form", { id: "new-run" },
      el("h4", { textContent: "Send the current view for annotation" }),
      key, field, this.fieldOptions, type, classes, url,
      el("button", { type: "submit", textContent: "send" }));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const body = { anno_key: key.value.trim(), label_field: field.value.trim(), filters: this.app.filters };
      if (type.value) body.label_type = type.value;
      const list = classes.value.split(",").map((c) => c.trim()).filter(Boolean);
      if (list.length) body.classes = list;
      if (url.value.trim()) body.url = url.value.trim();
      this.message("uploading…");
      try {
        const out = await this.post("/api/runs", body);
        this.message(`Created run ${out.key} (tasks ${out.task_ids.join(", ")})`);
        form.reset();
        await this.refresh();
      } catch (err) {
        this.message(err.message, true);
      }
    });
    return form;
  }
}
