// The sample grid: fixed-size cells, virtual scrolling (only visible rows exist in the
// DOM) and lazy paging (pages of PAGE_SIZE samples fetched as rows come into view).
import { chipsFor, containRect, drawLabels } from "./draw.js";

const PAGE_SIZE = 60;
const MIN_CELL = 200;
const BUFFER_ROWS = 3;

export class Grid {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.spacer = document.createElement("div");
    this.spacer.className = "grid-spacer";
    root.appendChild(this.spacer);
    this.cells = new Map(); // index -> element
    this.pages = new Map(); // page number -> samples array | Promise
    this.total = 0;
    this.generation = 0;
    root.addEventListener("scroll", () => this.schedule());
    new ResizeObserver(() => this.schedule(true)).observe(root);
  }

  // Start over: new filters, new view or new data.
  async reset() {
    this.generation += 1;
    this.pages.clear();
    for (const el of this.cells.values()) el.remove();
    this.cells.clear();
    this.root.scrollTop = 0;
    const first = await this.fetchPage(0);
    if (first) this.schedule(true);
  }

  // Redraw labels only (field visibility changed).
  redraw() {
    for (const el of this.cells.values()) this.paint(el);
  }

  async fetchPage(page) {
    const have = this.pages.get(page);
    if (have) return have;
    const gen = this.generation;
    const promise = this.app
      .api(`/api/samples?offset=${page * PAGE_SIZE}&limit=${PAGE_SIZE}&filters=${this.app.filterParam()}`)
      .then((data) => {
        if (gen !== this.generation) return null;
        this.total = data.total;
        this.pages.set(page, data.samples);
        this.app.setCount(data.total);
        this.schedule(true);
        return data.samples;
      })
      .catch((err) => {
        this.pages.delete(page);
        this.app.showError(err);
        return null;
      });
    this.pages.set(page, promise);
    return promise;
  }

  schedule(force = false) {
    if (force) this.layoutDirty = true;
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = null;
      this.render();
    });
  }

  geometry() {
    const width = this.root.clientWidth;
    const cols = Math.max(1, Math.floor(width / MIN_CELL));
    const cellW = Math.floor(width / cols); // whole pixels keep lines crisp
    const cellH = Math.round(cellW * 0.75);
    return { cols, cellW, cellH, rows: Math.ceil(this.total / cols) };
  }

  render() {
    const g = this.geometry();
    this.spacer.style.height = `${g.rows * g.cellH}px`;
    const top = this.root.scrollTop;
    const first = Math.max(0, Math.floor(top / g.cellH) - BUFFER_ROWS);
    const last = Math.min(g.rows - 1, Math.ceil((top + this.root.clientHeight) / g.cellH) + BUFFER_ROWS);
    const wanted = new Set();
    for (let row = first; row <= last; row++) {
      for (let col = 0; col < g.cols; col++) {
        const index = row * g.cols + col;
        if (index >= this.total) break;
        wanted.add(index);
      }
    }
    for (const [index, el] of this.cells) {
      if (!wanted.has(index)) {
        el.remove();
        this.cells.delete(index);
      }
    }
    for (const index of wanted) {
      const page = Math.floor(index / PAGE_SIZE);
      const samples = this.pages.get(page);
      if (!samples) {
        this.fetchPage(page);
        continue;
      }
      if (samples instanceof Promise) continue;
      const sample = samples[index % PAGE_SIZE];
      if (!sample) continue;
      let el = this.cells.get(index);
      if (!el || el.dataset.sampleId !== sample.id) {
        if (el) el.remove();
        el = this.makeCell(sample, index);
        this.cells.set(index, el);
        this.root.appendChild(el);
      }
      const row = Math.floor(index / g.cols);
      const col = index % g.cols;
      const style = el.style;
      const left = `${col * g.cellW}px`;
      if (this.layoutDirty || style.left !== left) {
        style.left = left;
        style.top = `${row * g.cellH}px`;
        style.width = `${g.cellW}px`;
        style.height = `${g.cellH}px`;
        this.paint(el);
      }
    }
    this.layoutDirty = false;
  }

  makeCell(sample, index) {
    const el = document.createElement("div");
    el.className = "cell";
    el.dataset.sampleId = sample.id;
    el.dataset.index = index;
    el.sample = sample;
    const img = document.createElement("img");
    img.className = "thumb";
    img.loading = "lazy";
    img.alt = sample.filepath.split("/").pop();
    img.onload = () => this.paint(el);
    img.src = sample.thumb_url;
    const canvas = document.createElement("canvas");
    canvas.className = "overlay";
    const chips = document.createElement("div");
    chips.className = "chips";
    chips.append(...chipsFor(sample, this.app.visible));
    if (sample.media_type === "video") {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = "▶ video";
      el.appendChild(badge);
    }
    el.append(img, canvas, chips);
    el.addEventListener("click", () => this.app.openSample(index));
    return el;
  }

  paint(el) {
    const img = el.querySelector("img.thumb");
    const canvas = el.querySelector("canvas.overlay");
    const chips = el.querySelector(".chips");
    chips.replaceChildren(...chipsFor(el.sample, this.app.visible));
    const w = el.clientWidth;
    const h = el.clientHeight;
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    if (!img.complete || !img.naturalWidth) return;
    const rect = containRect(img.naturalWidth, img.naturalHeight, w, h);
    drawLabels(ctx, rect, this.app.visibleFields(el.sample.fields), {
      lineWidth: 2,
      fontPx: 10,
      onAsset: () => this.paint(el),
    });
  }

  // The sample at a grid index, fetching its page when needed (for prev/next in the modal).
  async sampleAt(index) {
    if (index < 0 || index >= this.total) return null;
    const page = Math.floor(index / PAGE_SIZE);
    let samples = this.pages.get(page);
    if (!samples || samples instanceof Promise) samples = await this.fetchPage(page);
    return samples ? samples[index % PAGE_SIZE] : null;
  }
}
