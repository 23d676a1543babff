// The sample view: full-size media with labels, zoom (wheel, buttons) and pan (drag),
// video playback with frame labels and track ids, and a list of every field.
import { chipsFor, containRect, drawLabels, labelColor, labelText } from "./draw.js";

const FRAME_CHUNK = 300;

export class SampleView {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.stage = root.querySelector("#stage");
    this.inner = root.querySelector("#stage-inner");
    this.canvas = root.querySelector("#sample-canvas");
    this.panel = root.querySelector("#sample-fields");
    this.status = root.querySelector("#sample-status");
    this.zoom = { s: 1, tx: 0, ty: 0 };
    root.querySelector("#sample-close").onclick = () => this.close();
    root.querySelector("#sample-prev").onclick = () => this.step(-1);
    root.querySelector("#sample-next").onclick = () => this.step(1);
    root.querySelector("#zoom-in").onclick = () => this.zoomBy(1.25);
    root.querySelector("#zoom-out").onclick = () => this.zoomBy(0.8);
    root.querySelector("#zoom-fit").onclick = () => this.setZoom(1, 0, 0);
    this.stage.addEventListener("wheel", (e) => this.onWheel(e), { passive: false });
    this.stage.addEventListener("pointerdown", (e) => this.onDrag(e));
    document.addEventListener("keydown", (e) => {
      if (this.root.hidden) return;
      if (e.key === "Escape") this.close();
      else if (e.key === "ArrowLeft") this.step(-1);
      else if (e.key === "ArrowRight") this.step(1);
    });
    new ResizeObserver(() => this.layout()).observe(this.stage);
  }

  get isOpen() {
    return !this.root.hidden;
  }

  async open(index) {
    const summary = await this.app.grid.sampleAt(index);
    if (!summary) return;
    this.index = index;
    this.root.hidden = false;
    const detail = await this.app.api(
      `/api/samples/${summary.id}?filters=${this.app.filterParam()}`,
    );
    if (this.index !== index) return;
    this.sample = detail;
    this.frames = new Map();
    this.frameRequests = new Set();
    this.setMedia(detail);
    this.renderPanel();
  }

  close() {
    this.root.hidden = true;
    if (this.media && this.media.tagName === "VIDEO") this.media.pause();
    this.sample = null;
  }

  step(delta) {
    const next = this.index + delta;
    if (next >= 0 && next < this.app.grid.total) this.open(next);
  }

  // Re-fetch the open sample (filters or data changed).
  reload() {
    if (this.isOpen && this.index != null) this.open(this.index);
  }

  setMedia(detail) {
    if (this.media) this.media.remove();
    const isVideo = detail.media_type === "video";
    const el = document.createElement(isVideo ? "video" : "img");
    el.id = "sample-media";
    el.draggable = false;
    if (isVideo) {
      el.controls = true;
      el.muted = true;
      el.preload = "auto";
      el.addEventListener("loadedmetadata", () => this.layout());
      el.addEventListener("seeked", () => {
        this.draw();
        this.renderPanel();
      });
      el.addEventListener("pause", () => this.renderPanel());
      el.addEventListener("timeupdate", () => this.draw());
      el.addEventListener("play", () => this.followPlayback());
    } else {
      el.addEventListener("load", () => this.layout());
    }
    el.src = detail.media_url;
    this.inner.insertBefore(el, this.canvas);
    this.media = el;
    this.setZoom(1, 0, 0);
  }

  naturalSize() {
    const m = this.media;
    if (!m) return null;
    const w = m.tagName === "VIDEO" ? m.videoWidth : m.naturalWidth;
    const h = m.tagName === "VIDEO" ? m.videoHeight : m.naturalHeight;
    return w && h ? [w, h] : null;
  }

  layout() {
    const size = this.naturalSize();
    if (!size || !this.isOpen) return;
    const rect = containRect(size[0], size[1], this.stage.clientWidth, this.stage.clientHeight);
    this.rect = rect;
    for (const el of [this.media, this.canvas]) {
      el.style.left = `${rect.x}px`;
      el.style.top = `${rect.y}px`;
      el.style.width = `${rect.w}px`;
      el.style.height = `${rect.h}px`;
    }
    this.draw();
  }

  setZoom(s, tx, ty) {
    this.zoom = { s, tx, ty };
    this.inner.style.transform = `translate(${tx}px, ${ty}px) scale(${s})`;
    this.root.querySelector("#zoom-level").textContent = `${Math.round(s * 100)}%`;
    this.draw();
  }

  zoomBy(factor, cx = this.stage.clientWidth / 2, cy = this.stage.clientHeight / 2) {
    const { s, tx, ty } = this.zoom;
    const ns = Math.min(32, Math.max(0.25, s * factor));
    // Keep the stage point under (cx, cy) fixed while scaling.
    this.setZoom(ns, cx - ((cx - tx) * ns) / s, cy - ((cy - ty) * ns) / s);
  }

  onWheel(e) {
    e.preventDefault();
    const box = this.stage.getBoundingClientRect();
    this.zoomBy(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - box.left, e.clientY - box.top);
  }

  onDrag(e) {
    if (e.target.tagName === "VIDEO" && e.offsetY > e.target.clientHeight - 40) return; // controls
    const start = { x: e.clientX, y: e.clientY, ...this.zoom };
    const move = (ev) => this.setZoom(start.s, start.tx + ev.clientX - start.x, start.ty + ev.clientY - start.y);
    const up = () => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  }

  currentFrame() {
    const v = this.media;
    if (!v || v.tagName !== "VIDEO") return null;
    const fps = this.sample.frame_rate || 30;
    const n = Math.floor(v.currentTime * fps + 1e-3) + 1;
    return Math.min(Math.max(1, n), this.sample.frame_count || n);
  }

  followPlayback() {
    const v = this.media;
    if (v.requestVideoFrameCallback) {
      const tick = () => {
        if (this.media !== v || v.paused) return;
        this.draw();
        v.requestVideoFrameCallback(tick);
      };
      v.requestVideoFrameCallback(tick);
    }
  }

  frameFields(n) {
    const chunk = Math.floor((n - 1) / FRAME_CHUNK);
    if (!this.frameRequests.has(chunk) && this.sample.frame_fields.length) {
      this.frameRequests.add(chunk);
      const start = chunk * FRAME_CHUNK + 1;
      const sample = this.sample;
      this.app
        .api(`/api/samples/${sample.id}/frames?start=${start}&stop=${start + FRAME_CHUNK - 1}&filters=${this.app.filterParam()}`)
        .then((data) => {
          if (this.sample !== sample) return;
          for (const [num, fields] of Object.entries(data.frames)) this.frames.set(Number(num), fields);
          this.draw();
          this.renderPanel();
        })
        .catch((err) => this.app.showError(err));
    }
    return this.frames.get(n) || {};
  }

  draw() {
    if (!this.sample || !this.rect) return;
    const { s } = this.zoom;
    const dpr = window.devicePixelRatio || 1;
    const w = this.rect.w;
    const h = this.rect.h;
    const scale = Math.min(s * dpr, 8);
    this.canvas.width = Math.round(w * scale);
    this.canvas.height = Math.round(h * scale);
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(scale, 0, 0, scale, 0, 0);
    ctx.clearRect(0, 0, w, h);
    let fields = { ...this.sample.fields };
    const n = this.currentFrame();
    if (n != null) {
      fields = { ...fields, ...this.frameFields(n) };
      // Frame-level classifications show as chips next to the frame number.
      const frameChips = chipsFor({ fields: this.frames.get(n) || {} }, this.app.visible);
      this.status.replaceChildren(`frame ${n} / ${this.sample.frame_count ?? "?"} `, ...frameChips);
    } else {
      this.status.textContent = "";
    }
    drawLabels(ctx, { x: 0, y: 0, w, h }, this.app.visibleFields(fields), {
      lineWidth: 2 / s,
      fontPx: 13 / s,
      onAsset: () => this.draw(),
    });
  }

  renderPanel() {
    const d = this.sample;
    const rows = [];
    const head = document.createElement("div");
    head.className = "filepath";
    head.textContent = d.filepath;
    rows.push(head);
    const chips = document.createElement("div");
    chips.className = "chips";
    chips.append(...chipsFor(d, this.app.visible));
    rows.push(chips);
    for (const [name, value] of Object.entries(d.scalars || {})) {
      const row = document.createElement("div");
      row.className = "scalar";
      row.textContent = `${name}: ${typeof value === "object" ? JSON.stringify(value) : value}`;
      rows.push(row);
    }
    const n = this.currentFrame();
    const fields = { ...d.fields, ...(n != null ? this.frames.get(n) || {} : {}) };
    for (const [name, labels] of Object.entries(fields)) {
      const h = document.createElement("h4");
      h.textContent = `${name} (${labels.length})`;
      rows.push(h);
      for (const lab of labels) {
        const row = document.createElement("div");
        row.className = "label-row";
        const sw = document.createElement("span");
        sw.className = "swatch";
        sw.style.background = labelColor(name, lab);
        row.append(sw, document.createTextNode(labelText(lab, lab.type)));
        rows.push(row);
        const attrs = Object.entries(lab.attributes || {}).filter(([, v]) => v !== "" && v != null);
        if (attrs.length) {
          const detail = document.createElement("div");
          detail.className = "label-attrs";
          detail.textContent = attrs.map(([k, v]) => `${k}: ${typeof v === "number" ? +v.toFixed(4) : v}`).join(" · ");
          rows.push(detail);
        }
      }
    }
    this.panel.replaceChildren(...rows);
  }
}
