/// The page a running service serves at `/` on its operations port: open restock alerts, and a
/// search that shows one SKU's forecast, stock position, open alert and model explanation.
///
/// One self-contained document: inline CSS and plain ES2017 JavaScript that calls only this
/// origin's `/alerts` and `/skus/{sku}`, so it works on a machine without internet access.
/// Data from the service reaches the DOM through `textContent` and `setAttribute` only, never
/// through `innerHTML`, because SKUs and error messages come from outside.
/// Opening `/?sku=X` searches X at once, which links between instances and tests rely on.
public enum LivePage {
    /// The HTML document.
    public static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>skucast</title>
        <style>
        \#(PageStyle.base)
        h2 { font-size: 1.2em; margin-top: 1.6em; padding-bottom: 4px; border-bottom: 1px solid #ddd; }
        h3 { font-size: 1.1em; margin-bottom: 0.2em; }
        h4 { font-size: 1em; margin: 1.2em 0 0.3em; }
        .controls { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 8px 0; }
        .muted, .empty { color: #666; }
        .empty { font-style: italic; }
        .error { color: #b3261e; }
        table { border-collapse: collapse; margin: 8px 0 12px; font-variant-numeric: tabular-nums; }
        .sev { padding: 0 6px; border-radius: 3px; white-space: nowrap; }
        .sev-out_of_stock { background: #fbd5d2; }
        .sev-stockout_within_lead_time { background: #fde2c4; }
        .sev-below_reorder_point { background: #fdf1bf; }
        button.link { border: 0; background: none; padding: 0; color: #1f5fa8; text-decoration: underline;
          cursor: pointer; font: inherit; }
        svg.chart { display: block; width: 100%; max-width: 720px; height: auto; margin: 8px 0; }
        </style>
        </head>
        <body>
        <main>
        <h1>skucast</h1>
        <noscript><p class="error">This page needs JavaScript to load alerts and forecasts.</p></noscript>

        <section id="open-alerts">
        <h2>Open alerts</h2>
        <div class="controls">
        <label for="severity">Severity</label>
        <select id="severity" name="severity">
        <option value="">all</option>
        <option value="out_of_stock">out of stock</option>
        <option value="stockout_within_lead_time">stockout within lead time</option>
        <option value="below_reorder_point">below reorder point</option>
        </select>
        <button type="button" id="alerts-prev" disabled>Previous</button>
        <button type="button" id="alerts-next" disabled>Next</button>
        <span id="alerts-status" class="muted">Loading…</span>
        </div>
        <table id="alerts" data-table="alerts">
        <thead><tr><th>SKU</th><th>Severity</th><th>Stock counted</th><th class="num">On hand</th>
        <th class="num">Position</th><th class="num">Reorder point</th><th class="num">Suggested order</th>
        <th class="num">Days of cover</th></tr></thead>
        <tbody></tbody>
        </table>
        <p id="alerts-empty" class="empty" hidden>No open alerts.</p>
        </section>

        <section id="sku">
        <h2>SKU search</h2>
        <form id="sku-search" method="get" action="">
        <label for="sku-input">SKU</label>
        <input id="sku-input" name="sku" autocomplete="off" spellcheck="false" required placeholder="e.g. 85123A">
        <button type="submit">Search</button>
        </form>
        <div id="sku-result"></div>
        </section>
        </main>

        <script>
        (function () {
          'use strict';

          var LIMIT = 50;
          var REFRESH_MS = 5000;
          var SEVERITY_TEXT = {
            out_of_stock: 'out of stock',
            stockout_within_lead_time: 'stockout within lead time',
            below_reorder_point: 'below reorder point'
          };
          // The SVG namespace, read from the parser rather than spelled out in the page.
          var SVG_NS = (function () {
            var template = document.createElement('template');
            template.innerHTML = '<svg></svg>';
            return template.content.firstChild.namespaceURI;
          })();

          var severitySelect = document.getElementById('severity');
          var prevButton = document.getElementById('alerts-prev');
          var nextButton = document.getElementById('alerts-next');
          var alertsStatus = document.getElementById('alerts-status');
          var alertsTable = document.getElementById('alerts');
          var alertsEmpty = document.getElementById('alerts-empty');
          var searchForm = document.getElementById('sku-search');
          var skuInput = document.getElementById('sku-input');
          var skuResult = document.getElementById('sku-result');

          // ---- Building DOM without innerHTML -------------------------------------------------

          function el(tag, props, children) {
            var node = document.createElement(tag);
            Object.keys(props || {}).forEach(function (key) {
              var value = props[key];
              if (value === undefined || value === null) return;
              if (key === 'text') node.textContent = String(value);
              else if (key === 'className') node.className = value;
              else node.setAttribute(key, String(value));
            });
            (children || []).forEach(function (child) {
              if (child === undefined || child === null) return;
              node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
            });
            return node;
          }

          function svgEl(tag, attrs, text) {
            var node = document.createElementNS(SVG_NS, tag);
            Object.keys(attrs || {}).forEach(function (key) {
              var value = attrs[key];
              // Coordinates to a hundredth keep the markup short; nothing finer shows.
              node.setAttribute(key, typeof value === 'number' ? String(Math.round(value * 100) / 100) : String(value));
            });
            if (text !== undefined) node.textContent = String(text);
            return node;
          }

          function clear(node) {
            while (node.firstChild) node.removeChild(node.firstChild);
          }

          function isNum(x) {
            return typeof x === 'number' && isFinite(x);
          }

          function num(x, digits) {
            if (x === undefined || x === null) return '–';
            if (!isNum(x)) return String(x);
            if (Number.isInteger(x)) return String(x);
            return String(Number(x.toFixed(digits === undefined ? 2 : digits)));
          }

          function time(t) {
            if (typeof t !== 'string') return '–';
            return t.replace('T', ' ').replace(/(\d\d:\d\d):00(\.0+)?Z$/, '$1 UTC').replace(/Z$/, ' UTC');
          }

          function day(t) {
            return typeof t === 'string' ? t.slice(0, 10) : '–';
          }

          function numCell(x, digits) {
            return el('td', { className: 'num', text: num(x, digits) });
          }

          function severityBadge(severity) {
            var known = Object.prototype.hasOwnProperty.call(SEVERITY_TEXT, severity);
            return el('span', {
              className: known ? 'sev sev-' + severity : 'sev',
              'data-severity': severity,
              text: known ? SEVERITY_TEXT[severity] : String(severity)
            });
          }

          function table(name, headers, rows) {
            var headRow = el('tr', {}, headers.map(function (h) {
              return el('th', { className: h.num ? 'num' : null, text: h.text });
            }));
            return el('table', { 'data-table': name }, [
              el('thead', {}, [headRow]),
              el('tbody', {}, rows.map(function (cells) { return el('tr', {}, cells); }))
            ]);
          }

          function skuLink(sku) {
            var link = el('a', { href: '?sku=' + encodeURIComponent(sku), className: 'sku-link', 'data-sku': sku,
              text: sku });
            link.addEventListener('click', function (event) {
              event.preventDefault();
              searchSku(sku);
            });
            return link;
          }

          async function getJSON(url) {
            var response = await fetch(url, { cache: 'no-store', headers: { Accept: 'application/json' } });
            var body = null;
            try { body = await response.json(); } catch (err) { body = null; }
            return { status: response.status, ok: response.ok, body: body };
          }

          // ---- Open alerts --------------------------------------------------------------------

          var alertsOffset = 0;
          var alertsRequest = 0;

          async function loadAlerts() {
            var request = ++alertsRequest;
            var url = '/alerts?limit=' + LIMIT + '&offset=' + alertsOffset;
            if (severitySelect.value) url += '&severity=' + encodeURIComponent(severitySelect.value);
            var answer;
            try {
              answer = await getJSON(url);
            } catch (err) {
              if (request === alertsRequest) alertsStatus.textContent = 'Could not load alerts: ' + err.message;
              return;
            }
            // A slower, older answer must not overwrite a newer one.
            if (request !== alertsRequest) return;
            if (!answer.ok || !answer.body) {
              var why = answer.body && answer.body.error ? answer.body.error : 'HTTP ' + answer.status;
              alertsStatus.textContent = 'Could not load alerts: ' + why;
              return;
            }
            renderAlerts(answer.body);
          }

          function renderAlerts(body) {
            var alerts = Array.isArray(body.alerts) ? body.alerts : [];
            var total = isNum(body.total) ? body.total : alerts.length;
            // Alerts resolve while one pages; step back to the last page that still has some.
            if (alerts.length === 0 && total > 0 && alertsOffset > 0) {
              alertsOffset = Math.floor((total - 1) / LIMIT) * LIMIT;
              loadAlerts();
              return;
            }
            var tbody = alertsTable.tBodies[0];
            clear(tbody);
            alerts.forEach(function (alert) {
              tbody.appendChild(el('tr', { 'data-alert-id': alert.alert_id, 'data-sku': alert.sku }, [
                el('td', {}, [skuLink(String(alert.sku))]),
                el('td', {}, [severityBadge(alert.severity)]),
                el('td', { text: time(alert.counted_at) }),
                numCell(alert.on_hand),
                numCell(alert.projected_position),
                numCell(alert.reorder_point),
                numCell(alert.suggested_order_quantity),
                numCell(alert.days_of_cover, 1)
              ]));
            });
            alertsTable.hidden = alerts.length === 0;
            alertsEmpty.hidden = alerts.length > 0;
            var filter = severitySelect.value ? ' (' + SEVERITY_TEXT[severitySelect.value] + ')' : '';
            var shown = alerts.length === 0 ? ''
              : ', showing ' + (alertsOffset + 1) + '–' + (alertsOffset + alerts.length);
            alertsStatus.textContent = total + ' open alert' + (total === 1 ? '' : 's') + filter + shown +
              ' · updated ' + new Date().toLocaleTimeString();
            alertsStatus.setAttribute('data-total', String(total));
            prevButton.disabled = alertsOffset === 0;
            nextButton.disabled = alertsOffset + alerts.length >= total;
          }

          severitySelect.addEventListener('change', function () {
            alertsOffset = 0;
            loadAlerts();
          });
          prevButton.addEventListener('click', function () {
            alertsOffset = Math.max(0, alertsOffset - LIMIT);
            loadAlerts();
          });
          nextButton.addEventListener('click', function () {
            alertsOffset += LIMIT;
            loadAlerts();
          });

          // ---- SKU search ---------------------------------------------------------------------

          var skuRequest = 0;

          function showMessage(text, className) {
            clear(skuResult);
            skuResult.appendChild(el('p', { id: 'sku-message', className: className || 'muted', text: text }));
          }

          async function searchSku(raw) {
            var sku = String(raw).trim();
            if (!sku) return;
            skuInput.value = sku;
            try {
              var here = new URL(window.location.href);
              here.searchParams.set('sku', sku);
              window.history.replaceState(null, '', here.toString());
            } catch (err) { /* an address that cannot be rewritten just keeps its old query */ }
            var request = ++skuRequest;
            showMessage('Searching ' + sku + '…');
            var answer;
            try {
              answer = await getJSON('/skus/' + encodeURIComponent(sku));
            } catch (err) {
              if (request === skuRequest) showMessage('Could not reach the service: ' + err.message, 'error');
              return;
            }
            if (request !== skuRequest) return;
            if (!answer.ok || !answer.body) {
              var why = answer.body && answer.body.error ? answer.body.error
                : 'No answer for ' + sku + ' (HTTP ' + answer.status + ').';
              showMessage(why, 'error');
              return;
            }
            renderSku(sku, answer.body);
          }

          function renderSku(searched, body) {
            var sku = typeof body.sku === 'string' ? body.sku : searched;
            clear(skuResult);
            skuResult.appendChild(el('h3', { text: 'SKU ' + sku }));
            if (body.owned === false) {
              skuResult.appendChild(ownerParagraph(sku, body));
              return;
            }
            skuResult.appendChild(el('p', { className: 'muted',
              text: 'Partition ' + num(body.partition) + ', owned by this instance.' }));
            skuResult.appendChild(el('h4', { text: 'Forecast' }));
            var forecast = body.forecast;
            if (forecast && Array.isArray(forecast.horizon)) {
              renderForecast(forecast);
            } else {
              skuResult.appendChild(el('p', { className: 'empty', text: 'No forecast for this SKU yet.' }));
            }
            skuResult.appendChild(el('h4', { text: 'Lead-time demand' }));
            renderLeadTime(forecast && forecast.lead_time_demand);
            skuResult.appendChild(el('h4', { text: 'Stock position' }));
            renderStock(body.stock);
            skuResult.appendChild(el('h4', { text: 'Open alert' }));
            renderAlert(body.alert);
            skuResult.appendChild(el('h4', { text: 'Explanation' }));
            renderExplanation(forecast && forecast.model);
          }

          function ownerParagraph(sku, body) {
            var p = el('p', { id: 'sku-owner' }, ['Partition ' + num(body.partition) + ' is owned by ']);
            var owner = body.owner;
            if (!owner) {
              p.appendChild(document.createTextNode('another instance, not known here yet.'));
              return p;
            }
            var who = owner.client_id || owner.member_id || owner.host || 'another instance';
            p.appendChild(document.createTextNode(String(who)));
            if (owner.host && owner.host !== who) p.appendChild(document.createTextNode(' on ' + owner.host));
            // Only web addresses become links: a javascript: URL from the wire must not.
            if (typeof owner.url === 'string' && /^https?:\/\//i.test(owner.url)) {
              p.appendChild(document.createTextNode(': '));
              p.appendChild(el('a', { href: owner.url.replace(/\/+$/, '') + '/?sku=' + encodeURIComponent(sku),
                text: 'show ' + sku + ' there' }));
            }
            p.appendChild(document.createTextNode('.'));
            return p;
          }

          function quantileKeys(objects) {
            var keys = [];
            objects.forEach(function (o) {
              Object.keys((o && o.quantiles) || {}).forEach(function (k) { if (keys.indexOf(k) < 0) keys.push(k); });
            });
            // "p50" < "p90" < "p95" by level, not by spelling.
            return keys.sort(function (a, b) {
              return (parseFloat(a.slice(1)) - parseFloat(b.slice(1))) || (a < b ? -1 : a > b ? 1 : 0);
            });
          }

          function quantile(entry, key) {
            return entry && entry.quantiles && isNum(entry.quantiles[key]) ? entry.quantiles[key] : null;
          }

          function renderForecast(forecast) {
            var horizon = forecast.horizon.filter(function (h) { return h && typeof h === 'object'; });
            skuResult.appendChild(el('p', { className: 'muted', text: 'Origin ' + time(forecast.origin) +
              ' · bucket ' + (forecast.bucket || '–') + ' · time zone ' + (forecast.time_zone || '–') +
              ' · forecast ' + (forecast.forecast_id || '–') }));
            skuResult.appendChild(forecastChart(horizon));
            var keys = quantileKeys(horizon);
            var headers = [{ text: 'Step', num: true }, { text: 'Start' }, { text: 'Mean', num: true }]
              .concat(keys.map(function (k) { return { text: k, num: true }; }));
            skuResult.appendChild(table('sku-forecast', headers, horizon.map(function (h) {
              return [numCell(h.step), el('td', { text: day(h.start) }), numCell(h.mean)]
                .concat(keys.map(function (k) { return numCell(quantile(h, k)); }));
            })));
          }

          function renderLeadTime(lead) {
            if (!lead) {
              skuResult.appendChild(el('p', { className: 'empty', text: 'No lead-time demand without a forecast.' }));
              return;
            }
            var keys = quantileKeys([lead]);
            var headers = [{ text: 'Lead time (days)', num: true }, { text: 'Mean', num: true }]
              .concat(keys.map(function (k) { return { text: k, num: true }; }));
            skuResult.appendChild(table('sku-lead-time', headers, [[numCell(lead.lead_time_days), numCell(lead.mean)]
              .concat(keys.map(function (k) { return numCell(quantile(lead, k)); }))]));
          }

          function renderStock(stock) {
            if (!stock) {
              skuResult.appendChild(el('p', { className: 'empty', text: 'No stock count received for this SKU.' }));
              return;
            }
            skuResult.appendChild(table('sku-stock', [
              { text: 'On hand', num: true }, { text: 'On order', num: true }, { text: 'Position', num: true },
              { text: 'Lead time (days)', num: true }, { text: 'Counted at' }
            ], [[numCell(stock.on_hand), numCell(stock.on_order), numCell(stock.position),
              numCell(stock.lead_time_days), el('td', { text: time(stock.counted_at) })]]));
          }

          function renderAlert(alert) {
            if (!alert) {
              skuResult.appendChild(el('p', { className: 'empty', text: 'No open alert.' }));
              return;
            }
            var rows = [
              ['Severity', severityBadge(alert.severity)],
              ['Changes published', alert.changes],
              ['Stock counted', time(alert.counted_at)],
              ['On hand', num(alert.on_hand)],
              ['On order', num(alert.on_order)],
              ['Projected position', num(alert.projected_position)],
              ['Reorder point', num(alert.reorder_point)],
              ['Order up to', num(alert.order_up_to)],
              ['Suggested order', num(alert.suggested_order_quantity)],
              ['Days of cover', num(alert.days_of_cover, 1)],
              ['Lead time (days)', num(alert.lead_time_days)],
              ['Service level', num(alert.service_level, 3)],
              ['Alert', alert.alert_id]
            ];
            skuResult.appendChild(table('sku-alert', [{ text: 'Field' }, { text: 'Value' }], rows.map(function (r) {
              var value = typeof r[1] === 'object' && r[1] !== null ? el('td', {}, [r[1]])
                : el('td', { text: r[1] === undefined || r[1] === null ? '–' : String(r[1]) });
              return [el('th', { text: r[0] }), value];
            })));
          }

          function renderExplanation(model) {
            var rows = [];
            var weights = (model && model.weights) || {};
            Object.keys(weights).sort(function (a, b) { return (weights[b] || 0) - (weights[a] || 0); })
              .forEach(function (name) { rows.push(['weight', name, weights[name]]); });
            var components = (model && model.components) || {};
            Object.keys(components).forEach(function (name) { rows.push(['component', name, components[name]]); });
            // The global model's forecast of the next open day, by feature, in units.
            var contributions = (model && model.global_contributions) || {};
            Object.keys(contributions).forEach(function (name) {
              rows.push(['global model, units', name, contributions[name]]);
            });
            if (rows.length === 0) {
              skuResult.appendChild(el('p', { className: 'empty', text: 'No model explanation for this SKU.' }));
              return;
            }
            skuResult.appendChild(table('sku-explanation',
              [{ text: 'Kind' }, { text: 'Name' }, { text: 'Value', num: true }],
              rows.map(function (r) {
                return [el('td', { text: r[0] }), el('td', { text: r[1] }), numCell(r[2], 4)];
              })));
          }

          // ---- The forecast chart -------------------------------------------------------------

          function niceTicks(low, high, count) {
            if (!(high > low)) high = low + 1;
            var raw = (high - low) / Math.max(count - 1, 1);
            var unit = Math.pow(10, Math.floor(Math.log10(raw)));
            var f = raw / unit;
            var step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * unit;
            var ticks = [];
            for (var i = Math.floor(low / step); i <= Math.ceil(high / step); i++) {
              ticks.push(Number((i * step).toPrecision(12)));
            }
            return ticks;
          }

          // Runs of consecutive indices where every accessor yields a number; gaps break lines.
          function runs(count, accessors) {
            var result = [];
            var run = [];
            for (var i = 0; i < count; i++) {
              var ok = accessors.every(function (get) { return isNum(get(i)); });
              if (ok) run.push(i);
              else if (run.length) { result.push(run); run = []; }
            }
            if (run.length) result.push(run);
            return result;
          }

          function forecastChart(horizon) {
            var W = 720, H = 260, L = 52, R = W - 16, T = 44, B = H - 34;
            var n = Math.max(horizon.length, 1);
            var mean = function (i) { return horizon[i].mean; };
            var p50 = function (i) { return quantile(horizon[i], 'p50'); };
            var p90 = function (i) { return quantile(horizon[i], 'p90'); };
            var values = [0];
            horizon.forEach(function (h, i) {
              [mean(i), p50(i), p90(i)].forEach(function (v) { if (isNum(v)) values.push(v); });
            });
            var ticks = niceTicks(0, Math.max.apply(null, values), 5);
            var top = ticks[ticks.length - 1];
            var x = function (i) { return L + (i + 0.5) / n * (R - L); };
            var y = function (v) { return B - v / top * (B - T); };
            var xy = function (i, get) { return x(i).toFixed(1) + ' ' + y(get(i)).toFixed(1); };

            var root = svgEl('svg', { 'class': 'chart', 'data-chart': 'sku-forecast', role: 'img',
              viewBox: '0 0 ' + W + ' ' + H, 'font-family': 'system-ui, sans-serif', 'font-size': 11 });
            root.appendChild(svgEl('title', {}, 'Forecast by horizon step: mean and p50–p90 band'));
            ticks.forEach(function (t) {
              root.appendChild(svgEl('line', { x1: L, x2: R, y1: y(t), y2: y(t), stroke: '#e3e3e3' }));
              root.appendChild(svgEl('text', { x: L - 6, y: y(t) + 4, 'text-anchor': 'end', fill: '#333' }, num(t)));
            });
            var every = Math.max(1, Math.ceil(n / 10));
            horizon.forEach(function (h, i) {
              if (i % every !== 0) return;
              var label = typeof h.start === 'string' ? h.start.slice(5, 10) : String(h.step);
              root.appendChild(svgEl('text', { x: x(i), y: B + 15, 'text-anchor': 'middle', fill: '#333' }, label));
            });
            root.appendChild(svgEl('path', { d: 'M' + L + ' ' + T + 'V' + B + 'H' + R, stroke: '#555', fill: 'none' }));

            var band = runs(horizon.length, [p50, p90]).map(function (run) {
              var upper = run.map(function (i) { return xy(i, p90); });
              var lower = run.slice().reverse().map(function (i) { return xy(i, p50); });
              return 'M' + upper.join('L') + 'L' + lower.join('L') + 'Z';
            }).join('');
            if (band) {
              root.appendChild(svgEl('path', { 'class': 'band', 'data-series': 'p50–p90', d: band,
                fill: '#1f77b4', 'fill-opacity': 0.18, stroke: 'none' }));
            }
            [['p50', p50, '#1f77b4', '5 4'], ['mean', mean, '#ff7f0e', null]].forEach(function (s) {
              var d = runs(horizon.length, [s[1]]).map(function (run) {
                return 'M' + run.map(function (i) { return xy(i, s[1]); }).join('L') + (run.length === 1 ? 'h0' : '');
              }).join('');
              if (!d) return;
              var attrs = { 'class': 'line', 'data-series': s[0], d: d, fill: 'none', stroke: s[2],
                'stroke-width': 1.8, 'stroke-linecap': 'round', 'stroke-linejoin': 'round' };
              if (s[3]) attrs['stroke-dasharray'] = s[3];
              root.appendChild(svgEl('path', attrs));
            });

            var legend = [['p50–p90', 'band', '#1f77b4'], ['p50', 'dashed', '#1f77b4'], ['mean', 'line', '#ff7f0e']];
            var lx = L;
            legend.forEach(function (item) {
              if (item[1] === 'band') {
                root.appendChild(svgEl('rect', { x: lx, y: 25, width: 16, height: 10, fill: item[2],
                  'fill-opacity': 0.25 }));
              } else {
                var line = { x1: lx, x2: lx + 16, y1: 30, y2: 30, stroke: item[2], 'stroke-width': 2 };
                if (item[1] === 'dashed') line['stroke-dasharray'] = '4 3';
                root.appendChild(svgEl('line', line));
              }
              root.appendChild(svgEl('text', { x: lx + 22, y: 34, fill: '#333' }, item[0]));
              lx += 22 + item[0].length * 6.4 + 16;
            });
            root.appendChild(svgEl('text', { x: L, y: 16, 'font-size': 13, 'font-weight': 600 },
              'Forecast by horizon step'));
            root.appendChild(svgEl('text', { x: (L + R) / 2, y: H - 4, 'text-anchor': 'middle', fill: '#333' },
              'start of step'));
            return root;
          }

          searchForm.addEventListener('submit', function (event) {
            event.preventDefault();
            searchSku(skuInput.value);
          });

          // ---- Start --------------------------------------------------------------------------

          var initial = new URLSearchParams(window.location.search).get('sku');
          if (initial) searchSku(initial);
          loadAlerts();
          setInterval(function () {
            if (!document.hidden) loadAlerts();
          }, REFRESH_MS);
        })();
        </script>
        </body>
        </html>

        """#
}
