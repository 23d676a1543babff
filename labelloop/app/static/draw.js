// Drawing labels on a canvas. Shared by the grid and the sample view.
// Coordinates arrive relative ([0, 1]); `rect` says where the media sits on the canvas.

export function nameHash(name) {
  // 32-bit FNV-1a over UTF-16 code units plus an avalanche step; colors.py computes the same.
  let h = 0x811c9dc5;
  const s = String(name);
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // MurmurHash3's finalizer: similar short names land on distant hues.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

export function colorFor(name) {
  const hue = nameHash(name) % 360;
  const [r, g, b] = hslToRgb(hue, 0.85, 0.55);
  return `rgb(${r},${g},${b})`;
}

function hslToRgb(hue, sat, light) {
  const chroma = (1 - Math.abs(2 * light - 1)) * sat;
  const x = chroma * (1 - Math.abs(((hue / 60) % 2) - 1));
  const m = light - chroma / 2;
  const sector = Math.floor(hue / 60) % 6;
  const [r, g, b] = [
    [chroma, x, 0], [x, chroma, 0], [0, chroma, x],
    [0, x, chroma], [x, 0, chroma], [chroma, 0, x],
  ][sector];
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

const imageCache = new Map();

function loadImage(url, onReady) {
  let entry = imageCache.get(url);
  if (!entry) {
    const img = new Image();
    entry = { img, ready: false, waiters: [] };
    imageCache.set(url, entry);
    img.onload = () => {
      entry.ready = true;
      entry.waiters.splice(0).forEach((fn) => fn());
    };
    img.src = url;
    if (imageCache.size > 2000) imageCache.delete(imageCache.keys().next().value);
  }
  if (entry.ready) return entry.img;
  if (onReady) entry.waiters.push(onReady);
  return null;
}

export function labelText(lab, field) {
  let text = lab.label != null ? String(lab.label) : field;
  if (lab.index != null) text += ` #${lab.index}`;
  if (lab.confidence != null) text += ` ${lab.confidence.toFixed(2)}`;
  return text;
}

// "class": a label's colour is its class's (the same class looks the same in every field);
// "field": its field's, so e.g. ground truth and predictions of one class differ.
let colorBy = "class";

export function setColorBy(mode) {
  colorBy = mode === "field" ? "field" : "class";
}

export function labelColor(field, lab) {
  return colorFor(colorBy === "field" || lab.label == null ? field : lab.label);
}

// Draw every visible field's labels. `fields` maps field name -> drawables.
// opts: {lineWidth, font, showText, onAsset(callback when a mask image arrives), scale}
export function drawLabels(ctx, rect, fields, opts = {}) {
  const lw = opts.lineWidth ?? 2;
  const showText = opts.showText ?? true;
  const fontPx = opts.fontPx ?? 12;
  for (const [field, labels] of Object.entries(fields)) {
    for (const lab of labels) {
      if (lab.type === "segmentation" && lab.url) {
        const img = loadImage(lab.url, opts.onAsset);
        if (img) ctx.drawImage(img, rect.x, rect.y, rect.w, rect.h);
      }
    }
  }
  for (const [field, labels] of Object.entries(fields)) {
    for (const lab of labels) {
      const color = labelColor(field, lab);
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.lineWidth = lw;
      if (lab.type === "detection") drawDetection(ctx, rect, lab, field, color, lw, showText, fontPx, opts);
      else if (lab.type === "polyline") drawPolyline(ctx, rect, lab, lw);
      else if (lab.type === "keypoint") drawKeypoints(ctx, rect, lab, lw);
    }
  }
}

function drawDetection(ctx, rect, lab, field, color, lw, showText, fontPx, opts) {
  if (!lab.box || lab.box.length !== 4 || lab.box.some((v) => v == null)) return;
  const x = rect.x + lab.box[0] * rect.w;
  const y = rect.y + lab.box[1] * rect.h;
  const w = lab.box[2] * rect.w;
  const h = lab.box[3] * rect.h;
  if (lab.mask) {
    const img = loadImage(lab.mask, opts.onAsset);
    if (img) drawTinted(ctx, img, x, y, w, h, color);
  }
  ctx.strokeRect(x + lw / 2, y + lw / 2, Math.max(w - lw, 0), Math.max(h - lw, 0));
  if (showText) {
    const text = labelText(lab, field);
    ctx.font = `${fontPx}px sans-serif`;
    const tw = ctx.measureText(text).width + 6;
    const th = fontPx + 4;
    const ty = y - th >= rect.y ? y - th : y;
    ctx.fillStyle = color;
    ctx.fillRect(x, ty, tw, th);
    ctx.fillStyle = "#000";
    ctx.fillText(text, x + 3, ty + fontPx);
  }
}

const tintCanvas = document.createElement("canvas");

function drawTinted(ctx, img, x, y, w, h, color) {
  tintCanvas.width = img.naturalWidth;
  tintCanvas.height = img.naturalHeight;
  const t = tintCanvas.getContext("2d");
  t.clearRect(0, 0, tintCanvas.width, tintCanvas.height);
  t.drawImage(img, 0, 0);
  // White mask pixels become the class colour, black ones transparent.
  const data = t.getImageData(0, 0, tintCanvas.width, tintCanvas.height);
  const [r, g, b] = color.slice(4, -1).split(",").map(Number);
  for (let i = 0; i < data.data.length; i += 4) {
    const on = data.data[i] > 127;
    data.data[i] = r;
    data.data[i + 1] = g;
    data.data[i + 2] = b;
    data.data[i + 3] = on ? 110 : 0;
  }
  t.putImageData(data, 0, 0);
  ctx.save();
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tintCanvas, x, y, w, h);
  ctx.restore();
}

function drawPolyline(ctx, rect, lab, lw) {
  for (const shape of lab.points || []) {
    const pts = shape.filter((p) => p);
    if (pts.length < 2) continue;
    ctx.beginPath();
    ctx.moveTo(rect.x + pts[0][0] * rect.w, rect.y + pts[0][1] * rect.h);
    for (const p of pts.slice(1)) ctx.lineTo(rect.x + p[0] * rect.w, rect.y + p[1] * rect.h);
    if (lab.closed) ctx.closePath();
    if (lab.filled) {
      ctx.save();
      ctx.globalAlpha = 0.3;
      ctx.fill();
      ctx.restore();
    }
    ctx.lineWidth = lw;
    ctx.stroke();
  }
}

function drawKeypoints(ctx, rect, lab, lw) {
  for (const p of lab.points || []) {
    if (!p) continue;
    ctx.beginPath();
    ctx.arc(rect.x + p[0] * rect.w, rect.y + p[1] * rect.h, lw + 1.5, 0, 2 * Math.PI);
    ctx.fill();
  }
}

// Where media of natural size (nw, nh) lands when fitted ("contain") in a box (bw, bh).
export function containRect(nw, nh, bw, bh) {
  const s = Math.min(bw / nw, bh / nh);
  const w = nw * s;
  const h = nh * s;
  return { x: (bw - w) / 2, y: (bh - h) / 2, w, h };
}

// Chips for classifications and sample tags, as HTML elements.
export function chipsFor(sample, visible) {
  const out = [];
  for (const tag of sample.tags || []) out.push(chip(tag, "#bbb", "tag"));
  for (const [field, labels] of Object.entries(sample.fields || {})) {
    if (visible && !visible.has(field)) continue;
    for (const lab of labels) {
      if (lab.type !== "classification") continue;
      const conf = lab.confidence != null ? ` ${lab.confidence.toFixed(2)}` : "";
      out.push(chip(`${lab.label}${conf}`, labelColor(field, lab), "classification"));
    }
  }
  return out;
}

function chip(text, color, kind) {
  const el = document.createElement("span");
  el.className = `chip chip-${kind}`;
  el.style.background = color;
  el.textContent = text;
  return el;
}
