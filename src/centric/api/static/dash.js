/* centric dashboard: draws a page's JSON (api/dash_views.py) with Apache ECharts.
   Rule: data is put in the DOM with textContent only (customer text is untrusted); every chart has a
   title, a text description, a data table, CSV and PNG downloads, and reads from the keyboard. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("dash-config").textContent);
  var S = config.strings, LANG = config.lang, charts = [];

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (attrs[k] === null || attrs[k] === undefined) return;
      if (k === "class") node.className = attrs[k]; else node.setAttribute(k, attrs[k]);
    });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function query(extra) {
    var q = new URLSearchParams(config.query);
    Object.keys(extra || {}).forEach(function (k) { if (extra[k] === "" || extra[k] == null) q.delete(k); else q.set(k, extra[k]); });
    return q.toString();
  }
  var numberFmt = new Intl.NumberFormat(LANG, { maximumFractionDigits: 1 });
  var percentFmt = new Intl.NumberFormat(LANG, { style: "percent", maximumFractionDigits: 1 });
  var compactFmt = new Intl.NumberFormat(LANG, { notation: "compact", maximumFractionDigits: 1 });
  var moneyFmt = new Intl.NumberFormat(LANG, { style: "currency", currency: config.currency, maximumFractionDigits: 0 });
  var moneyCompact = new Intl.NumberFormat(LANG, { style: "currency", currency: config.currency, notation: "compact", maximumFractionDigits: 1 });
  var monthFmt = new Intl.DateTimeFormat(LANG, { month: "short", year: "2-digit", timeZone: "UTC" });
  function fmtValue(unit, v, compact) {
    if (v === null || v === undefined || isNaN(v)) return "–";
    if (unit === "money") return (compact && Math.abs(v) >= 1000 ? moneyCompact : moneyFmt).format(v);
    if (unit === "percent") return percentFmt.format(v / 100);
    if (unit === "ratio") return numberFmt.format(v) + "×";
    if (compact && Math.abs(v) >= 1000) return compactFmt.format(v);
    return numberFmt.format(v);
  }
  function label(kind, x) {
    if (kind === "month" && /^\d{4}-\d{2}$/.test(x)) return monthFmt.format(new Date(x + "-01T00:00:00Z"));
    return String(x).replace(/_/g, " ");
  }
  function csvCell(v) {
    if (v === null || v === undefined) return "";
    var s = String(v);
    if (typeof v === "string" && /^[=+\-@\t\r]/.test(s)) s = "'" + s; // no spreadsheet formulas
    return /[",\n;]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  function download(name, href) {
    var a = el("a", { href: href, download: name });
    document.body.appendChild(a); a.click(); a.remove();
  }
  function downloadCsv(name, rows) {
    var text = "\ufeff" + rows.map(function (r) { return r.map(csvCell).join(","); }).join("\r\n");
    var url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
    download(name, url);
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  /* the chart's data as rows: the table, the CSV and the keyboard read them */
  function chartRows(spec) {
    if (spec.kind === "sankey") {
      var names = {}; spec.nodes.forEach(function (n) { names[n.name] = n.label; });
      return [[S.from, S.to, S.value]].concat(spec.links.map(function (l) { return [names[l.source] || l.source, names[l.target] || l.target, l.value]; }));
    }
    if (spec.kind === "heatmap") return [[S.row, S.column, S.value]].concat(spec.cells.map(function (c) { return [spec.y[c[1]], spec.x[c[0]], c[2]]; }));
    var head = [""];
    spec.series.forEach(function (s) {
      head.push(s.name);
      if (s.low) { head.push(s.name + " " + S.low); head.push(s.name + " " + S.high); }
      if (s.n) head.push(S.answers);
    });
    var rows = [head];
    spec.x.forEach(function (x, i) {
      var row = [x];
      spec.series.forEach(function (s) {
        row.push(s.values[i]);
        if (s.low) { row.push(s.low[i]); row.push(s.high[i]); }
        if (s.n) row.push(s.n[i]);
      });
      rows.push(row);
    });
    return rows;
  }

  function echartsOption(spec, width) {
    var unit = spec.unit, kind = spec.kind, narrow = width < 520;
    var xs = spec.x.map(function (x, i) { return label(spec.x_kind, x) + (spec.partial === i ? " *" : ""); });
    var base = { aria: { enabled: true, label: { description: spec.title + (spec.description ? ". " + spec.description : "") } }, animation: false, textStyle: { fontFamily: "inherit" },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      tooltip: { trigger: kind === "sankey" || kind === "heatmap" ? "item" : "axis", confine: true,
                 valueFormatter: function (v) { return fmtValue(unit, v); } },
      legend: spec.series.length > 1 ? { top: 0, type: "scroll" } : undefined };
    if (kind === "sankey") {
      base.series = [{ type: "sankey", left: 8, right: narrow ? 110 : 90, top: 8, bottom: narrow ? 24 : 8, nodeAlign: "left",
        orient: narrow ? "vertical" : "horizontal", emphasis: { focus: "adjacency" },
        data: spec.nodes.map(function (n) { return { name: n.name, label: { formatter: n.label } }; }),
        links: spec.links, lineStyle: { color: "gradient", opacity: 0.4 }, label: { fontSize: 11, position: narrow ? "right" : "right" } }];
      return base;
    }
    if (kind === "heatmap") {
      var max = Math.max.apply(null, spec.cells.map(function (c) { return c[2]; }).concat([1]));
      base.grid.bottom = 48;
      base.xAxis = { type: "category", data: spec.x, name: "", splitArea: { show: true } };
      base.yAxis = { type: "category", data: spec.y.map(function (y) { return label("month", y); }), inverse: true };
      base.visualMap = { min: 0, max: max, calculable: false, orient: "horizontal", left: "center", bottom: 0, itemHeight: 80,
                         inRange: { color: ["#f0f6fc", "#1f5f99"] }, text: [fmtValue(unit, max), fmtValue(unit, 0)], formatter: function (v) { return fmtValue(unit, v); } };
      base.series = [{ type: "heatmap", data: spec.cells, label: { show: false } }];
      return base;
    }
    var turn = narrow && spec.x_kind !== "month" && xs.length > 3 ? 35 : 0;
    var catAxis = { type: "category", data: xs, axisLabel: { hideOverlap: true, interval: turn ? 0 : "auto", rotate: turn },
                    axisTick: { alignWithLabel: true } };
    var valAxis = { type: "value", axisLabel: { formatter: function (v) { return fmtValue(unit, v, true); } },
                    splitNumber: 4, scale: kind === "band" && unit !== "points" };
    if (kind === "band" && unit === "percent") { valAxis.max = 100; } // a share cannot pass 100 %
    if (kind === "hbar") { catAxis.inverse = true; catAxis.axisLabel = { width: 110, overflow: "truncate" }; base.xAxis = valAxis; base.yAxis = catAxis; }
    else { base.xAxis = catAxis; base.yAxis = valAxis; }
    base.series = [];
    spec.series.forEach(function (s, k) {
      if (kind === "band") {
        base.series.push({ type: "line", name: s.name + " " + S.low, data: s.low, stack: "band" + k, stackStrategy: "all", lineStyle: { opacity: 0 }, symbol: "none", tooltip: { show: false } });
        base.series.push({ type: "line", name: s.name + " " + S.interval, data: s.high.map(function (h, i) { return h - s.low[i]; }), stack: "band" + k, stackStrategy: "all",
                           lineStyle: { opacity: 0 }, symbol: "none", areaStyle: { color: "#9ecae1", opacity: 0.5 }, tooltip: { show: false } });
        base.series.push({ type: "line", name: s.name, data: s.values, symbolSize: 5, color: "#1f5f99" });
        base.legend = undefined;
        return;
      }
      var data = s.values.map(function (v, i) {
        return spec.partial === i ? { value: v, itemStyle: { opacity: 0.45, decal: { symbol: "rect", dashArrayX: [1, 0], dashArrayY: [2, 4], rotation: 0.8 } } } : v;
      });
      base.series.push({ type: kind === "line" ? "line" : "bar", name: s.name, data: data, symbolSize: 5,
                         barMaxWidth: 28, connectNulls: false });
    });
    if (spec.partial !== null && spec.partial !== undefined && base.series.length) {
      base.series[0].markArea = { silent: true, itemStyle: { color: "rgba(120,120,120,0.10)" },
        label: { show: true, position: "insideTop", formatter: S.partial, color: "#555", fontSize: 11 },
        data: [[{ xAxis: xs[spec.partial] }, { xAxis: xs[spec.partial] }]] };
    }
    return base;
  }

  function renderChart(spec, parent) {
    var fig = el("figure", { class: "chart", id: "chart-" + spec.id });
    var titleId = "t-" + spec.id, descId = "d-" + spec.id;
    fig.appendChild(el("figcaption", { id: titleId, class: "chart-title" }, spec.title));
    if (spec.description) fig.appendChild(el("p", { id: descId, class: "muted small" }, spec.description));
    var empty = spec.kind === "sankey" ? !spec.links.length : spec.kind === "heatmap" ? !spec.cells.length : !spec.x.length;
    if (empty) { fig.appendChild(el("p", { class: "empty" }, S.empty)); parent.appendChild(fig); return; }
    var box = el("div", { class: "chart-box" + (spec.kind === "hbar" ? " tall" : ""), tabindex: "0", role: "img",
                          "aria-labelledby": titleId, "aria-describedby": descId + " k-" + spec.id });
    if (spec.kind === "hbar") box.style.height = Math.max(220, 34 * spec.x.length + 60) + "px";
    if (spec.kind === "sankey" && parent.clientWidth < 520) box.style.height = "440px";
    if (spec.kind === "heatmap") box.style.height = Math.max(260, 22 * spec.y.length + 90) + "px";
    fig.appendChild(box);
    fig.appendChild(el("p", { id: "k-" + spec.id, class: "sr-only" }, S.chart_keys));
    var tools = el("div", { class: "chart-tools" });
    var csv = el("button", { type: "button" }, S.csv), png = el("button", { type: "button" }, S.png);
    tools.appendChild(csv); tools.appendChild(png);
    fig.appendChild(tools);
    var rows = chartRows(spec);
    var details = el("details", { class: "data" });
    details.appendChild(el("summary", null, S.data + ": " + spec.title));
    details.appendChild(plainTable(rows, spec));
    fig.appendChild(details);
    parent.appendChild(fig);
    var chart = echarts.init(box, null, { renderer: "canvas" });
    chart.setOption(echartsOption(spec, box.clientWidth));
    charts.push(chart);
    csv.addEventListener("click", function () { downloadCsv(spec.id + ".csv", rows); });
    png.addEventListener("click", function () { download(spec.id + ".png", chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" })); });
    var at = -1, count = spec.kind === "sankey" ? spec.links.length : spec.kind === "heatmap" ? spec.cells.length : spec.x.length;
    box.addEventListener("keydown", function (e) {
      if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
      e.preventDefault();
      at = (at + (e.key === "ArrowRight" ? 1 : count - 1)) % count;
      var seriesIndex = spec.kind === "band" ? 2 : 0;
      chart.dispatchAction({ type: "showTip", seriesIndex: seriesIndex, dataIndex: at });
    });
    box.addEventListener("blur", function () { chart.dispatchAction({ type: "hideTip" }); });
  }

  function plainTable(rows, spec) {
    var wrap = el("div", { class: "table-wrap" });
    var t = el("table");
    var head = el("tr");
    rows[0].forEach(function (h) { head.appendChild(el("th", { scope: "col" }, h)); });
    t.appendChild(el("thead")).appendChild(head);
    var body = el("tbody");
    rows.slice(1).forEach(function (r) {
      var tr = el("tr");
      r.forEach(function (v, i) {
        var text = i === 0 && spec.x_kind ? label(spec.x_kind, v) : typeof v === "number" ? fmtValue(spec.unit, v) : v;
        tr.appendChild(el(i === 0 ? "th" : "td", i === 0 ? { scope: "row" } : { class: "num" }, text));
      });
      body.appendChild(tr);
    });
    t.appendChild(body);
    wrap.appendChild(t);
    return wrap;
  }

  function renderTable(block, parent) {
    var wrap = el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": block.caption });
    var t = el("table", { id: "table-" + block.id });
    t.appendChild(el("caption", null, block.caption));
    var head = el("tr");
    block.columns.forEach(function (c) { head.appendChild(el("th", { scope: "col", class: c.numeric ? "num" : null }, c.label)); });
    t.appendChild(el("thead")).appendChild(head);
    var body = el("tbody");
    if (!block.rows.length) {
      var tr0 = el("tr"); tr0.appendChild(el("td", { colspan: String(block.columns.length), class: "empty" }, S.empty)); body.appendChild(tr0);
    }
    block.rows.forEach(function (row) {
      var tr = el("tr");
      block.columns.forEach(function (c) {
        var cell = row[c.key] || { text: "" };
        var td = el("td", { class: c.numeric ? "num" : null, "data-col": c.key, "data-value": cell.value === null || cell.value === undefined ? "" : String(cell.value) });
        if (cell.href) td.appendChild(el("a", { href: cell.href }, cell.text)); else td.textContent = cell.text;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    t.appendChild(body);
    wrap.appendChild(t);
    parent.appendChild(wrap);
  }

  function renderCards(block, parent) {
    var list = el("ul", { class: "cards" });
    block.items.forEach(function (c) {
      var li = el("li", { class: "card", "data-kpi": c.key, "data-value": c.value === null || c.value === undefined ? "" : String(c.value) });
      li.appendChild(el("span", { class: "card-label" }, c.label));
      li.appendChild(el("strong", { class: "card-value" }, c.text));
      if (c.note) li.appendChild(el("span", { class: "muted small" }, c.note));
      list.appendChild(li);
    });
    parent.appendChild(list);
  }

  function renderPersonas(block, parent) {
    var list = el("div", { class: "personas" });
    block.items.forEach(function (p) {
      var card = el("article", { class: "persona", "aria-labelledby": "persona-" + p.id });
      card.appendChild(el("h3", { id: "persona-" + p.id }, p.name));
      card.appendChild(el("p", { class: "muted small" }, p.stats));
      if (p.summary) card.appendChild(el("p", null, p.summary));
      p.quotes.forEach(function (q) {
        var bq = el("blockquote", { lang: q.lang || null }, "“" + q.text + "”");
        if (q.theme) bq.appendChild(el("span", { class: "muted small" }, " · " + q.theme));
        card.appendChild(bq);
      });
      list.appendChild(card);
    });
    parent.appendChild(list);
  }

  function renderTimeline(block, parent) {
    var ol = el("ol", { class: "timeline" });
    block.items.forEach(function (i) {
      var li = el("li");
      li.appendChild(el("time", { datetime: i.at }, i.when));
      li.appendChild(el("span", { class: "kind" }, i.kind));
      li.appendChild(el("span", { lang: i.lang || null }, i.text));
      ol.appendChild(li);
    });
    if (!block.items.length) ol.appendChild(el("li", { class: "empty" }, S.empty));
    parent.appendChild(ol);
  }

  function renderVerbatims(block, parent) {
    var form = el("form", { class: "inline-form", role: "search" });
    var q = el("input", { type: "search", name: "q", value: block.search, id: "verbatim-q" });
    var ql = el("label", { for: "verbatim-q" }, S.search);
    var sel = el("select", { name: "vlang", id: "verbatim-lang" });
    sel.appendChild(el("option", { value: "" }, S.all));
    block.languages.forEach(function (l) {
      var o = el("option", { value: l.code }, (l.name || l.code) + " (" + numberFmt.format(l.n) + ")");
      if (l.code === block.language) o.selected = true;
      sel.appendChild(o);
    });
    form.appendChild(ql); form.appendChild(q);
    form.appendChild(el("label", { for: "verbatim-lang" }, S.language)); form.appendChild(sel);
    form.appendChild(el("button", { type: "submit" }, S.search));
    var list = el("ul", { class: "verbatims", id: "verbatims" });
    function fill(items) {
      list.textContent = "";
      if (!items.length) list.appendChild(el("li", { class: "empty" }, S.empty));
      items.forEach(function (v) {
        var li = el("li", { class: "verbatim sentiment-" + (v.sentiment_key || "none") });
        li.appendChild(el("p", { lang: v.lang || null, class: "verbatim-text" }, v.text));
        li.appendChild(el("p", { class: "muted small" }, [v.when, v.source, v.lang, v.sentiment, v.themes.join(", ")].filter(Boolean).join(" · ")));
        list.appendChild(li);
      });
    }
    fill(block.items);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var extra = { q: q.value, vlang: sel.value };
      history.replaceState(null, "", location.pathname + "?" + query(extra));
      fetch(config.api + "?" + query(extra), { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
        data.sections.forEach(function (s) { s.blocks.forEach(function (b) { if (b.type === "verbatims") fill(b.items); }); });
      });
    });
    parent.appendChild(form);
    parent.appendChild(list);
  }

  function renderFunnel(block, parent) {
    var form = el("form", { class: "funnel-form" });
    var picks = [];
    for (var i = 0; i < 4; i++) {
      var id = "step-" + (i + 1), sel = el("select", { id: id, name: id });
      if (i >= 2) sel.appendChild(el("option", { value: "" }, "(" + S.none + ")"));
      block.events.forEach(function (name) {
        var o = el("option", { value: name }, (block.event_labels && block.event_labels[name]) || name);
        if (block.default[i] === name) o.selected = true;
        sel.appendChild(o);
      });
      if (i >= 2 && !block.default[i]) sel.value = "";
      var lab = el("label", { for: id }, S.step + " " + (i + 1));
      var wrap = el("div"); wrap.appendChild(lab); wrap.appendChild(sel); form.appendChild(wrap);
      picks.push(sel);
    }
    function choice(name, values, labels) {
      var sel = el("select", { id: "funnel-" + name, name: name });
      values.forEach(function (v) { sel.appendChild(el("option", { value: v }, (labels && labels[v]) || v || S.none)); });
      var wrap = el("div"); wrap.appendChild(el("label", { for: "funnel-" + name }, block.labels[name])); wrap.appendChild(sel); form.appendChild(wrap);
      return sel;
    }
    var win = choice("window", block.windows, block.window_labels || {}); win.value = "7d";
    var order = choice("order", block.orders, block.labels);
    var by = choice("by", block.breakdowns, block.breakdown_labels || {});
    var go = el("button", { type: "submit" }, S.run); form.appendChild(go);
    var out = el("div", { class: "funnel-out", id: "funnel-out" });
    function run() {
      var steps = picks.map(function (p) { return p.value; }).filter(Boolean);
      var params = query({ steps: steps.join("|"), window: win.value, order: order.value, by: by.value });
      out.setAttribute("aria-busy", "true");
      fetch("/api/dash/funnel?" + params, { credentials: "same-origin" }).then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); }).then(function (res) {
        out.textContent = "";
        out.removeAttribute("aria-busy");
        if (!res[0]) { out.appendChild(el("p", { class: "error", role: "alert" }, res[1].error)); return; }
        renderChart(res[1].chart, out);
        renderTable(res[1].table, out);
      });
    }
    form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
    parent.appendChild(form);
    parent.appendChild(out);
    run();
  }

  var RENDER = { chart: renderChart, table: renderTable, cards: renderCards, personas: renderPersonas, timeline: renderTimeline,
                 verbatims: renderVerbatims, funnel: renderFunnel,
                 text: function (b, p) { p.appendChild(el("p", { class: "words" }, b.text)); },
                 list: function (b, p) { var ul = el("ul", { class: "words" }); b.items.forEach(function (i) { ul.appendChild(el("li", null, i)); }); p.appendChild(ul); },
                 facts: function (b, p) { var dl = el("dl", { class: "facts" }); b.items.forEach(function (f) { dl.appendChild(el("dt", null, f[0])); dl.appendChild(el("dd", null, f[1] || "–")); }); p.appendChild(dl); } };

  function render(data) {
    var page = document.getElementById("page");
    page.textContent = "";
    if (data.title) { document.getElementById("page-title").textContent = data.title; }
    var toc = el("nav", { class: "toc", "aria-label": data.title });
    var tl = el("ul");
    data.sections.forEach(function (s) { var li = el("li"); li.appendChild(el("a", { href: "#" + s.id }, s.title)); tl.appendChild(li); });
    toc.appendChild(tl);
    if (data.sections.length > 1) page.appendChild(toc);
    data.sections.forEach(function (s) {
      var sec = el("section", { id: s.id, "aria-labelledby": "h-" + s.id });
      sec.appendChild(el("h2", { id: "h-" + s.id }, s.title));
      if (s.intro) sec.appendChild(el("p", { class: "muted" }, s.intro));
      page.appendChild(sec); // in the document first: a chart measures its box when it is drawn
      s.blocks.forEach(function (b) { (RENDER[b.type] || function () {})(b, sec); });
    });
    page.setAttribute("aria-busy", "false");
    document.body.setAttribute("data-loaded", "true");
  }

  function start() {
    fetch(config.api + "?" + query(), { credentials: "same-origin" }).then(function (r) {
      if (r.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search); return null; }
      return r.json().then(function (j) { return [r.ok, j]; });
    }).then(function (res) {
      if (!res) return;
      if (!res[0]) {
        var page = document.getElementById("page"); page.textContent = "";
        page.appendChild(el("p", { class: "error", role: "alert" }, res[1].error || S.error));
        page.setAttribute("aria-busy", "false");
        document.body.setAttribute("data-loaded", "true");
        return;
      }
      render(res[1]);
    });
    var pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 150);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
