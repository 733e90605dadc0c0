/**
 * The monitoring page: one HTML document, its stylesheet and its script, served by the
 * orchestrator. The script reads the JSON API and listens to /api/events (server-sent
 * events) to update the live view as nodes start and finish. It draws its charts as SVG and
 * loads nothing from elsewhere. Must not hold data: everything comes from the API.
 */

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export const MONITOR_HTML = (projectName: string) =>
  `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>kiln orchestrate — ${escapeHtml(projectName)}</title><link rel="stylesheet" href="/monitor.css"></head>
<body>
<header><h1>kiln orchestrate <span class="project">${escapeHtml(projectName)}</span></h1>
<nav><a href="/docs/">docs site</a> <span id="conn" class="badge">connecting</span></nav></header>
<main>
<section id="jobs-section"><h2>Jobs</h2><table id="jobs"><thead><tr><th>job</th><th>state</th>` +
  `<th>triggers</th><th>last run</th><th>last success</th><th>next run</th><th>deadline</th></tr></thead>` +
  `<tbody></tbody></table></section>
<section id="live-section"><h2>Running now</h2><div id="live"><p class="empty">nothing is running</p></div></section>
<section id="history-section"><h2>History</h2><div id="job-tabs" ` +
  `role="tablist"></div><div id="history-chart"></div><div id="run-detail"></div></section>
<section id="trends-section"><h2>Node durations</h2><p class="note">each ` +
  `model, seed and snapshot of the chosen job over its recent runs; ` +
  `the biggest slow-downs first</p><div id="trends"></div></section>
<section id="tests-section"><h2>Test failures</h2><div id="tests-chart"></div><ul id="tests"></ul></section>
<section id="sources-section"><h2>Data latency</h2><p class="note">age ` +
  `of each watched source's newest row at each reading</p><div id="sources"></div></section>
<section id="alerts-section"><h2>Alerts</h2><ul id="alerts"></ul></section>
</main>
<script src="/monitor.js"></script>
</body></html>`;

export const MONITOR_CSS =
  `
:root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; ` +
  `--warn: #9a6700; --run: #0969da; --muted: #6e7781; --line: #d0d7de; ` +
  `}
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; }
header { display: flex; justify-content: space-between; align-items: ` +
  `center; padding: 10px 20px; border-bottom: 1px solid var(--line); ` +
  `}
h1 { font-size: 18px; margin: 0; } h1 .project { color: var(--muted); font-weight: normal; }
h2 { font-size: 15px; margin: 22px 0 8px; }
main { padding: 0 20px 40px; max-width: 1200px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; border: 1px solid currentColor; }
.s-success, .s-pass { color: var(--ok); } .s-failed, .s-error, ` +
  `.s-fail, .s-timed_out, .s-interrupted { color: var(--bad); }
.s-running, .s-queued { color: var(--run); } .s-skipped, .s-cancelled, ` +
  `.s-idle { color: var(--muted); } .s-warn { color: var(--warn); ` +
  `}
.empty, .note, .when { color: var(--muted); }
.run-card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; margin: 8px 0; }
.progress { height: 8px; background: var(--line); border-radius: 4px; overflow: hidden; margin: 6px 0; }
.progress > div { height: 100%; background: var(--run); transition: width .2s; }
.nodes-running li { color: var(--run); } .nodes-failed li { color: var(--bad); }
#job-tabs button { margin-right: 6px; padding: 3px 10px; border: ` +
  `1px solid var(--line); background: none; border-radius: 4px; ` +
  `cursor: pointer; color: inherit; }
#job-tabs button[aria-selected="true"] { border-color: var(--run); color: var(--run); }
svg text { font-size: 10px; fill: var(--muted); }
.bar-ok { fill: var(--ok); } .bar-bad { fill: var(--bad); } .bar-other { fill: var(--muted); }
.trend { display: grid; grid-template-columns: 280px 170px 90px 90px; align-items: center; gap: 8px; }
.slower { color: var(--bad); } .faster { color: var(--ok); }
polyline { fill: none; stroke: var(--run); stroke-width: 1.5; } circle { fill: var(--run); }
`;

