// The HTML report's stylesheet and script, inlined into the page (no external assets).
// The script renders the embedded JSON (see html.ts `HtmlData`) with DOM calls and
// textContent only, so nothing from the audited code is ever parsed as HTML.

export const HTML_STYLE = `
:root {
  --ok: #1a7f37;
  --ok-bg: #dafbe1;
  --bad: #cf222e;
  --bad-bg: #ffebe9;
  --warn: #9a6700;
  --warn-bg: #fff8c5;
  --na: #57606a;
  --na-bg: #f6f8fa;
  --line: #d0d7de;
}
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; background: #fff; }
header { padding: 12px 24px; border-bottom: 1px solid var(--line); background: #f6f8fa; }
header h1 { margin: 0; font-size: 18px; }
.muted { color: var(--na); font-weight: normal; }
nav#crumbs { margin-top: 4px; }
main { padding: 16px 24px 48px; max-width: 1280px; }
h2 { font-size: 16px; margin: 28px 0 8px; }
a { color: #0969da; text-decoration: none; } a:hover { text-decoration: underline; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; min-width: 130px; }
.card .value { font-size: 22px; font-weight: 600; }
.card.bad .value { color: var(--bad); } .card.warn .value { color: var(--warn); } .card.ok .value { color: var(--ok); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.bar {
  display: inline-block;
  width: 90px;
  height: 10px;
  background: var(--bad-bg);
  border: 1px solid var(--line);
  vertical-align: middle;
  margin-right: 6px;
}
.bar > span { display: block; height: 100%; background: var(--ok); }
tr.low td.pct { color: var(--bad); font-weight: 600; } tr.full td.pct { color: var(--ok); }
.finding {
  border: 1px solid var(--line);
  border-left: 4px solid var(--bad);
  border-radius: 4px;
  padding: 8px 12px;
  margin: 8px 0;
  background: #fff;
}
.finding.warning { border-left-color: var(--warn); }
.finding.suppressed { border-left-color: var(--na); opacity: 0.8; }
.finding .where { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.badge {
  display: inline-block;
  border-radius: 10px;
  padding: 0 8px;
  font-size: 12px;
  font-weight: 600;
  margin-right: 6px;
}
.badge.error, .badge.unscoped { background: var(--bad-bg); color: var(--bad); }
.badge.warning, .badge.unresolved { background: var(--warn-bg); color: var(--warn); }
.badge.covered { background: var(--ok-bg); color: var(--ok); }
.badge.not-gated, .badge.suppressed { background: var(--na-bg); color: var(--na); }
ul.evidence { margin: 6px 0 0; padding-left: 20px; }
.source { border: 1px solid var(--line); border-radius: 6px; overflow-x: auto; }
.source table td { border: 0; padding: 0 8px; }
.source td.ln { color: var(--na); text-align: right; user-select: none; width: 1%; white-space: nowrap; }
.source td.code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; white-space: pre; }
.source tr.covered td.code { background: var(--ok-bg); }
.source tr.unscoped td.code { background: var(--bad-bg); }
.source tr.unresolved td.code { background: var(--warn-bg); }
.source tr.not-gated td.code { background: var(--na-bg); }
.source tr.focus td { outline: 2px solid #0969da; outline-offset: -2px; }
.source tr.note td { font-family: system-ui, sans-serif; white-space: normal; padding: 4px 8px 8px 48px; }
.source tr.note td > .wrap { position: sticky; left: 48px; max-width: min(1100px, 88vw); }
.source tr.note.covered td { background: #f0fff4; }
.source tr.note.unscoped td { background: #fff5f5; }
.source tr.note.unresolved td { background: #fffdf0; }
.source tr.note.not-gated td { background: #fafbfc; }
.legend span { margin-right: 14px; }
`;

