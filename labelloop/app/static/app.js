// Entry point: loads the dataset description, wires the sidebar, grid and sample view,
// and polls the server's version so the page follows session.view / refresh().
import { setColorBy } from "./draw.js";
import { Grid } from "./grid.js";
import { RunsPanel } from "./runs.js";
import { SampleView } from "./sample.js";
import { buildSidebar } from "./sidebar.js";

const POLL_MS = 500;

class App {
  constructor() {
    this.filters = { labels: {}, tags: [], numeric: {} };
    this.visible = new Set();
    this.known = new Set();
    this.version = null;
    this.grid = new Grid(document.getElementById("grid"), this);
    this.sampleView = new SampleView(document.getElementById("sample"), this);
    this.countEl = document.getElementById("count");
    this.errorEl = document.getElementById("error");
  }

  async api(path, init) {
    const res = await fetch(path, init);
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body.error || `${res.status} ${res.statusText}`);
    return body;
  }

  showError(err) {
    this.errorEl.textContent = String(err.message || err);
    this.errorEl.hidden = false;
    clearTimeout(this.errorTimer);
    this.errorTimer = setTimeout(() => (this.errorEl.hidden = true), 6000);
  }

  filterParam() {
    return encodeURIComponent(JSON.stringify(this.filters));
  }

  visibleFields(fields) {
    const out = {};
    for (const [name, labels] of Object.entries(fields || {})) if (this.visible.has(name)) out[name] = labels;
    return out;
  }

  setCount(total) {
    const all = this.info ? this.info.count : total;
    this.countEl.textContent = total === all ? `${total} samples` : `${total} of ${all} samples`;
  }

  async load() {
    const info = await this.api("/api/dataset");
    this.info = info;
    this.version = info.version;
    document.getElementById("dataset-name").textContent = info.name ?? "no dataset";
    document.getElementById("view-note").textContent = info.view ? `view: ${info.view}` : "";
    const names = new Set(info.label_fields.map((f) => f.name));
    for (const name of names) if (!this.known.has(name)) this.visible.add(name);
    this.known = names;
    for (const name of Object.keys(this.filters.labels)) if (!names.has(name)) delete this.filters.labels[name];
    buildSidebar(document.getElementById("sidebar"), this);
    document.body.dataset.runs = info.runs_enabled ? "on" : "off";
    if (this.runs) this.runs.refresh();
    // The grid needs only the cheap description. The filters' statistics may take a pass
    // over the data (holding the database), so they are asked for once the first page is
    // in, and fill the sidebar in when they arrive.
    await this.grid.reset();
    await this.loadStats(info);
    this.sampleView.reload();
    document.body.dataset.ready = String(info.version);
  }

  async loadStats(info) {
    const stats = await this.api("/api/dataset/stats");
    if (this.info !== info) return;
    for (const field of info.label_fields) Object.assign(field, stats.label_fields[field.name] || {});
    for (const field of info.numeric_fields) field.bounds = stats.numeric_fields[field.name] || [];
    info.tags = stats.tags;
    this.filters.tags = this.filters.tags.filter((t) => t in stats.tags);
    buildSidebar(document.getElementById("sidebar"), this);
  }

  filtersChanged() {
    clearTimeout(this.filterTimer);
    this.filterTimer = setTimeout(async () => {
      document.body.dataset.ready = "";
      await this.grid.reset();
      this.sampleView.reload();
      document.body.dataset.ready = String(this.version);
    }, 150);
  }

  visibilityChanged() {
    this.grid.redraw();
    this.sampleView.draw();
  }

  colorByChanged(mode) {
    setColorBy(mode);
    this.visibilityChanged();
    if (this.sampleView.sample) this.sampleView.renderPanel();  // its swatches too
  }

  openSample(index) {
    this.sampleView.open(index);
  }

  async poll() {
    try {
      const { version } = await this.api("/api/version");
      if (version !== this.version) {
        document.body.dataset.ready = "";
        await this.load();
      }
    } catch (err) {
      this.showError(`lost the server: ${err.message}`);
    }
    setTimeout(() => this.poll(), POLL_MS);
  }
}

const app = new App();
app.runs = new RunsPanel(document.getElementById("runs"), app);
const colorBy = document.getElementById("color-by");
colorBy.addEventListener("change", () => app.colorByChanged(colorBy.value));
app.load().catch((err) => app.showError(err)).finally(() => app.poll());