/**
 * Plain ES2020 for the browser, no template literals (this text is one), and ASCII: a character above U+007F is a
 * `\u` escape in the browser's strings, since the command line's bundle is read as one-byte text only when all of it
 * is ASCII, and a tagged template's text cannot be escaped for it (src/cli/ascii-bundle.ts).
 */
export const MONITOR_JS = String.raw`
'use strict';
(function () {
  // ended: runs whose end was seen. A /api/jobs reply sent before a run ended can arrive after its
  // end event; without this the finished run would be tracked again and never leave the live view.
  var state = { jobs: [], live: {}, ended: {}, chosen: null, lastEventAt: 0 };
  window.__monitor = state;
  var $ = function (id) { return document.getElementById(id); };
  var esc = function (s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; });
  };
  var badge = function (status) {
    return '<span class="badge s-' + esc(status) + '">' + esc(String(status).replace('_', ' ')) + '</span>';
  };
  var time = function (ms) { return ms == null ? '\u2014' : new Date(ms).toLocaleString(); };
  var secs = function (s) { return s == null ? '' : s < 90 ? s.toFixed(1) + 's' : (s / 60).toFixed(1) + ' min'; };
  var docsLink = function (id) {
    var type = String(id).split('.')[0];
    return '<a href="/docs/#!/' + esc(type) + '/' + esc(id) + '">' +
      esc(String(id).split('.').slice(2).join('.') || id) + '</a>';
  };
  var get = function (path) {
    return fetch(path, { headers: { accept: 'application/json' } }).then(function (r) {
      if (!r.ok) throw new Error(path + ': ' + r.status);
      return r.json();
    });
  };
  var failedStatus = { failed: 1, timed_out: 1, interrupted: 1 };

  function runCell(run) {
    if (!run) return '<span class="empty">never</span>';
    return badge(run.status) + ' <span class="when">' + esc(time(run.finished_at || run.started_at || run.queued_at)) +
      '</span> ' + esc(secs(run.duration)) + ' <span class="when">' + esc(run.trigger) + '</span>';
  }

  function renderJobs() {
    $('jobs').tBodies[0].innerHTML = state.jobs.map(function (j) {
      return '<tr data-job="' + esc(j.name) + '"><td><strong>' + esc(j.name) + '</strong><br><code>' + esc(j.command) +
        '</code></td><td class="state">' + badge(j.state) + '</td><td>' + j.triggers.map(esc).join('<br>') +
        '</td><td class="last">' + runCell(j.lastRun) + '</td><td>' + runCell(j.lastSuccess) +
        '</td><td class="next">' + esc(j.nextRun ? time(j.nextRun) : '\u2014') + '</td><td>' +
        (j.deadline
          ? esc(j.deadline.text) + '<br><span class="when">next ' + esc(time(j.deadline.next)) + '</span>'
          : '\u2014') +
        '</td></tr>';
    }).join('');
    if (!state.chosen && state.jobs.length) choose(state.jobs[0].name);
    $('job-tabs').innerHTML = state.jobs.map(function (j) {
      return '<button role="tab" data-job="' + esc(j.name) + '" aria-selected="' + (j.name === state.chosen) + '">' +
        esc(j.name) + '</button>';
    }).join('');
  }

  function renderLive() {
    var runs = Object.keys(state.live).map(function (k) { return state.live[k]; });
    if (!runs.length) { $('live').innerHTML = '<p class="empty">nothing is running</p>'; return; }
    $('live').innerHTML = runs.map(function (r) {
      var done = Object.keys(r.done).length, failed = Object.keys(r.failed), running = Object.keys(r.running);
      var pct = r.total ? Math.round(100 * done / r.total) : 0;
      var elapsed = ((Date.now() - r.started) / 1000).toFixed(0);
      return '<div class="run-card" data-run="' + esc(r.id) + '"><strong>' + esc(r.job) + '</strong> ' +
        badge(r.status) + ' <span class="when">' + esc(r.trigger) + ' \u00b7 ' + esc(r.reason) + '</span>' +
        '<div class="progress"><div style="width:' + pct + '%"></div></div>' +
        '<div class="counts"><span class="done-count">' + done + '</span> of <span class="total">' + (r.total || '?') +
        '</span> nodes done, <span class="failed-count">' + failed.length + '</span> failed, <span class="elapsed">' +
        elapsed + '</span>s elapsed</div>' +
        (running.length
          ? '<ul class="nodes-running">' +
            running.map(function (n) { return '<li>running ' + docsLink(n) + '</li>'; }).join('') + '</ul>'
          : '') +
        (failed.length
          ? '<ul class="nodes-failed">' +
            failed.map(function (n) { return '<li>' + docsLink(n) + ': ' + esc(r.failed[n]) + '</li>'; }).join('') +
            '</ul>'
          : '') +
        '</div>';
    }).join('');
  }

  function barChart(items, height, label) {
    var w = 640, barW = Math.max(4, Math.min(28, Math.floor((w - 40) / Math.max(items.length, 1)) - 2));
    var max = Math.max.apply(null, items.map(function (i) { return i.value; }).concat([0.001]));
    var bars = items.map(function (i, k) {
      var h = Math.max(1, Math.round((height - 34) * i.value / max)), x = 36 + k * (barW + 2), y = height - 14 - h;
      return '<g class="bar" data-id="' + esc(i.id) + '"><rect class="' + i.cls + '" x="' + x + '" y="' + y +
        '" width="' + barW + '" height="' + h + '"><title>' + esc(i.title) + '</title></rect>' +
        (i.cls === 'bar-bad'
          ? '<text x="' + (x + barW / 2 - 3) + '" y="' + (y - 2) + '" class="fail-mark">\u2715</text>'
          : '') +
        '</g>';
    }).join('');
    return '<svg width="' + w + '" height="' + height + '" role="img" aria-label="' + esc(label) +
      '"><text x="0" y="10">' + esc(label) + '</text><text x="0" y="' + (height - 16) +
      '">0</text><text x="0" y="22">' + esc(max.toFixed(1)) + '</text>' + bars + '</svg>';
  }

  function choose(job) {
    state.chosen = job;
    Array.prototype.forEach.call(document.querySelectorAll('#job-tabs button'), function (b) {
      b.setAttribute('aria-selected', String(b.dataset.job === job));
    });
    loadHistory();
  }

  function loadHistory() {
    var job = state.chosen;
    if (!job) return;
    // An answer for a job no longer chosen (a slow reply to an earlier tab) is dropped.
    get('/api/runs?job=' + encodeURIComponent(job) + '&limit=40').then(function (data) {
      if (state.chosen !== job) return;
      var runs = data.runs.filter(function (r) { return r.status !== 'skipped' && r.status !== 'queued'; }).reverse();
      $('history-chart').innerHTML = runs.length ? barChart(runs.map(function (r) {
        return {
          id: r.run_id,
          value: r.duration || 0,
          cls: r.status === 'success' ? 'bar-ok' : failedStatus[r.status] ? 'bar-bad' : 'bar-other',
          title: r.status + ' \u00b7 ' + time(r.started_at) + ' \u00b7 ' + secs(r.duration) + ' \u00b7 ' + r.trigger
        };
      }), 140, 'duration of the runs of ' + job + ' (seconds)') : '<p class="empty">no runs yet</p>';
      $('history-chart').dataset.runs = String(runs.length);
      $('history-chart').dataset.failed = String(runs.filter(function (r) { return failedStatus[r.status]; }).length);
    });
    get('/api/jobs/' + encodeURIComponent(job) + '/trends').then(function (data) {
      if (state.chosen === job) renderTrends(data.nodes);
    });
  }

  function showRun(id) {
    get('/api/runs/' + id).then(function (data) {
      var r = data.run;
      $('run-detail').innerHTML = '<h3>run ' + esc(r.run_id) + ' ' + badge(r.status) + '</h3><p>' + esc(r.reason) +
        (r.message ? ' \u2014 ' + esc(r.message) : '') +
        '</p><table><thead><tr><th>node</th><th>status</th><th>duration</th>' +
        '<th>rows</th><th>message</th></tr></thead><tbody>' +
        data.nodes.map(function (n) {
          return '<tr><td>' + docsLink(n.unique_id) + '</td><td>' + badge(n.status) + '</td><td>' + secs(n.duration) +
            '</td><td>' + esc(n.rows == null ? '' : n.rows) + '</td><td>' + esc(String(n.message).split('\n')[0]) +
            '</td></tr>';
        }).join('') + '</tbody></table>';
    });
  }

  function sparkline(values, w, h) {
    var max = Math.max.apply(null, values.concat([0.001]));
    var pts = values.map(function (v, i) {
      return (values.length === 1 ? w / 2 : (i * (w - 4) / (values.length - 1)) + 2).toFixed(1) + ',' +
        (h - 2 - (h - 4) * v / max).toFixed(1);
    }).join(' ');
    var last = pts.split(' ').pop().split(',');
    return '<svg width="' + w + '" height="' + h + '"><polyline points="' + pts + '"/><circle r="2.5" cx="' + last[0] +
      '" cy="' + last[1] + '"/></svg>';
  }

  function renderTrends(nodes) {
    var rows = nodes.map(function (n) {
      var d = n.points.map(function (p) { return p.duration; });
      var sorted = d.slice(0, -1).sort(function (a, b) { return a - b; });
      var median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : d[0];
      var last = d[d.length - 1];
      return { id: n.unique_id, d: d, last: last, change: median > 0 ? (last - median) / median : 0 };
    }).sort(function (a, b) { return b.change - a.change; });
    $('trends').innerHTML = rows.length ? rows.map(function (r) {
      var pct = Math.round(r.change * 100);
      return '<div class="trend" data-node="' + esc(r.id) + '"><span>' + docsLink(r.id) + '</span>' +
        sparkline(r.d, 160, 24) + '<span>' + secs(r.last) + '</span><span class="' +
        (pct > 10 ? 'slower' : pct < -10 ? 'faster' : '') + '">' + (pct > 0 ? '+' : '') + pct + '%</span></div>';
    }).join('') : '<p class="empty">no node durations yet</p>';
  }

  function loadTests() {
    get('/api/tests/failures').then(function (data) {
      var byDay = {};
      data.failures.filter(function (f) { return f.status !== 'warn'; }).forEach(function (f) {
        var day = new Date(f.started_at).toISOString().slice(0, 10);
        byDay[day] = (byDay[day] || 0) + 1;
      });
      var days = Object.keys(byDay).sort();
      $('tests-chart').innerHTML = days.length ? barChart(days.map(function (d) {
        return { id: d, value: byDay[d], cls: 'bar-bad', title: d + ': ' + byDay[d] + ' failing tests' };
      }), 110, 'failing tests per day') : '<p class="empty">no test has failed</p>';
      $('tests').innerHTML = data.failures.slice(0, 15).map(function (f) {
        return '<li>' + badge(f.status) + ' ' + docsLink(f.unique_id) + ' <span class="when">' +
          esc(time(f.started_at)) + ' \u00b7 ' + esc(f.job) + '</span> ' + esc(String(f.message).split('\n')[0]) + '</li>';
      }).join('');
    });
  }

  function loadSources() {
    get('/api/sources').then(function (data) {
      $('sources').innerHTML = data.sources.length ? data.sources.map(function (s) {
        var ages = s.readings.map(function (r) { return r.age_seconds == null ? 0 : r.age_seconds / 60; });
        var last = s.readings[s.readings.length - 1];
        return '<div class="trend" data-source="' + esc(s.source_id) + '"><span>' + esc(s.source_id) + '</span>' +
          sparkline(ages, 160, 24) + '<span>' +
          (last.age_seconds == null ? 'never loaded' : esc(secs(last.age_seconds))) +
          '</span><span>' + badge(last.status) + '</span></div>';
      }).join('') : '<p class="empty">no source readings yet</p>';
    });
  }

  function loadAlerts() {
    get('/api/alerts').then(function (data) {
      $('alerts').innerHTML = data.alerts.length ? data.alerts.map(function (a) {
        return '<li><span class="badge s-failed">' + esc(a.kind.replace('_', ' ')) + '</span> <span class="when">' +
          esc(time(a.at)) + '</span> ' + esc(a.message) + '</li>';
      }).join('') : '<li class="empty">none</li>';
    });
  }

  function loadJobs() {
    return get('/api/jobs').then(function (data) {
      state.jobs = data.jobs;
      data.jobs.forEach(function (j) {
        var last = j.lastRun;
        if (last && last.status !== 'running' && last.status !== 'queued') {
          state.ended[last.run_id] = true;
          delete state.live[last.run_id];
        }
        if (j.running && !state.live[j.running.run_id]) track(j.running);
      });
      renderJobs();
      renderLive();
    });
  }

  function track(run) {
    if (state.ended[run.run_id]) return null;
    state.live[run.run_id] = state.live[run.run_id] || {
      id: run.run_id, job: run.job, status: run.status, trigger: run.trigger, reason: run.reason,
      started: run.started_at || Date.now(), total: 0, done: {}, running: {}, failed: {}
    };
    return state.live[run.run_id];
  }

  var refreshSoon = null;
  function refresh() {
    clearTimeout(refreshSoon);
    refreshSoon = setTimeout(function () { loadJobs(); loadHistory(); loadTests(); loadAlerts(); }, 150);
  }

  function onEvent(e) {
    state.lastEventAt = Date.now();
    if (e.type === 'run') {
      if (e.run.status === 'running') {
        var tracked = track(e.run);
        if (tracked) {
          tracked.status = 'running';
          tracked.started = e.run.started_at;
        }
      } else if (e.run.status !== 'queued') {
        state.ended[e.run.run_id] = true;
        delete state.live[e.run.run_id];
      }
      renderLive();
      refresh();
    } else if (e.type === 'node') {
      var live = state.live[e.run_id];
      if (!live) return;
      if (e.phase === 'started') { live.running[e.node.unique_id] = true; live.total = e.node.total; }
      else {
        delete live.running[e.node.unique_id];
        live.done[e.node.unique_id] = e.node.status;
        if (e.node.status === 'error' || e.node.status === 'fail') {
          live.failed[e.node.unique_id] = String(e.node.message).split('\n')[0];
        }
      }
      renderLive();
    } else if (e.type === 'freshness') loadSources();
    else if (e.type === 'alert') loadAlerts();
  }

  document.addEventListener('click', function (ev) {
    var tab = ev.target.closest && ev.target.closest('#job-tabs button');
    if (tab) return choose(tab.dataset.job);
    var bar = ev.target.closest && ev.target.closest('#history-chart .bar');
    if (bar) showRun(bar.dataset.id);
  });
  setInterval(function () { if (Object.keys(state.live).length) renderLive(); }, 1000);

  var source = new EventSource('/api/events');
  ['run', 'node', 'freshness', 'alert'].forEach(function (type) {
    source.addEventListener(type, function (m) { onEvent(JSON.parse(m.data)); });
  });
  source.onopen = function () { $('conn').textContent = 'live'; $('conn').className = 'badge s-success'; };
  source.onerror = function () { $('conn').textContent = 'reconnecting'; $('conn').className = 'badge s-warn'; };
  loadJobs().then(function () { state.ready = true; });
  loadTests(); loadSources(); loadAlerts();
})();
`;
