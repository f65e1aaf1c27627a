/** Escapes text for HTML element content and attribute values. */
function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The dashboard page: one self-contained document (inline CSS, JS and SVG, no external URL) so it
 * works offline and under the server's `default-src 'none'` policy. It subscribes to `events`
 * (relative, so it works behind any port), which replays the run so far and then streams it live.
 *
 * Rendered hooks the tests (and anyone scripting the page) can rely on: `#status[data-state]`,
 * `#epoch`, `#batch`, and per metric `[data-metric="<name>"]` with `.last` / `.last-val` whose
 * `data-value` holds the full-precision latest value and `data-epoch` its epoch, and the chart's
 * `polyline.train` / `polyline.val`.
 */
export function dashboardPage(title: string): string {
  const t = escapeHtml(title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t}</title>
<style>
  :root { --train: #1f77b4; --val: #ff7f0e; --fg: #222; --muted: #777; --grid: #e4e4e4; }
  body { font: 14px/1.4 system-ui, sans-serif; color: var(--fg); margin: 0; padding: 16px 24px; background: #fafafa; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  #status { color: var(--muted); margin-bottom: 12px; }
  #status[data-state="training"] { color: #2a7d2a; }
  #status[data-state="disconnected"] { color: #b00; }
  .progress { display: grid; grid-template-columns: 9em 1fr; gap: 4px 12px; align-items: center; max-width: 640px; margin-bottom: 8px; }
  progress { width: 100%; }
  #batch-logs { color: var(--muted); font-variant-numeric: tabular-nums; min-height: 1.4em; margin-bottom: 12px; }
  #charts { display: flex; flex-wrap: wrap; gap: 16px; }
  .chart { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 8px 12px; width: 420px; }
  .chart h2 { font-size: 15px; margin: 0; display: flex; gap: 12px; align-items: baseline; }
  .chart .last { color: var(--train); font-variant-numeric: tabular-nums; }
  .chart .last-val { color: var(--val); font-variant-numeric: tabular-nums; }
  .chart svg { width: 100%; height: auto; display: block; }
  .chart text { font-size: 10px; fill: var(--muted); }
  polyline { fill: none; stroke-width: 2; }
  polyline.train, circle.train { stroke: var(--train); fill: none; }
  polyline.val, circle.val { stroke: var(--val); fill: none; stroke-dasharray: 5 3; }
  .legend span { margin-right: 12px; }
  .legend .train { color: var(--train); }
  .legend .val { color: var(--val); }
</style>
</head>
<body>
<h1>${t}</h1>
<div id="status" data-state="connecting">connecting…</div>
<div class="progress">
  <span id="epoch">epoch –</span><progress id="epoch-progress" max="1" value="0"></progress>
  <span id="batch">batch –</span><progress id="batch-progress" max="1" value="0"></progress>
</div>
<div id="batch-logs"></div>
<div class="legend"><span class="train">— train</span><span class="val">- - validation</span></div>
<div id="charts"></div>
<script>
"use strict";
(function () {
  var SVG = "http://www.w3.org/2000/svg";
  var W = 400, H = 200, L = 52, R = 10, T = 10, B = 24;
  var $ = function (id) { return document.getElementById(id); };
  var state = { run: 0, training: false, params: null, metrics: {}, order: [] };

  function num(v) { return typeof v === "number" ? v : Number(v); }
  function fmt(v) {
    if (!isFinite(v)) return String(v);
    var a = Math.abs(v);
    return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(3) : String(Number(v.toPrecision(5)));
  }
  function setStatus(s, text) { var el = $("status"); el.dataset.state = s; el.textContent = text; }
  function showStatus() {
    if (state.training) setStatus("training", "training (run " + state.run + ")");
    else if (state.run) setStatus("finished", "finished (run " + state.run + ")");
    else setStatus("waiting", "waiting for training");
  }
  function svg(tag, attrs) {
    var el = document.createElementNS(SVG, tag);
    for (var k in attrs) el.setAttribute(k, String(attrs[k]));
    return el;
  }

  function metric(name) {
    var m = state.metrics[name];
    if (m) return m;
    var section = document.createElement("section");
    section.className = "chart";
    section.dataset.metric = name;
    var h = document.createElement("h2");
    var label = document.createElement("span");
    label.textContent = name;
    var last = document.createElement("span");
    last.className = "last";
    var lastVal = document.createElement("span");
    lastVal.className = "last-val";
    h.append(label, last, lastVal);
    var plot = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img" });
    plot.setAttribute("aria-label", name + " per epoch");
    section.append(h, plot);
    $("charts").append(section);
    m = { name: name, section: section, last: last, lastVal: lastVal, plot: plot, train: [], val: [] };
    state.metrics[name] = m;
    state.order.push(name);
    return m;
  }

  function draw(m) {
    var plot = m.plot;
    while (plot.firstChild) plot.removeChild(plot.firstChild);
    var pts = m.train.concat(m.val).filter(function (p) { return isFinite(p[1]); });
    if (!pts.length) return;
    var xs = pts.map(function (p) { return p[0]; }), ys = pts.map(function (p) { return p[1]; });
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
    var y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    if (y0 === y1) { var d = Math.abs(y0) * 0.05 || 1; y0 -= d; y1 += d; }
    var sx = function (x) { return x1 === x0 ? (L + W - R) / 2 : L + (x - x0) / (x1 - x0) * (W - L - R); };
    var sy = function (y) { return T + (y1 - y) / (y1 - y0) * (H - T - B); };
    for (var i = 0; i <= 4; i++) {
      var yv = y0 + (y1 - y0) * i / 4, yy = sy(yv);
      plot.append(svg("line", { x1: L, x2: W - R, y1: yy, y2: yy, stroke: "#e4e4e4" }));
      var tl = svg("text", { x: L - 4, y: yy + 3, "text-anchor": "end" });
      tl.textContent = fmt(yv);
      plot.append(tl);
    }
    [x0, x1].forEach(function (xv, j) {
      if (j === 1 && x1 === x0) return;
      // Anchored inwards so neither end label is clipped by the plot's edge.
      var xl = svg("text", { x: sx(xv), y: H - 6, "text-anchor": x1 === x0 ? "middle" : j === 0 ? "start" : "end" });
      xl.textContent = "epoch " + (xv + 1);
      plot.append(xl);
    });
    [["train", m.train], ["val", m.val]].forEach(function (s) {
      var series = s[1].filter(function (p) { return isFinite(p[1]); });
      if (!series.length) return;
      plot.append(svg("polyline", { "class": s[0], points: series.map(function (p) { return sx(p[0]).toFixed(1) + "," + sy(p[1]).toFixed(1); }).join(" ") }));
      series.forEach(function (p) { plot.append(svg("circle", { "class": s[0], cx: sx(p[0]), cy: sy(p[1]), r: 2.5 })); });
    });
  }

  function showLast(el, v, epoch, prefix) {
    el.dataset.value = String(v);
    el.dataset.epoch = String(epoch);
    el.textContent = prefix + fmt(v);
  }

  var handlers = {
    trainBegin: function (e) {
      state.run += 1;
      state.params = e.params || null;
      state.metrics = {};
      state.order = [];
      $("charts").textContent = "";
      $("batch-logs").textContent = "";
      ((state.params && state.params.metrics) || []).forEach(metric);
      var ep = state.params && state.params.epochs;
      $("epoch").textContent = "epoch 0 / " + (ep || "?");
      $("epoch-progress").max = ep || 1;
      $("epoch-progress").value = state.params ? state.params.initialEpoch || 0 : 0;
      state.training = true;
      showStatus();
    },
    epochBegin: function (e) {
      var ep = state.params && state.params.epochs;
      $("epoch").textContent = "epoch " + (e.epoch + 1) + " / " + (ep || "?");
      $("batch").textContent = "batch 0 / " + ((state.params && state.params.steps) || "?");
      $("batch-progress").value = 0;
    },
    batchEnd: function (e) {
      var steps = state.params && state.params.steps;
      $("batch").textContent = "batch " + (e.batch + 1) + " / " + (steps || "?");
      $("batch-progress").max = steps || 1;
      $("batch-progress").value = e.batch + 1;
      var logs = e.logs || {};
      $("batch-logs").textContent = Object.keys(logs).map(function (k) { return k + " " + fmt(num(logs[k])); }).join("   ");
    },
    epochEnd: function (e) {
      var logs = e.logs || {};
      Object.keys(logs).forEach(function (k) {
        var v = num(logs[k]), isVal = k.indexOf("val_") === 0;
        var m = metric(isVal ? k.slice(4) : k);
        (isVal ? m.val : m.train).push([e.epoch, v]);
        showLast(isVal ? m.lastVal : m.last, v, e.epoch, isVal ? "val " : "");
        draw(m);
      });
      $("epoch-progress").value = e.epoch + 1;
      // Batch events are throttled, so the epoch's end is what completes its batch bar.
      var steps = state.params && state.params.steps;
      if (steps) { $("batch").textContent = "batch " + steps + " / " + steps; $("batch-progress").max = steps; $("batch-progress").value = steps; }
      $("batch-logs").textContent = Object.keys(logs).map(function (k) { return k + " " + fmt(num(logs[k])); }).join("   ");
    },
    trainEnd: function () {
      state.training = false;
      showStatus();
    }
  };

  var source = new EventSource("events");
  source.onopen = showStatus;
  source.onerror = function () { setStatus("disconnected", "disconnected; retrying…"); };
  source.onmessage = function (msg) {
    var e = JSON.parse(msg.data);
    var h = handlers[e.type];
    if (h) h(e);
  };
})();
</script>
</body>
</html>
`;
}
