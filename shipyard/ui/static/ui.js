/* Shipyard UI: interactive metric charts (uPlot) over the server's downsampled series.
   Each <div class="metric-chart" data-sources='[{"url": ..., "name": ...}]'> draws itself;
   the page's chart controls (x axis, log scale, smoothing) redraw every chart. */
(function () {
  "use strict";
  var COLORS = ["#1f5fa8", "#c25a13", "#2e7d4a", "#b0302a", "#6a4c9c", "#5c5c5c"];
  var cache = {};

  function controls() {
    var axis = document.getElementById("x-axis");
    var log = document.getElementById("log-scale");
    var smooth = document.getElementById("smoothing");
    return {
      axis: axis ? axis.value : "step",
      log: log ? log.checked : false,
      smoothing: smooth ? Number(smooth.value) / 100 : 0
    };
  }

  function ema(values, weight) {
    if (!weight) return values;
    var out = [], last = null;
    for (var i = 0; i < values.length; i++) {
      var v = values[i];
      if (v == null || !isFinite(v)) { out.push(v); continue; }
      last = last == null ? v : last * weight + v * (1 - weight);
      out.push(last);
    }
    return out;
  }

  function positive(values, log) {
    if (!log) return values;
    return values.map(function (v) { return v != null && v > 0 ? v : null; });
  }

  function load(url, axis, points) {
    var key = url + "|" + axis + "|" + points;
    if (!cache[key]) {
      var sep = url.indexOf("?") < 0 ? "?" : "&";
      cache[key] = fetch(url + sep + "max_points=" + points + "&x_axis=" + axis, {
        credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      });
    }
    return cache[key];
  }

  function message(box, text) {
    box.innerHTML = "";
    var p = document.createElement("p");
    p.className = "empty";
    p.textContent = text;
    box.appendChild(p);
    box.setAttribute("data-drawn", "empty");
  }

  var PICKED = ["requests", "p50", "p99"];

  function drawInline(box) {
    var spec = JSON.parse(box.getAttribute("data-inline"));
    var picks = Array.isArray(spec.pick) ? spec.pick : [spec.pick];
    if (!spec.x.length) { message(box, spec.empty || "There is nothing to chart yet."); return; }
    var data = [spec.x.map(function (x) { return spec.time ? x / 1000 : x; })];
    var series = [{ label: "time (UTC)" }], i = 0;
    Object.keys(spec.series).forEach(function (name) {
      if (spec.pick == null) {  // one list of values per series
        data.push(spec.series[name]);
        series.push({ label: name, stroke: COLORS[i++ % COLORS.length], width: 1.5,
                      spanGaps: true });
        return;
      }
      picks.forEach(function (p) {
        data.push(spec.series[name][p]);
        series.push({ label: name + " " + PICKED[p], stroke: COLORS[i++ % COLORS.length],
                      width: 1.5, spanGaps: true });
      });
    });
    box.innerHTML = "";
    new uPlot({
      width: Math.max(box.clientWidth || 600, 300), height: 240, series: series,
      scales: { x: { time: !!spec.time } },
      axes: [{ label: spec.time ? "time (UTC)" : "x", stroke: "#222" },
             { label: spec.ylabel, stroke: "#222", size: 70 }]
    }, data, box);
    caption(box, "y: " + spec.ylabel + " · x: time (UTC)");
    box.setAttribute("data-drawn", String(spec.x.length));
  }

  function caption(box, text) {
    var p = document.createElement("p");
    p.className = "caption muted";
    p.textContent = text;
    box.appendChild(p);
  }

  function draw(box) {
    if (box.hasAttribute("data-inline")) { drawInline(box); return; }
    var sources = JSON.parse(box.getAttribute("data-sources"));
    var label = box.getAttribute("data-label") || "value";
    var opts = controls();
    var width = Math.max(box.clientWidth || 600, 300);
    var points = Math.min(Math.max(Math.floor(width), 200), 4000);
    Promise.all(sources.map(function (s) { return load(s.url, opts.axis, points); }))
      .then(function (all) {
        var total = all.reduce(function (n, s) { return n + s.points; }, 0);
        if (!total) { message(box, "No values were logged for " + label + "."); return; }
        var scale = opts.axis === "time" ? 1 / 1000 : 1;
        var series = [{}], data, bands;
        if (all.length === 1) {
          var s = all[0];
          data = [s.x.map(function (x) { return x * scale; }),
                  positive(ema(s.last, opts.smoothing), opts.log),
                  positive(s.low, opts.log), positive(s.high, opts.log)];
          series.push({ label: label, stroke: COLORS[0], width: 1.5 });
          series.push({ label: "bucket min", stroke: "rgba(31,95,168,0.35)", width: 1 });
          series.push({ label: "bucket max", stroke: "rgba(31,95,168,0.35)", width: 1 });
          bands = [{ series: [3, 2], fill: "rgba(31,95,168,0.12)" }];
        } else {
          var tables = all.map(function (s) {
            return [s.x.map(function (x) { return x * scale; }),
                    positive(ema(s.last, opts.smoothing), opts.log)];
          });
          data = uPlot.join(tables);
          all.forEach(function (s, i) {
            series.push({ label: sources[i].name, stroke: COLORS[i % COLORS.length], width: 1.5,
                          spanGaps: true });
          });
        }
        box.innerHTML = "";
        var xLabel = opts.axis === "time" ? "wall time (UTC)" : "step";
        series[0].label = xLabel;
        new uPlot({
          width: width, height: 260, series: series, bands: bands,
          scales: { x: { time: opts.axis === "time" }, y: { distr: opts.log ? 3 : 1 } },
          axes: [{ label: xLabel, stroke: "#222" },
                 { label: label + (opts.log ? " (log scale)" : ""), stroke: "#222", size: 70 }],
          legend: { live: true }
        }, data, box);
        caption(box, "y: " + label + (opts.log ? " (log scale)" : "") + (opts.smoothing ?
          ", smoothed" : "") + " · x: " + xLabel + " · " + total + " points" +
          (all.length === 1 ? ", shaded band: min to max per bucket" : ""));
        box.setAttribute("data-drawn", String(total));
      })
      .catch(function (err) { message(box, "The series could not be loaded: " + err.message); });
  }

  function drawAll() {
    document.querySelectorAll(".metric-chart").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawAll();
    ["x-axis", "log-scale", "smoothing"].forEach(function (id) {
      var el = document.getElementById(id);
      if (el) el.addEventListener("change", drawAll);
    });
    var all = document.getElementById("select-all");
    if (all) all.addEventListener("change", function () {
      document.querySelectorAll("input[name=runs]").forEach(function (b) { b.checked = all.checked; });
    });
  });
})();
