/**
 * The report's inline browser script (plain ES2017, no libraries, no network): tabs, the
 * Timeline (virtual time axis, zoom with the wheel or buttons, pan by dragging, hover text),
 * the Chaos table's jump to the Timeline, and the Topology graph at a slider-chosen time from
 * the encoded snapshots (decoded by `topologyStateAt`, whose source is put in at its marker, so
 * the page and the tests run the same function); the tabs are whichever the page has (an
 * experiment report opens on its Experiment tab, drawn by its own script). It reads the
 * embedded JSON and never mutates it.
 * Kept as a raw string: no template interpolation, so backslashes and quotes pass through.
 */
import { topologyStateAt } from './topology-snapshots.js';

export const REPORT_SCRIPT = (String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var run = data.run;
  function $(id) { return document.getElementById(id); }
  function esc(s) { return String(s).replace(/[&<>"]/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]; }); }
  function fmtMs(ms) { return ms >= 1000 ? (ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 3) + ' s' : ms + ' ms'; }

  // ---- tabs ----
  var tabNames = [].map.call(document.querySelectorAll('nav [data-tab]'), function (b) { return b.getAttribute('data-tab'); });
  function show(name) {
    tabNames.forEach(function (t) {
      $('tab-' + t).classList.toggle('active', t === name);
      document.querySelector('nav [data-tab="' + t + '"]').classList.toggle('active', t === name);
    });
    document.body.setAttribute('data-active-tab', name);
    if (name === 'timeline') renderTimeline();
    if (name === 'topology') renderTopology();
    if (name === 'experiment' && window.meshsimExperiment) window.meshsimExperiment.render();
  }
  document.querySelectorAll('nav [data-tab]').forEach(function (b) {
    b.addEventListener('click', function () { show(b.getAttribute('data-tab')); });
  });

  // ---- tooltip ----
  var tip = $('tooltip');
  function showTip(text, ev) { tip.textContent = text; tip.hidden = false; tip.style.left = (ev.clientX + 12) + 'px'; tip.style.top = (ev.clientY + 12) + 'px'; }
  function hideTip() { tip.hidden = true; }

  // ---- timeline ----
  var tl = run ? run.timeline : null;
  // Kinds thinned to fit the report: say so wherever the count of events is shown.
  var sampledNote = !tl || tl.sampled.length === 0 ? '' : '; sampled: ' + tl.sampled.map(function (k) { return tl.kinds[k[0]] + ' 1 in ' + Math.round(k[2] / k[1]) + ' (' + k[1] + ' of ' + k[2] + ')'; }).join(', ');
  if (run && run.spansNotKept > 0) sampledNote += '; ' + run.spansNotKept + ' per-pair and per-message spans (connections, neighbours, Prunes, Grafts, deliveries) were not kept in memory at this size and are not shown';
  var view = { start: 0, end: tl ? Math.max(1, tl.endMs) : 1 };
  var selectedChaos = null;
  var hiddenKinds = {};
  var LABEL_W = 190, ROW_H = 18, AXIS_H = 26, RIGHT = 12;
  function width() { var w = $('tl-wrap').clientWidth; return Math.max(700, w || 1200); }
  function xOf(t, w) { return LABEL_W + (t - view.start) / (view.end - view.start) * (w - LABEL_W - RIGHT); }
  function tickStep(span) {
    var raw = span / 10, p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p;
    return (m < 2 ? 2 : m < 5 ? 5 : 10) * p;
  }
  function renderTimeline() {
    if (!tl) return;
    var w = width(), h = AXIS_H + tl.rows.length * ROW_H + 4, out = [];
    var svg = $('timeline');
    svg.setAttribute('width', w); svg.setAttribute('height', h); svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
    tl.rows.forEach(function (r, i) {
      var y = AXIS_H + i * ROW_H;
      var cls = 'row-bg' + (r.kind === 'chaos' ? ' chaos' : i % 2 ? ' odd' : '');
      out.push('<rect class="' + cls + '" x="0" y="' + y + '" width="' + w + '" height="' + ROW_H + '"/>');
      var sel = r.kind === 'chaos' && r.chaosId === selectedChaos ? ' selected' : '';
      out.push('<text class="row-label' + sel + '" x="6" y="' + (y + 13) + '">' + esc(r.label) + '</text>');
    });
    var step = tickStep(view.end - view.start), first = Math.ceil(view.start / step) * step;
    out.push('<g class="axis">');
    for (var t = first; t <= view.end; t += step) {
      var x = xOf(t, w);
      out.push('<line x1="' + x + '" x2="' + x + '" y1="' + (AXIS_H - 4) + '" y2="' + h + '"/><text x="' + (x + 2) + '" y="14">' + fmtMs(Math.round(t)) + '</text>');
    }
    out.push('</g>');
    tl.downs.forEach(function (d) {
      if (d[2] < view.start || d[1] > view.end) return;
      var y = AXIS_H + d[0] * ROW_H + 2, x1 = Math.max(LABEL_W, xOf(d[1], w)), x2 = Math.min(w - RIGHT, xOf(d[2], w));
      out.push('<rect class="down-span" data-down="' + d[0] + '" x="' + x1 + '" y="' + y + '" width="' + Math.max(2, x2 - x1) + '" height="' + (ROW_H - 4) + '"><title>' + esc(tl.rows[d[0]].label) + ' killed at ' + fmtMs(d[1]) + (d[2] < tl.endMs ? ', up again at ' + fmtMs(d[2]) : ', down to the end') + '</title></rect>');
    });
    tl.bars.forEach(function (b) {
      if (b[3] < view.start || b[2] > view.end) return;
      var y = AXIS_H + b[0] * ROW_H + 3, x1 = Math.max(LABEL_W, xOf(b[2], w)), x2 = Math.min(w - RIGHT, xOf(b[3], w));
      var sel = b[1] === selectedChaos ? ' selected' : '';
      out.push('<rect class="bar v-' + b[5] + sel + '" data-c="' + b[1] + '" x="' + x1 + '" y="' + y + '" width="' + Math.max(3, x2 - x1) + '" height="' + (ROW_H - 6) + '" rx="2"/>');
      if (b[4] >= view.start && b[4] <= view.end) {
        var xd = xOf(b[4], w);
        out.push('<line class="detect-mark" x1="' + xd + '" x2="' + xd + '" y1="' + (y - 2) + '" y2="' + (y + ROW_H - 4) + '"/>');
      }
    });
    var shown = 0;
    tl.events.forEach(function (e, i) {
      if (e[0] < view.start || e[0] > view.end || hiddenKinds[e[2]]) return;
      shown++;
      out.push('<circle class="ev k-' + tl.kinds[e[2]] + '" data-e="' + i + '" cx="' + xOf(e[0], w).toFixed(1) + '" cy="' + (AXIS_H + e[1] * ROW_H + ROW_H / 2) + '" r="3.5"/>');
    });
    svg.innerHTML = out.join('');
    svg.setAttribute('data-view-start-ms', Math.round(view.start));
    svg.setAttribute('data-view-end-ms', Math.round(view.end));
    svg.setAttribute('data-events-shown', shown);
    $('tl-range').textContent = fmtMs(Math.round(view.start)) + ' \u2013 ' + fmtMs(Math.round(view.end)) + ' (' + shown + ' events' + sampledNote + ')';
  }
  function clampView() {
    var full = tl.endMs, span = Math.min(full, Math.max(50, view.end - view.start));
    if (view.start < 0) view.start = 0;
    view.end = view.start + span;
    if (view.end > full) { view.end = full; view.start = full - span; }
  }
  function zoom(factor, atT) {
    var c = atT === undefined ? (view.start + view.end) / 2 : atT;
    view.start = c - (c - view.start) * factor; view.end = c + (view.end - c) * factor;
    clampView(); renderTimeline();
  }
  function focusChaos(id) {
    var bar = tl.bars.filter(function (b) { return b[1] === id; })[0];
    if (!bar) return;
    var pad = Math.max(2000, (bar[3] - bar[2]) * 0.3);
    view.start = bar[2] - pad; view.end = bar[3] + pad; clampView();
    selectedChaos = id;
    document.querySelectorAll('.chaos-row').forEach(function (r) { r.classList.toggle('selected', Number(r.getAttribute('data-chaos-id')) === id); });
    show('timeline');
    var wrap = $('tl-wrap');
    wrap.scrollTop = Math.max(0, AXIS_H + bar[0] * ROW_H - wrap.clientHeight / 2);
  }
  if (tl) {
    $('zoom-in').addEventListener('click', function () { zoom(0.5); });
    $('zoom-out').addEventListener('click', function () { zoom(2); });
    $('zoom-reset').addEventListener('click', function () { view.start = 0; view.end = tl.endMs; selectedChaos = null; renderTimeline(); });
    document.querySelectorAll('.legend input').forEach(function (cb) {
      cb.addEventListener('change', function () { hiddenKinds[cb.getAttribute('data-kind')] = !cb.checked; renderTimeline(); });
    });
    var svg = $('timeline'), wrap = $('tl-wrap'), drag = null;
    svg.addEventListener('wheel', function (ev) {
      ev.preventDefault();
      var r = svg.getBoundingClientRect(), w = width();
      var t = view.start + (ev.clientX - r.left - LABEL_W) / (w - LABEL_W - RIGHT) * (view.end - view.start);
      zoom(ev.deltaY < 0 ? 0.8 : 1.25, Math.max(view.start, Math.min(view.end, t)));
    }, { passive: false });
    svg.addEventListener('mousedown', function (ev) { drag = { x: ev.clientX, start: view.start, end: view.end }; wrap.classList.add('dragging'); });
    window.addEventListener('mouseup', function () { drag = null; wrap.classList.remove('dragging'); });
    window.addEventListener('mousemove', function (ev) {
      if (!drag) return;
      var dt = (ev.clientX - drag.x) / (width() - LABEL_W - RIGHT) * (drag.end - drag.start);
      view.start = drag.start - dt; view.end = drag.end - dt; clampView(); renderTimeline();
    });
    svg.addEventListener('mousemove', function (ev) {
      var el = ev.target, e = el.getAttribute && el.getAttribute('data-e'), c = el.getAttribute && el.getAttribute('data-c');
      if (e !== null && e !== undefined) {
        var d = tl.events[Number(e)];
        showTip(tl.rows[d[1]].label + '  ' + tl.names[d[3]] + '  @ ' + fmtMs(d[0]) + '\n' + d[4].split(' ').join('\n'), ev);
      } else if (c !== null && c !== undefined) {
        var row = run.chaos.filter(function (x) { return x.id === Number(c); })[0];
        showTip('#' + row.id + ' ' + row.primitive + ' [' + row.targets.join(', ') + ']\napplied @ ' + fmtMs(row.atMs) + '\nverdict ' + row.verdict + ' after ' + fmtMs(row.waitedMs) + (row.revertedAtMs === null ? '' : '\nreverted @ ' + fmtMs(row.revertedAtMs)), ev);
      } else hideTip();
    });
    svg.addEventListener('mouseleave', hideTip);
    svg.addEventListener('click', function (ev) { var c = ev.target.getAttribute('data-c'); if (c) focusChaos(Number(c)); });
    document.querySelectorAll('.chaos-row').forEach(function (r) {
      r.addEventListener('click', function (ev) { ev.preventDefault(); focusChaos(Number(r.getAttribute('data-chaos-id'))); });
    });
    window.addEventListener('resize', function () { if (document.body.getAttribute('data-active-tab') === 'timeline') renderTimeline(); });
  }

  // ---- topology ----
  var topo = run ? run.topology : null;
  var topologyStateAt = /*TOPOLOGY_STATE_AT*/;
  function snapshotIndexAt(t) {
    var s = topo.snapshots, lo = 0, hi = s.length - 1;
    while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (s[mid][0] <= t) lo = mid; else hi = mid - 1; }
    return lo;
  }
  var LABELS_SHOWN_MAX = 24;
  function renderTopology() {
    if (!topo) return;
    var ti = topo.topics.indexOf($('topo-topic').value), t = Number($('topo-time').value);
    var at = topologyStateAt(topo, snapshotIndexAt(t)), state = at.states[ti], down = at.down, killed = at.killed;
    var killedCount = 0; killed.forEach(function (k) { killedCount += k; });
    var topic = topo.topics[ti], out = [], edges = 0, oneway = 0, drawn = 0;
    var groupOf = {};
    // A mesh laid out alone (more meshes than fit side by side) is drawn only while its topic is chosen.
    var hiddenGroup = function (g) { return g !== undefined && g.alone === true && g.meshId !== topic; };
    run.groups.forEach(function (g) {
      groupOf[g.meshId] = g;
      if (hiddenGroup(g)) return;
      out.push('<circle class="group" cx="' + g.x + '" cy="' + g.y + '" r="' + (g.r + 34) + '"/><text class="group-label" x="' + (g.x - g.r - 30) + '" y="' + (g.y - g.r - 24) + '">' + esc(g.meshId) + (g.stride > 1 ? ' (' + g.shown + ' of ' + g.members + ' drawn)' : '') + '</text>');
    });
    var offStage = function (i) { var n = run.nodes[i]; return n.place.shape === 'member' && hiddenGroup(groupOf[n.meshId]); };
    var inView = function (i, j) { return topo.views[state[i]].indexOf(j) >= 0; };
    state.forEach(function (vid, i) {
      topo.views[vid].forEach(function (j) {
        var mutual = inView(j, i);
        if (mutual && j < i) return;
        edges++; if (!mutual) oneway++;
        var a = run.nodes[i].place, b = run.nodes[j].place;
        if (a.hidden || b.hidden || offStage(i) || offStage(j)) return;
        out.push('<line class="edge' + (mutual ? '' : ' oneway') + '" x1="' + a.x + '" y1="' + a.y + '" x2="' + b.x + '" y2="' + b.y + '"/>');
      });
    });
    var members = 0, downCount = 0;
    run.nodes.forEach(function (n, i) {
      var p = n.place, on = n.topics.indexOf(topic) >= 0;
      if (on) members++;
      if (down[i]) downCount++;
      if (p.hidden || offStage(i)) return;
      drawn++;
      var cls = 'node r-' + n.role + (on ? '' : ' off') + (down[i] ? ' down' : '') + (killed[i] ? ' killed' : '');
      var status = killed[i] ? ' killed' : down[i] ? ' down' : '';
      var title = '<title>' + esc(n.name + ' (' + n.role + ', ' + n.meshId + ')' + status + ' view: ' + topo.views[state[i]].map(function (j) { return run.nodes[j].name; }).join(', ')) + '</title>';
      if (p.shape === 'observer') out.push('<rect class="' + cls + '" x="' + (p.x - 9) + '" y="' + (p.y - 9) + '" width="18" height="18">' + title + '</rect>');
      else if (p.shape === 'bridge') out.push('<polygon class="' + cls + '" points="' + p.x + ',' + (p.y - 11) + ' ' + (p.x + 11) + ',' + p.y + ' ' + p.x + ',' + (p.y + 11) + ' ' + (p.x - 11) + ',' + p.y + '">' + title + '</polygon>');
      else out.push('<circle class="' + cls + '" cx="' + p.x + '" cy="' + p.y + '" r="' + (groupOf[n.meshId] && groupOf[n.meshId].shown > LABELS_SHOWN_MAX ? 5 : 8) + '">' + title + '</circle>');
      if (killed[i]) out.push('<path class="killed-mark" d="M' + (p.x - 6) + ',' + (p.y - 6) + 'L' + (p.x + 6) + ',' + (p.y + 6) + 'M' + (p.x + 6) + ',' + (p.y - 6) + 'L' + (p.x - 6) + ',' + (p.y + 6) + '"/>');
      var crowded = p.shape === 'member' && groupOf[n.meshId] && groupOf[n.meshId].shown > LABELS_SHOWN_MAX;
      if (!crowded) out.push('<text class="node-label" x="' + (p.x + 11) + '" y="' + (p.y + 3) + '">' + esc(n.name) + '</text>');
    });
    var svg = $('topology');
    svg.innerHTML = out.join('');
    svg.setAttribute('data-edges', edges); svg.setAttribute('data-members', members);
    svg.setAttribute('data-drawn', drawn); svg.setAttribute('data-killed', killedCount);
    var sampledGroups = run.groups.filter(function (g) { return g.stride > 1 && !hiddenGroup(g); });
    var sampling = sampledGroups.length === 0 ? '' : '; sampled: ' + sampledGroups.map(function (g) { return g.meshId + ' draws every ' + g.stride + (g.stride === 2 ? 'nd' : g.stride === 3 ? 'rd' : 'th') + ' node in boot order (' + g.shown + ' of ' + g.members + ') and the links among them; counts cover every node'; }).join('; ');
    $('topo-time-label').textContent = fmtMs(t) + ' \u2014 ' + topic + ': ' + members + ' members, ' + edges + ' links' + (oneway ? ' (' + oneway + ' one-way)' : '') + ', ' + downCount + ' down (' + killedCount + ' killed), snapshot of ' + fmtMs(at.atMs) + sampling;
  }
  if (topo) {
    $('topo-topic').addEventListener('change', renderTopology);
    $('topo-time').addEventListener('input', renderTopology);
  }

  // ---- start ----
  var HASH = /^#(experiment|timeline|chaos|tests|topology)(?::chaos-(\d+))?$/;
  var m = HASH.exec(location.hash);
  if (m && tabNames.indexOf(m[1]) < 0) m = null;
  if (m && m[2] && tl) focusChaos(Number(m[2]));
  else show(m ? m[1] : data.experiment ? 'experiment' : run ? 'timeline' : 'tests');
  window.addEventListener('hashchange', function () {
    var h = HASH.exec(location.hash);
    if (h && h[2] && tl) focusChaos(Number(h[2])); else if (h && tabNames.indexOf(h[1]) >= 0) show(h[1]);
  });
})();
`).replace('/*TOPOLOGY_STATE_AT*/', () => topologyStateAt.toString());