export const HTML_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var app = document.getElementById('app');
  var crumbs = document.getElementById('crumbs');
  var COVERED = { 'org-scope': 1, 'security-definer': 1, 'admin-pool': 1 };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs)
      for (var k in attrs) {
        if (k === 'text') node.textContent = attrs[k];
        else if (k === 'className') node.className = attrs[k];
        else node.setAttribute(k, attrs[k]);
      }
    (children || []).forEach(function (c) {
      if (c != null) node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return node;
  }
  function pct(covered, sites) { return sites === 0 ? 100 : (covered / sites) * 100; }
  function pctText(covered, sites) { return sites === 0 ? 'n/a' : pct(covered, sites).toFixed(1) + '%'; }
  function bar(covered, sites) {
    return el('span', { className: 'bar', title: covered + ' of ' + sites + ' covered' }, [
      el('span', { style: 'width:' + pct(covered, sites).toFixed(1) + '%' })
    ]);
  }
  function fileHref(file, line) {
    return '#file=' + encodeURIComponent(file) + (line ? '&line=' + line : '');
  }
  function fileLink(file, line, label) {
    return el('a', { href: fileHref(file, line), text: label || (line ? file + ':' + line : file) });
  }
  function verdictClass(coverage) {
    return COVERED[coverage] ? 'covered' : coverage;
  }
  function verdictLabel(site) {
    if (COVERED[site.coverage]) return 'covered: ' + site.coverage + (site.via ? ' via ' + site.via : '');
    if (site.coverage === 'not-gated')
      return 'not gated: no row-level security on ' + (site.tables.join(', ') || 'its table');
    return site.coverage === 'unscoped' ? 'NOT covered: unscoped' : 'NOT covered: unresolved';
  }
  function rowClass(c) {
    return c.sites === 0 ? '' : c.covered === c.sites ? 'full' : pct(c.covered, c.sites) < 80 ? 'low' : '';
  }

  function countsTable(label, first, rows) {
    var head = el('tr', null, [
      el('th', { text: first }),
      el('th', { className: 'num', text: 'writes' }),
      el('th', { className: 'num', text: 'org-scope' }),
      el('th', { className: 'num', text: 'definer' }),
      el('th', { className: 'num', text: 'admin' }),
      el('th', { className: 'num', text: 'unscoped' }),
      el('th', { className: 'num', text: 'unresolved' }),
      el('th', { text: 'coverage' })
    ]);
    var body = rows.map(function (r) {
      var c = r.counts;
      return el('tr', { className: rowClass(c) }, [
        el('td', null, [r.name]),
        num(c.sites),
        num(c.orgScope),
        num(c.definer),
        num(c.admin),
        num(c.unscoped),
        num(c.unresolved),
        el('td', { className: 'pct' }, [bar(c.covered, c.sites), pctText(c.covered, c.sites)])
      ]);
    });
    return el('table', { 'aria-label': label }, [el('thead', null, [head]), el('tbody', null, body)]);
  }
  function num(n) { return el('td', { className: 'num', text: String(n) }); }

  function findingBox(f) {
    var cls = 'finding ' + f.severity + (f.suppressedBy ? ' suppressed' : '');
    var evidence = f.evidence.length
      ? el(
          'ul',
          { className: 'evidence', 'aria-label': 'evidence' },
          f.evidence.map(function (e) {
            return el('li', null, [e.message + ': ', fileLink(e.file, e.line)]);
          })
        )
      : null;
    return el('div', { className: cls, role: 'article', 'aria-label': f.ruleId + ' at ' + f.file + ':' + f.line }, [
      el('div', null, [
        el('span', {
          className: 'badge ' + (f.suppressedBy ? 'suppressed' : f.severity),
          text: f.suppressedBy ? 'suppressed' : f.severity
        }),
        el('span', { className: 'where' }, [fileLink(f.file, f.line)]),
        ' ',
        el('a', { href: f.docs, text: f.ruleId, rel: 'noreferrer' })
      ]),
      el('div', { className: 'message', text: f.message }),
      f.suppressedBy ? el('div', { className: 'muted', text: f.suppressedBy }) : null,
      evidence,
    ]);
  }

  function overview() {
    var s = data.summary;
    crumbs.textContent = '';
    crumbs.appendChild(document.createTextNode('All files'));
    var notGated = data.sites.filter(function (x) { return x.coverage === 'not-gated'; }).length;
    var cards = el('div', { className: 'cards' }, [
      card(
        'Write-path coverage',
        pctText(s.covered, s.gatedWriteSites),
        s.covered + ' of ' + s.gatedWriteSites + ' gated writes',
        s.covered === s.gatedWriteSites && s.gatedWriteSites > 0 && !s.incomplete ? 'ok' : 'bad'
      ),
      card('Errors', String(s.errors), 'findings that fail CI', s.errors ? 'bad' : 'ok'),
      card('Warnings', String(s.warnings), 'unresolved writes and more', s.warnings ? 'warn' : 'ok'),
      card('Write sites', String(s.writeSites), notGated + ' on tables without RLS', ''),
      card('Suppressed', String(data.suppressed), 'inline, with a reason', ''),
      data.baseline
        ? card(
            'Baseline',
            String(data.baseline.hidden),
            'hidden by ' + data.baseline.file + (data.baseline.stale ? '; ' + data.baseline.stale + ' stale' : ''),
            ''
          )
        : null
    ]);
    var findings = data.findings.filter(function (f) { return !f.suppressedBy; });
    var hidden = data.findings.filter(function (f) { return f.suppressedBy; });
    replace([
      data.incomplete.length
        ? el('h2', {
            text:
              'Incomplete audit: ' +
              data.incomplete.length +
              (data.incomplete.length === 1 ? ' input' : ' inputs') +
              ' skipped or read in part'
          })
        : null,
      data.incomplete.length
        ? el(
            'ul',
            { 'aria-label': 'incomplete' },
            data.incomplete.map(function (i) {
              return el('li', { text: i.file + (i.line ? ':' + i.line : '') + ' (' + i.kind + '): ' + i.reason });
            })
          )
        : null,
      cards,
      el('h2', { text: 'Coverage per table' }),
      countsTable(
        'Coverage per table',
        'table',
        data.tables.map(function (t) {
          return { name: t.table, counts: t };
        })
      ),
      el('h2', { text: 'Coverage per folder' }),
      countsTable(
        'Coverage per folder',
        'folder',
        data.folders.map(function (f) {
          return { name: folderLink(f.path), counts: f.counts };
        })
      ),
      el('h2', { text: 'Coverage per file' }),
      countsTable(
        'Coverage per file',
        'file',
        data.files.map(function (f) {
          return { name: fileLink(f.path), counts: f.counts };
        })
      ),
      el('h2', { text: 'Findings (' + findings.length + ')' }),
      el('div', { 'aria-label': 'findings' }, findings.map(findingBox)),
      hidden.length ? el('h2', { text: 'Suppressed or baselined (' + hidden.length + ')' }) : null,
      hidden.length ? el('div', null, hidden.map(findingBox)) : null,
      data.diagnostics.length ? el('h2', { text: 'Inputs skipped or partly read' }) : null,
      data.diagnostics.length
        ? el(
            'ul',
            null,
            data.diagnostics.map(function (d) {
              return el('li', { text: d.file + ': ' + d.message });
            })
          )
        : null,
      el('p', {
        className: 'muted',
        text: data.tool.name + ' ' + data.tool.version + ' · ' + s.files + ' files · ' + s.durationMs + ' ms'
      })
    ]);
  }
  function folderLink(folder) { return el('a', { href: '#folder=' + encodeURIComponent(folder), text: folder + '/' }); }
  function inFolder(file, folder) { return folder === '.' ? file.indexOf('/') < 0 : file.indexOf(folder + '/') === 0; }

  function folderView(folder) {
    crumbs.textContent = '';
    crumbs.appendChild(el('a', { href: '#', text: 'All files' }));
    crumbs.appendChild(document.createTextNode(' / ' + folder + '/'));
    var entry = data.folders.filter(function (f) {
      return f.path === folder;
    })[0];
    var sub = data.folders.filter(function (f) {
      return f.path !== folder && inFolder(f.path, folder) && f.path.slice(folder.length + 1).indexOf('/') < 0;
    });
    var files = data.files.filter(function (f) {
      return inFolder(f.path, folder) && f.path.slice(folder === '.' ? 0 : folder.length + 1).indexOf('/') < 0;
    });
    var findings = data.findings.filter(function (f) {
      return !f.suppressedBy && inFolder(f.file, folder);
    });
    replace([
      el('h2', { text: folder + '/' }),
      entry
        ? el('p', null, [
            bar(entry.counts.covered, entry.counts.sites),
            pctText(entry.counts.covered, entry.counts.sites) + ' of ' + entry.counts.sites + ' gated writes covered'
          ])
        : null,
      sub.length
        ? countsTable(
            'Coverage per folder',
            'folder',
            sub.map(function (f) {
              return { name: folderLink(f.path), counts: f.counts };
            })
          )
        : null,
      el('h2', { text: 'Files' }),
      countsTable(
        'Coverage per file',
        'file',
        files.map(function (f) {
          return { name: fileLink(f.path), counts: f.counts };
        })
      ),
      el('h2', { text: 'Findings (' + findings.length + ')' }),
      el('div', { 'aria-label': 'findings' }, findings.map(findingBox)),
    ]);
    window.scrollTo(0, 0);
  }

  function card(label, value, sub, cls) {
    return el('div', { className: 'card ' + cls, role: 'group', 'aria-label': label }, [
      el('div', { className: 'muted', text: label }),
      el('div', { className: 'value', text: value }),
      el('div', { className: 'muted', text: sub })
    ]);
  }

  function fileView(file, focus) {
    crumbs.textContent = '';
    crumbs.appendChild(el('a', { href: '#', text: 'All files' }));
    var dirs = file.split('/').slice(0, -1);
    dirs.forEach(function (d, i) {
      var p = dirs.slice(0, i + 1).join('/');
      crumbs.appendChild(document.createTextNode(' / '));
      crumbs.appendChild(
        data.folders.some(function (f) {
          return f.path === p;
        })
          ? el('a', { href: '#folder=' + encodeURIComponent(p), text: d })
          : document.createTextNode(d)
      );
    });
    crumbs.appendChild(document.createTextNode(' / ' + file.split('/').pop()));
    var text = data.sources[file];
    var sites = data.sites.filter(function (x) { return x.file === file; });
    var findings = data.findings.filter(function (f) { return f.file === file; });
    var entry = data.files.filter(function (f) { return f.path === file; })[0];
    var parts = [el('h2', { text: file })];
    if (entry)
      parts.push(
        el('p', null, [
          bar(entry.counts.covered, entry.counts.sites),
          pctText(entry.counts.covered, entry.counts.sites) +
            ' of ' +
            entry.counts.sites +
            ' gated writes covered · ' +
            plural(entry.errors, 'error') +
            ' · ' +
            plural(entry.warnings, 'warning')
        ])
      );
    parts.push(
      el('p', { className: 'legend' }, [
        badge('covered', 'covered'),
        badge('unscoped', 'unscoped'),
        badge('unresolved', 'unresolved'),
        badge('not-gated', 'not gated')
      ])
    );
    if (text == null) {
      parts.push(
        el('p', { className: 'muted', text: 'The source of this file was not available when the report was written.' })
      );
      findings.forEach(function (f) {
        parts.push(findingBox(f));
      });
      replace(parts);
      return;
    }
    var byLine = {};
    sites.forEach(function (x) {
      (byLine[x.line] = byLine[x.line] || { sites: [], findings: [] }).sites.push(x);
    });
    findings.forEach(function (f) {
      (byLine[f.line] = byLine[f.line] || { sites: [], findings: [] }).findings.push(f);
    });
    var rows = [];
    text.split(/\r?\n/).forEach(function (code, i) {
      var n = i + 1;
      var at = byLine[n];
      var cls = at && at.sites.length ? worst(at.sites) : '';
      var lineRow = el('tr', { id: 'L' + n, className: cls + (n === focus ? ' focus' : '') }, [
        el('td', { className: 'ln', text: String(n) }),
        el('td', { className: 'code', text: code || ' ' })
      ]);
      rows.push(lineRow);
      if (!at) return;
      at.sites.forEach(function (x) {
        var what = x.operation.toUpperCase() + (x.tables.length ? ' ' + x.tables.join(', ') : '');
        var path =
          x.callPath && x.callPath.length
            ? el('div', { className: 'muted', text: 'call path: ' + x.callPath.join(' → ') })
            : null;
        rows.push(
          el('tr', { className: 'note ' + verdictClass(x.coverage), 'aria-label': 'write site at line ' + n }, [
            el('td', { colspan: '2' }, [
              el('div', { className: 'wrap' }, [
                badge(verdictClass(x.coverage), verdictLabel(x)),
                what + ': ' + x.evidence + (x.suppressed ? ' (suppressed: ' + x.suppressed + ')' : ''),
                path
              ])
            ])
          ])
        );
      });
      at.findings.forEach(function (f) {
        rows.push(
          el('tr', { className: 'note' }, [
            el('td', { colspan: '2' }, [el('div', { className: 'wrap' }, [findingBox(f)])])
          ])
        );
      });
    });
    parts.push(
      el('div', { className: 'source' }, [
        el('table', { 'aria-label': 'source of ' + file }, [el('tbody', null, rows)])
      ])
    );
    replace(parts);
    var target = focus && document.getElementById('L' + focus);
    if (target) target.scrollIntoView({ block: 'center' });
  }
  function worst(sites) {
    var order = ['unscoped', 'unresolved', 'covered', 'not-gated'];
    return sites
      .map(function (x) {
        return verdictClass(x.coverage);
      })
      .sort(function (a, b) {
        return order.indexOf(a) - order.indexOf(b);
      })[0];
  }
  function plural(n, word) {
    return n + ' ' + word + (n === 1 ? '' : 's');
  }
  function badge(cls, text) {
    return el('span', { className: 'badge ' + cls, text: text });
  }
  function plural(n, word) { return n + ' ' + word + (n === 1 ? '' : 's'); }
  function badge(cls, text) { return el('span', { className: 'badge ' + cls, text: text }); }
  function replace(children) {
    app.textContent = '';
    children.forEach(function (c) { if (c) app.appendChild(c); });
  }

  function route() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ''));
    var file = params.get('file');
    var folder = params.get('folder');
    if (file && Object.prototype.hasOwnProperty.call(data.sources, file))
      fileView(file, Number(params.get('line')) || 0);
    else if (
      folder &&
      data.folders.some(function (f) {
        return f.path === folder;
      })
    )
      folderView(folder);
    else {
      overview();
      window.scrollTo(0, 0);
    }
  }
  window.addEventListener('hashchange', route);
  route();
})();
`;
