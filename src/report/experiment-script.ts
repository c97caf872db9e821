/**
 * The Experiment tab's browser script (plain ES2017 over the inlined uPlot): one chart per
 * metric, the chosen axis on x, one line per combination of the other axes at its mean over
 * seeds, with a band from min to max. Non-numeric axis values are evenly spaced categories in
 * file order; numeric ones are placed by value. The legend lists the lines (the min and max
 * edges of each band are hidden from it). A text filter narrows the metrics. Reads the
 * embedded JSON, never mutates it; exposes what it drew as data-* attributes for tests.
 * Kept as a raw string: no template interpolation.
 */
export const EXPERIMENT_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var exp = data.experiment;
  if (!exp) return;
  var COLORS = ['#2f6fde', '#d43c3c', '#1f9d55', '#e08a00', '#6b3fa0', '#b5179e', '#0f8b8d', '#5b6b8c'];
  var X_TICKS_MAX = 12;
  var charts = [];
  var byKey = {};
  exp.points.forEach(function (p) { byKey[JSON.stringify(p.values)] = p; });
  function $(id) { return document.getElementById(id); }
  function alpha(hex, a) { var n = parseInt(hex.slice(1), 16); return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + a + ')'; }

  function xLayout(xa) {
    var values = exp.axes[xa].values;
    var numeric = values.every(function (v) { return typeof v === 'number'; });
    var order = values.map(function (_, i) { return i; });
    if (numeric) order.sort(function (a, b) { return values[a] - values[b]; });
    var xs = order.map(function (i, k) { return numeric ? values[i] : k; });
    return { numeric: numeric, order: order, xs: xs, labels: order.map(function (i) { return String(values[i]); }) };
  }

  // Every combination of the axes other than xa, in file order.
  function groups(xa) {
    var out = [[]];
    exp.axes.forEach(function (axis, a) {
      if (a === xa) return;
      var next = [];
      out.forEach(function (head) { axis.values.forEach(function (v) { next.push(head.concat([[a, v]])); }); });
      out = next;
    });
    return out;
  }

  function chartFor(metric, xa, layout, combos, width) {
    var seriesData = [layout.xs], series = [{}], bands = [];
    combos.forEach(function (combo, g) {
      var color = COLORS[g % COLORS.length];
      var label = combo.length === 0 ? metric : combo.map(function (c) { return exp.axes[c[0]].path + '=' + JSON.stringify(c[1]); }).join(', ');
      var mean = [], min = [], max = [];
      layout.order.forEach(function (vi) {
        var values = exp.axes.map(function (axis, a) {
          if (a === xa) return axis.values[vi];
          return combo.filter(function (c) { return c[0] === a; })[0][1];
        });
        var p = byKey[JSON.stringify(values)], m = p ? p.metrics[metric] : undefined;
        mean.push(m ? m.mean : null); min.push(m ? m.min : null); max.push(m ? m.max : null);
      });
      var base = seriesData.length;
      seriesData.push(mean, max, min);
      series.push({ label: label, stroke: color, width: 2, points: { show: true, size: 6 } });
      series.push({ label: label + ' max', class: 'exp-bound', stroke: alpha(color, 0.45), width: 1, dash: [4, 3], points: { show: false } });
      series.push({ label: label + ' min', class: 'exp-bound', stroke: alpha(color, 0.45), width: 1, dash: [4, 3], points: { show: false } });
      bands.push({ series: [base + 1, base + 2], fill: alpha(color, 0.12) });
    });
    var lo = Math.min.apply(null, layout.xs), hi = Math.max.apply(null, layout.xs);
    var pad = layout.numeric ? ((hi - lo) * 0.05 || 1) : 0.5;
    var xAxis = { label: exp.axes[xa].path };
    // Ticks at the axis values themselves while they are few (no 2.2, 2.4 between 2 and 3).
    if (!layout.numeric || layout.xs.length <= X_TICKS_MAX) xAxis.splits = function () { return layout.xs; };
    if (!layout.numeric) {
      xAxis.values = function (u, splits) { return splits.map(function (v) { return layout.labels[v] === undefined ? '' : layout.labels[v]; }); };
    }
    var opts = {
      width: width, height: 240,
      scales: { x: { time: false, range: [lo - pad, hi + pad] } },
      axes: [xAxis, { label: metric, size: 60 }],
      series: series, bands: bands,
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
    };
    return { opts: opts, data: seriesData };
  }

  function render() {
    var box = $('exp-charts');
    if (!box || exp.axes.length === 0) return;
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    box.innerHTML = '';
    var xa = Number($('exp-x').value), filter = $('exp-filter').value.trim().toLowerCase();
    var layout = xLayout(xa), combos = groups(xa);
    var width = Math.max(360, Math.min(560, Math.floor((box.clientWidth || 1200) / 2) - 16));
    var shown = exp.metrics.filter(function (m) { return filter === '' || m.toLowerCase().indexOf(filter) >= 0; });
    shown.forEach(function (metric) {
      var card = document.createElement('div');
      card.className = 'exp-chart';
      card.setAttribute('data-metric', metric);
      card.setAttribute('data-series', String(combos.length));
      var h = document.createElement('h3');
      h.textContent = metric;
      card.appendChild(h);
      box.appendChild(card);
      var c = chartFor(metric, xa, layout, combos, width);
      charts.push(new uPlot(c.opts, c.data, card));
    });
    box.setAttribute('data-charts', String(shown.length));
    box.setAttribute('data-x', exp.axes[xa].path);
    $('exp-note').textContent = shown.length + ' of ' + exp.metrics.length + ' metrics; x: ' + exp.axes[xa].path + '; ' + combos.length + ' line(s), one per combination of the other axes; line = mean over seeds, band = min\u2013max';
  }

  if ($('exp-x')) {
    $('exp-x').addEventListener('change', render);
    $('exp-filter').addEventListener('input', render);
  }
  window.meshsimExperiment = { render: render };
})();
`;
