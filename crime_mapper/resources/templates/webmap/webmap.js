/* crime_mapper web map: one record per map point, counts by (category, month), drawn on one
 * canvas with on-the-fly grid clustering.
 *
 * Why not a marker per crime or a prebuilt cluster index: a filter change must recount and
 * redraw in milliseconds at 500,000 crimes. Recounting is one pass over small typed arrays;
 * clustering is a pass over the points in view, binned into screen cells, so nothing is
 * rebuilt when the filter changes (supercluster would need a new index: seconds).
 *
 * Every text reaches the page through textContent or createTextNode, never innerHTML, so a
 * label such as <img src=x onerror=...> shows as text (Leaflet's attribution control, which
 * writes HTML, is given its texts escaped: asHtmlText). Each street label and area name is
 * isolated for bidi where it is shown (a <bdi> element: withNames), so right-to-left letters
 * in one cannot reorder the words, punctuation and counts beside it. Plain ES5-style script
 * (no modules): the page must work from file://.
 */
(function () {
  "use strict";
  var D = window.CM_DATA;
  var C = window.CM_CONFIG;
  var A = window.CM_AREAS || null;
  var nM = D.months.length;
  var nC = D.categories.length;
  var positions = decodePositions(D.points);
  var nP = positions.lon.length;
  var nAreas = D.areas.length;

  // ---- typed arrays ------------------------------------------------------------------------
  function prefix(counts) {
    var off = new Uint32Array(counts.length + 1);
    for (var i = 0; i < counts.length; i++) off[i + 1] = off[i] + counts[i];
    return off;
  }
  // The positions: one string of letters (core/common/position_codec.py says why and how):
  // per point the longitude then the latitude, each the step in micro-degrees from the point
  // before, zigzag-mapped, in base 26, least significant digit first, the last digit
  // upper-case. Arithmetic, not bit operations: exact to 2^53, where bit operations stop at
  // 32 bits (a step is at most 720,000,000 as a zigzag number, but seven digits reach 8e9).
  function decodePositions(points) {
    if (points.encoding !== "lonlat-e6-delta-base26") {
      throw new Error("crime_mapper: unknown position encoding " + points.encoding);
    }
    var text = points.coordinates, values = [], z = 0, scale = 1;
    for (var k = 0; k < text.length; k++) {
      var ch = text.charCodeAt(k);
      if (ch >= 97 && ch <= 122) { z += (ch - 97) * scale; scale *= 26; continue; }
      if (ch < 65 || ch > 90) throw new Error("crime_mapper: damaged positions at " + k);
      z += (ch - 65) * scale;
      values.push(z % 2 === 0 ? z / 2 : -(z + 1) / 2);
      z = 0; scale = 1;
    }
    if (scale !== 1 || values.length % 2) throw new Error("crime_mapper: damaged positions");
    var n = values.length / 2, lonA = new Float64Array(n), latA = new Float64Array(n);
    var x = 0, y = 0;
    for (var p = 0; p < n; p++) {
      x += values[2 * p]; y += values[2 * p + 1];
      lonA[p] = x / 1e6; latA[p] = y / 1e6;  // (the nearest double: as parseFloat of the text)
    }
    return { lon: lonA, lat: latA };
  }
  // The per-point and per-entry arrays: whole numbers in letters (core/common/letter_digits.py
  // says why and how): base 26, least significant digit first, the last digit upper-case.
  function decodeNaturals(field, Typed) {
    if (!field || field.encoding !== "naturals-base26") {
      throw new Error("crime_mapper: unknown number encoding " + (field && field.encoding));
    }
    var text = field.values, n = 0, k;
    for (k = 0; k < text.length; k++) {
      var c = text.charCodeAt(k);
      if (c >= 65 && c <= 90) n++;
    }
    var out = new Typed(n), z = 0, scale = 1, at = 0;
    for (k = 0; k < text.length; k++) {
      var ch = text.charCodeAt(k);
      if (ch >= 97 && ch <= 122) { z += (ch - 97) * scale; scale *= 26; continue; }
      if (ch < 65 || ch > 90) throw new Error("crime_mapper: damaged numbers at " + k);
      out[at++] = z + (ch - 65) * scale;
      z = 0; scale = 1;
    }
    if (scale !== 1) throw new Error("crime_mapper: damaged numbers");
    return out;
  }
  function pos(p) { return [positions.lon[p], positions.lat[p]]; }
  var mx = new Float64Array(nP);
  var my = new Float64Array(nP);
  for (var i = 0; i < nP; i++) {
    var lon = positions.lon[i], lat = positions.lat[i];
    mx[i] = (lon + 180) / 360;
    var s = Math.sin(lat * Math.PI / 180);
    my[i] = 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
  }
  var pArea = decodeNaturals(D.point_area, Int32Array);
  var pLabel = decodeNaturals(D.point_label, Int32Array);
  var eOff = prefix(decodeNaturals(D.point_n, Uint32Array));
  var eKey = decodeNaturals(D.entry_key, Uint16Array);
  var eCnt = decodeNaturals(D.entry_count, Uint32Array);
  var oOff = prefix(decodeNaturals(D.outcome_n, Uint32Array));
  var oKey = decodeNaturals(D.outcome_key, Uint32Array);
  var oCnt = decodeNaturals(D.outcome_count, Uint32Array);
  var pCount = new Uint32Array(nP);
  var pTop = new Uint8Array(nP);

  // ---- state -------------------------------------------------------------------------------
  var state = { len: 1, end: nM - 1, cats: new Uint8Array(nC), areasMode: "count" };
  for (var c = 0; c < nC; c++) state.cats[c] = 1;
  var monthSel = new Uint8Array(nM);
  var catCount = new Float64Array(nC);
  var monthCount = new Float64Array(nM);
  var areaCat = new Float64Array(nAreas * nC);
  var areaTotal = new Float64Array(nAreas);
  var totalShown = 0, totalNoLoc = 0, placesShown = 0;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svgEl(tag, attrs) {
    var e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]);
    return e;
  }
  var nf = new Intl.NumberFormat("en-GB");
  function fmt(n) { return nf.format(n); }
  // a rate to one decimal place, with the thousands separated as every count is ("1,204.5")
  var nf1 = new Intl.NumberFormat("en-GB", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  function fmt1(x) { return nf1.format(x); }
  var TREND_SLOTS = 12;  // the trend chart's least number of month slots
  var TREND_LABEL_WIDTH = 24;  // chart units a month's name under its bar needs
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"];
  // a month as read aloud and in text ("October 2022"; "Oct 2022" is read as a word); only
  // the chart's axis, short of room, names months by three letters
  function monthText(m) {
    return MONTHS[parseInt(m.slice(5, 7), 10) - 1] + " " + m.slice(0, 4);
  }
  function periodText() {
    var start = Math.max(0, state.end - state.len + 1);
    if (start === state.end) return monthText(D.months[state.end]);
    return monthText(D.months[start]) + " to " + monthText(D.months[state.end]);
  }
  // ``e`` given ``parts`` in order, each as text: the page's own words at even positions, a
  // street label or an area name at odd ones, each in its own <bdi> (isolated for bidi: in a
  // right-to-left name, its letters would otherwise carry the comma, colon or count beside it
  // to the other side: "On or near <Hebrew>, Leicester: 3 crimes" read out of order).
  function withNames(e, parts) {
    for (var i = 0; i < parts.length; i++) {
      if (i % 2) e.appendChild(el("bdi", null, parts[i]));
      else if (parts[i]) e.appendChild(document.createTextNode(parts[i]));
    }
    return e;
  }
  // A place's name, as withNames parts: "On or near " and its label, or the words for none
  // (C.no_street: the export's one wording, also the summaries')
  function placeParts(p) {
    var label = D.labels[pLabel[p]];
    return label ? ["On or near ", label] : [C.no_street];
  }

  // ---- counting ----------------------------------------------------------------------------
  function recount() {
    var start = Math.max(0, state.end - state.len + 1);
    for (var m = 0; m < nM; m++) monthSel[m] = (m >= start && m <= state.end) ? 1 : 0;
    var cats = state.cats;
    catCount.fill(0); monthCount.fill(0); areaCat.fill(0); areaTotal.fill(0);
    var catAt = new Float64Array(nC);
    totalShown = 0; placesShown = 0;
    for (var p = 0; p < nP; p++) {
      var sum = 0, a = pArea[p] * nC, best = -1, bestV = 0;
      var e1 = eOff[p + 1];
      for (var e = eOff[p]; e < e1; e++) {
        var k = eKey[e], c = (k / nM) | 0, mm = k - c * nM, v = eCnt[e];
        if (cats[c]) monthCount[mm] += v;
        if (!monthSel[mm]) continue;
        catCount[c] += v;
        if (!cats[c]) continue;
        sum += v; areaCat[a + c] += v;
        catAt[c] += v;
        if (catAt[c] > bestV) { bestV = catAt[c]; best = c; }
      }
      if (sum) {
        for (var e2 = eOff[p]; e2 < e1; e2++) catAt[(eKey[e2] / nM) | 0] = 0;
        placesShown++;
      }
      pCount[p] = sum; pTop[p] = best < 0 ? 0 : best;
      totalShown += sum; areaTotal[pArea[p]] += sum;
    }
    totalNoLoc = 0;
    var na = D.nolocation_area;
    for (var j = 0; j < D.nolocation_key.length; j++) {
      var k2 = D.nolocation_key[j], c2 = (k2 / nM) | 0, m2 = k2 - c2 * nM, v2 = D.nolocation_count[j];
      if (cats[c2]) monthCount[m2] += v2;
      if (!monthSel[m2]) continue;
      catCount[c2] += v2;
      if (!cats[c2]) continue;
      totalNoLoc += v2;
      if (na >= 0) { areaCat[na * nC + c2] += v2; areaTotal[na] += v2; }
    }
  }

  // ---- map ---------------------------------------------------------------------------------
  // A reader whose system asks for less motion gets a map that jumps instead of gliding:
  // Leaflet itself does not ask (WCAG 2.3.3). Zooms, fades and the drag's coasting all stop.
  var reduceMotion = !!(window.matchMedia &&
    window.matchMedia("(prefers-reduced-motion: reduce)").matches);
  var map = L.map("map", { zoomControl: true, keyboard: true, preferCanvas: true,
    minZoom: 4, maxZoom: 18, worldCopyJump: false, closePopupOnClick: true,
    zoomAnimation: !reduceMotion, fadeAnimation: !reduceMotion,
    markerZoomAnimation: !reduceMotion, inertia: !reduceMotion });
  // Leaflet writes attributions into the page as HTML: each is handed over escaped (a tile
  // service's attribution is the analyst's text, never markup)
  function asHtmlText(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(asHtmlText(C.data_attribution));
  if (C.tiles && C.tiles.url) {
    L.tileLayer(C.tiles.url, { maxZoom: C.tiles.max_zoom || 19,
      attribution: asHtmlText(C.tiles.attribution),
      crossOrigin: false, referrerPolicy: "no-referrer" }).addTo(map);
  }
  var mapEl = document.getElementById("map");
  mapEl.setAttribute("tabindex", "0");
  mapEl.appendChild(el("div", { "class": "cm-crosshair", "aria-hidden": "true" }));

  var CELL = 64; // px: cluster cell size
  var NO_CLUSTER_ZOOM = 16;
  var drawn = []; // [x, y, r, kind(0 point, 1 cluster), point or list, count] in container px
  var PointsLayer = L.Layer.extend({
    onAdd: function (m) {
      this._canvas = L.DomUtil.create("canvas", "cm-points leaflet-zoom-hide");
      this._canvas.setAttribute("aria-hidden", "true");
      m.getPanes().overlayPane.appendChild(this._canvas);
      m.on("moveend zoomend resize viewreset", this.redraw, this);
      this.redraw();
    },
    onRemove: function (m) {
      L.DomUtil.remove(this._canvas);
      m.off("moveend zoomend resize viewreset", this.redraw, this);
    },
    redraw: function () { draw(this._canvas); }
  });
  var pointsLayer = new PointsLayer();

  function shapePath(ctx, shape, x, y, r) {
    ctx.beginPath();
    if (shape === "triangle") {
      ctx.moveTo(x, y - r * 1.15); ctx.lineTo(x + r, y + r * 0.75); ctx.lineTo(x - r, y + r * 0.75);
    } else if (shape === "square") {
      ctx.rect(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7);
    } else if (shape === "diamond") {
      ctx.moveTo(x, y - r * 1.15); ctx.lineTo(x + r * 1.15, y); ctx.lineTo(x, y + r * 1.15); ctx.lineTo(x - r * 1.15, y);
    } else if (shape === "star") {
      for (var i = 0; i < 10; i++) {
        var rr = i % 2 ? r * 0.5 : r * 1.2, ang = -Math.PI / 2 + i * Math.PI / 5;
        var px = x + rr * Math.cos(ang), py = y + rr * Math.sin(ang);
        if (i) ctx.lineTo(px, py); else ctx.moveTo(px, py);
      }
    } else {
      ctx.arc(x, y, r, 0, Math.PI * 2);
    }
    ctx.closePath();
  }

  function draw(canvas) {
    var size = map.getSize();
    var dpr = window.devicePixelRatio || 1;
    var topLeft = map.containerPointToLayerPoint([0, 0]);
    L.DomUtil.setPosition(canvas, topLeft);
    canvas.width = size.x * dpr; canvas.height = size.y * dpr;
    canvas.style.width = size.x + "px"; canvas.style.height = size.y + "px";
    var ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, size.x, size.y);
    drawn = [];
    var zoom = map.getZoom();
    var scale = 256 * Math.pow(2, zoom);
    var origin = map.getPixelBounds().min; // global pixel of container (0, 0)
    var ox = origin.x, oy = origin.y, pad = 40, w = size.x, h = size.y;
    var cluster = zoom < NO_CLUSTER_ZOOM;
    var cells = new Map();
    var singles = [];
    for (var p = 0; p < nP; p++) {
      var n = pCount[p];
      if (!n) continue;
      var x = mx[p] * scale - ox, y = my[p] * scale - oy;
      if (x < -pad || y < -pad || x > w + pad || y > h + pad) continue;
      if (!cluster) { singles.push(p); continue; }
      var key = Math.floor((x + ox) / CELL) * 1048576 + Math.floor((y + oy) / CELL);
      var cell = cells.get(key);
      if (!cell) { cell = [0, 0, 0, []]; cells.set(key, cell); }
      cell[0] += n; cell[1] += x * n; cell[2] += y * n; cell[3].push(p);
    }
    // cells -> clusters; then merge clusters whose circles would overlap (largest first)
    var list = [];
    cells.forEach(function (cell) {
      if (cell[3].length === 1) { singles.push(cell[3][0]); return; }
      list.push({ n: cell[0], sx: cell[1], sy: cell[2], pts: cell[3] });
    });
    list.sort(function (a, b) { return b.n - a.n; });
    var merged = [];
    for (var li = 0; li < list.length; li++) {
      var it = list[li], cx0 = it.sx / it.n, cy0 = it.sy / it.n, host = null;
      for (var mj = 0; mj < merged.length; mj++) {
        var m = merged[mj], dx = m.sx / m.n - cx0, dy = m.sy / m.n - cy0;
        var reach = clusterRadius(m.n) + clusterRadius(it.n) + 2;
        if (dx * dx + dy * dy < reach * reach) { host = m; break; }
      }
      if (host) { host.n += it.n; host.sx += it.sx; host.sy += it.sy; host.pts = host.pts.concat(it.pts); }
      else merged.push(it);
    }
    merged.forEach(function (cl) {
      var n = cl.n, cx = cl.sx / n, cy = cl.sy / n;
      var r = clusterRadius(n);
      ctx.beginPath(); ctx.arc(cx, cy, r, 0, Math.PI * 2);
      ctx.fillStyle = "rgba(255,255,255,0.92)"; ctx.fill();
      ctx.lineWidth = 3; ctx.strokeStyle = "#23395d"; ctx.stroke();
      ctx.fillStyle = "#1a1a1a";
      // at most five characters fit a circle: 9,999, then 10k ... 999k (the help says k),
      // thousands separated as every count on the page is (a bare "12345" misreads)
      ctx.font = "bold 12px system-ui, sans-serif";
      ctx.textAlign = "center"; ctx.textBaseline = "middle";
      ctx.fillText(clusterText(n), cx, cy);
      drawn.push([cx, cy, r, 1, cl.pts, n]);
    });
    for (var i = 0; i < singles.length; i++) {
      var q = singles[i], nq = pCount[q];
      var sx = mx[q] * scale - ox, sy = my[q] * scale - oy;
      var cat = D.categories[pTop[q]];
      var rq = Math.min(16, 6 + 2.2 * Math.log(nq));
      shapePath(ctx, cat.marker, sx, sy, rq);
      ctx.fillStyle = cat.colour; ctx.fill();
      ctx.lineWidth = 1.5; ctx.strokeStyle = C.outline; ctx.stroke();
      if (nq > 1) {
        ctx.font = "bold 11px system-ui, sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "middle";
        ctx.lineWidth = 3; ctx.strokeStyle = "#ffffff"; ctx.strokeText(fmt(nq), sx, sy);
        ctx.fillStyle = "#1a1a1a"; ctx.fillText(fmt(nq), sx, sy);
      }
      drawn.push([sx, sy, Math.max(rq, 10), 0, q, nq]);
    }
  }

  function clusterRadius(n) { return Math.min(24, 10 + 2.2 * Math.log(n)); }
  function clusterText(n) { return n >= 10000 ? fmt(Math.round(n / 1000)) + "k" : fmt(n); }
  function hit(x, y) {
    var best = null, bestD = Infinity;
    for (var i = 0; i < drawn.length; i++) {
      var d = drawn[i], dx = d[0] - x, dy = d[1] - y, dd = dx * dx + dy * dy;
      if (dd <= d[2] * d[2] && dd < bestD) { best = d; bestD = dd; }
    }
    return best;
  }
  function nearestTo(x, y) {
    var best = null, bestD = Infinity;
    for (var i = 0; i < drawn.length; i++) {
      var d = drawn[i], dx = d[0] - x, dy = d[1] - y, dd = dx * dx + dy * dy;
      if (dd < bestD) { best = d; bestD = dd; }
    }
    return best;
  }
  function boundsOf(points) {
    var b = L.latLngBounds([]);
    for (var i = 0; i < points.length; i++) {
      var c = pos(points[i]); b.extend([c[1], c[0]]);
    }
    return b;
  }
  function activate(item) {
    if (!item) return;
    if (item[3] === 1) {
      var b = boundsOf(item[4]);
      var z = Math.min(map.getBoundsZoom(b.pad(0.1)), map.getZoom() + 3, NO_CLUSTER_ZOOM);
      if (z <= map.getZoom()) z = map.getZoom() + 1;
      map.setView(b.getCenter(), z);
    } else {
      openPointPopup(item[4]);
    }
  }

  // ---- popups ------------------------------------------------------------------------------
  var lastFocus = null;
  function shapeSvg(cat, size) {
    var s = size || 16, svg = svgEl("svg", { width: s, height: s, viewBox: "-10 -10 20 20",
      "aria-hidden": "true", focusable: "false", "class": "shape" });
    var d;
    if (cat.marker === "triangle") d = "M0,-9 L8,6 L-8,6 Z";
    else if (cat.marker === "square") d = "M-7,-7 H7 V7 H-7 Z";
    else if (cat.marker === "diamond") d = "M0,-9 L9,0 L0,9 L-9,0 Z";
    else if (cat.marker === "star") d = "M0,-9.5 L2.4,-3.3 L9,-2.9 L3.9,1.3 L5.6,7.7 L0,4.1 L-5.6,7.7 L-3.9,1.3 L-9,-2.9 L-2.4,-3.3 Z";
    else d = "M-8,0 A8,8 0 1,0 8,0 A8,8 0 1,0 -8,0 Z";
    svg.appendChild(svgEl("path", { d: d, fill: cat.colour, stroke: C.outline, "stroke-width": "1.5" }));
    return svg;
  }
  function pointPopupContent(p) {
    var box = el("div", { "class": "cm-popup" });
    var h = withNames(el("h3", { tabindex: "-1" }), placeParts(p));
    box.appendChild(h);
    box.appendChild(withNames(el("p"), ["", D.areas[pArea[p]]]));
    box.appendChild(el("p", null, fmt(pCount[p]) + (pCount[p] === 1 ? " crime" : " crimes") +
      ", " + periodText() + (totalCatsSelected() < nC ? " (selected types)" : "")));
    var byCat = new Float64Array(nC), byMonth = new Float64Array(nM);
    for (var e = eOff[p]; e < eOff[p + 1]; e++) {
      var k = eKey[e], c = (k / nM) | 0, m = k - c * nM;
      if (monthSel[m] && state.cats[c]) { byCat[c] += eCnt[e]; byMonth[m] += eCnt[e]; }
    }
    var t = el("table"); t.appendChild(el("caption", null, "By crime type"));
    var tb = el("tbody");
    for (var c2 = 0; c2 < nC; c2++) {
      if (!byCat[c2]) continue;
      var tr = el("tr"), th = el("th", { scope: "row" });
      th.appendChild(shapeSvg(D.categories[c2], 14));
      th.appendChild(document.createTextNode(D.categories[c2].name));
      tr.appendChild(th); tr.appendChild(el("td", { "class": "num" }, fmt(byCat[c2]))); tb.appendChild(tr);
    }
    t.appendChild(tb); box.appendChild(t);
    if (state.len > 1) {
      var t2 = el("table"); t2.appendChild(el("caption", null, "By month"));
      var tb2 = el("tbody");
      for (var m2 = 0; m2 < nM; m2++) {
        if (!monthSel[m2]) continue;
        var tr2 = el("tr");
        tr2.appendChild(el("th", { scope: "row" }, monthText(D.months[m2])));
        tr2.appendChild(el("td", { "class": "num" }, fmt(byMonth[m2]))); tb2.appendChild(tr2);
      }
      t2.appendChild(tb2); box.appendChild(t2);
    }
    var nO = D.outcomes.length, byOut = new Float64Array(nO);
    var anyOut = false;
    for (var o = oOff[p]; o < oOff[p + 1]; o++) {
      var ok = oKey[o], oi = (ok / nM) | 0, om = ok - oi * nM;
      if (monthSel[om]) { byOut[oi] += oCnt[o]; anyOut = true; }
    }
    if (anyOut) {
      var t3 = el("table"); t3.appendChild(el("caption", null, "Latest outcomes (all crime types)"));
      var tb3 = el("tbody");
      var order = [];
      for (var i3 = 0; i3 < nO; i3++) if (byOut[i3]) order.push(i3);
      order.sort(function (a, b) { return byOut[b] - byOut[a]; });
      for (var j = 0; j < order.length; j++) {
        var tr3 = el("tr");
        tr3.appendChild(el("th", { scope: "row" }, D.outcomes[order[j]]));
        tr3.appendChild(el("td", { "class": "num" }, fmt(byOut[order[j]]))); tb3.appendChild(tr3);
      }
      t3.appendChild(tb3); box.appendChild(t3);
    }
    box.appendChild(el("p", { "class": "hint" }, "The location is approximate: an anonymous map point near where the crimes happened."));
    return box;
  }
  var popup = L.popup({ maxWidth: 320, autoPanPadding: [20, 20] });
  // A popup no larger than the map leaves room for beside the zoom buttons and above the
  // attribution: on a phone the map is some 330 px wide and a 320 px popup ran off both
  // edges, its counts cut off, under the zoom buttons, and past the map's foot (taller, it
  // scrolls within itself).
  var POPUP_CHROME = { x: 46, y: 60 }; // (Leaflet's content margins, border and tip)
  function fitPopup() {
    var size = map.getSize(), zoom = mapEl.querySelector(".leaflet-control-zoom");
    var attribution = mapEl.querySelector(".leaflet-control-attribution");
    var left = zoom ? zoom.offsetLeft + zoom.offsetWidth + 8 : 20;
    var foot = attribution ? attribution.offsetHeight + 8 : 20;
    popup.options.autoPanPaddingTopLeft = L.point(left, 20);
    popup.options.autoPanPaddingBottomRight = L.point(20, foot);
    popup.options.maxWidth = Math.max(160, Math.min(320, size.x - left - 20 - POPUP_CHROME.x));
    popup.options.maxHeight = Math.max(160, size.y - 20 - foot - POPUP_CHROME.y);
  }
  function openPointPopup(p) {
    lastFocus = document.activeElement;
    var c = pos(p);
    fitPopup();
    popup.setLatLng([c[1], c[0]]).setContent(pointPopupContent(p)).openOn(map);
    focusPopup();
  }
  function focusPopup() {
    var node = popup.getElement && popup.getElement();
    var h = node && node.querySelector("h3");
    if (h) h.focus();
    // a popup taller than the map scrolls within itself: reachable by keyboard to scroll
    // (Leaflet keeps one content node from popup to popup: a short one loses the region)
    var content = node && node.querySelector(".leaflet-popup-content");
    if (content && content.classList.contains("leaflet-popup-scrolled")) {
      content.tabIndex = 0; content.setAttribute("role", "region");
      content.setAttribute("aria-label", (h ? h.textContent : "Place") + " (scrolls)");
    } else if (content) {
      content.removeAttribute("tabindex"); content.removeAttribute("role");
      content.removeAttribute("aria-label");
    }
    var close = node && node.querySelector(".leaflet-popup-close-button");
    if (close) { close.setAttribute("aria-label", "Close"); close.setAttribute("role", "button"); }
  }
  map.on("popupclose", function () {
    // (back where the reader was; a search result folded away on a phone: the map)
    if (lastFocus && document.body.contains(lastFocus) && lastFocus.offsetParent !== null) lastFocus.focus();
    else if (lastFocus) mapEl.focus();
    lastFocus = null;
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && map.hasLayer(popup)) map.closePopup();
  });

  map.on("click", function (ev) {
    var pt = ev.containerPoint, item = hit(pt.x, pt.y);
    if (item) { activate(item); return; }
    if (areaLayer) areaClick(ev.latlng);
  });
  mapEl.addEventListener("keydown", function (ev) {
    if (ev.target !== mapEl) return;
    if (ev.key === "Enter" || ev.key === " ") {
      var size = map.getSize();
      var item = nearestTo(size.x / 2, size.y / 2);
      if (item) { ev.preventDefault(); activate(item); }
    }
  });
  mapEl.addEventListener("mousemove", function (ev) {
    var r = mapEl.getBoundingClientRect();
    mapEl.style.cursor = hit(ev.clientX - r.left, ev.clientY - r.top) ? "pointer" : "";
  });

  // ---- areas (neighbourhood outlines, choropleth) ------------------------------------------
  var areaLayer = null, areaFeatureIdx = [], areaBreaks = [];
  function areaValue(a) {
    if (state.areasMode === "rate") {
      var pop = A.features[a].properties.population;
      return pop ? areaTotal[A.features[a].properties.area] * 1000 / pop : null;
    }
    return areaTotal[A.features[a].properties.area];
  }
  function computeBreaks() {
    var vals = [];
    for (var i = 0; i < A.features.length; i++) { var v = areaValue(i); if (v !== null) vals.push(v); }
    vals.sort(function (a, b) { return a - b; });
    var br = [];
    for (var q = 1; q < 5; q++) br.push(vals.length ? vals[Math.floor(q * (vals.length - 1) / 5)] : 0);
    areaBreaks = br;
  }
  function classOf(v) {
    var k = 0;
    while (k < areaBreaks.length && v > areaBreaks[k]) k++;
    return k;
  }
  function styleArea(feature) {
    var i = feature.properties.index;
    if (state.areasMode === "none") return { color: "#23395d", weight: 1.5, fillOpacity: 0 };
    var v = areaValue(i);
    if (v === null) return { color: "#23395d", weight: 1, fillColor: C.no_data, fillOpacity: 0.45 };
    return { color: "#23395d", weight: 1, fillColor: C.ramp[classOf(v)], fillOpacity: 0.45 };
  }
  function ringContains(ring, x, y) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if (((yi > y) !== (yj > y)) && (x < (xj - xi) * (y - yi) / (yj - yi) + xi)) inside = !inside;
    }
    return inside;
  }
  function featureContains(f, x, y) {
    // even-odd over every ring, as the neighbourhood set defines its outlines
    var g = f.geometry, polys = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
    var inside = false;
    for (var i = 0; i < polys.length; i++) {
      for (var h = 0; h < polys[i].length; h++) if (ringContains(polys[i][h], x, y)) inside = !inside;
    }
    return inside;
  }
  function areaPopupContent(i) {
    var props = A.features[i].properties, a = props.area;
    var box = el("div", { "class": "cm-popup" });
    box.appendChild(withNames(el("h3", { tabindex: "-1" }), ["", props.name]));
    box.appendChild(el("p", null, fmt(areaTotal[a]) + (areaTotal[a] === 1 ? " crime, " : " crimes, ") +
      periodText()));
    if (props.population) box.appendChild(el("p", null, fmt1(areaTotal[a] * 1000 / props.population) +
      " per 1,000 residents (population " + fmt(props.population) + ")"));
    if (props.summary) {
      var p = el("p");
      p.appendChild(withNames(el("a", { href: props.summary }), ["Neighbourhood summary for ", props.name]));
      box.appendChild(p);
    }
    return box;
  }
  function openAreaPopup(i, latlng) {
    lastFocus = document.activeElement;
    fitPopup();
    popup.setLatLng(latlng).setContent(areaPopupContent(i)).openOn(map);
    focusPopup();
  }
  function areaClick(latlng) {
    for (var i = 0; i < A.features.length; i++) {
      if (featureContains(A.features[i], latlng.lng, latlng.lat)) { openAreaPopup(i, latlng); return; }
    }
  }
  if (A) {
    map.createPane("areas"); map.getPane("areas").style.zIndex = 350;
    for (var fi = 0; fi < A.features.length; fi++) A.features[fi].properties.index = fi;
    areaLayer = L.geoJSON(A, { pane: "areas", interactive: false, style: styleArea }).addTo(map);
    document.getElementById("areas-mode-group").hidden = false;
    var anyPop = A.features.some(function (f) { return !!f.properties.population; });
    if (!anyPop) document.getElementById("rate-option").hidden = true;
  }
  pointsLayer.addTo(map);

  // ---- controls ----------------------------------------------------------------------------
  var endSel = document.getElementById("period-end");
  var lenSel = document.getElementById("period-length");
  for (var mi = nM - 1; mi >= 0; mi--) {
    endSel.appendChild(el("option", { value: String(mi) }, monthText(D.months[mi])));
  }
  if (nM < 12) lenSel.querySelector('option[value="12"]').hidden = true;
  if (nM < 3) lenSel.querySelector('option[value="3"]').hidden = true;
  if (nM > 12) lenSel.appendChild(el("option", { value: String(nM) }, "All " + nM + " months"));

  var catList = document.getElementById("category-list");
  var catBoxes = [], catCountEls = [];
  D.categories.forEach(function (cat, ci) {
    var li = el("li"), id = "cat-" + ci;
    var input = el("input", { type: "checkbox", id: id, value: cat.slug });
    input.checked = true;
    var label = el("label", { "for": id });
    label.appendChild(input);
    label.appendChild(shapeSvg(cat, 18));
    label.appendChild(el("span", { "class": "name" }, cat.label));
    var cnt = el("span", { "class": "count" }, "0");
    label.appendChild(cnt);
    li.appendChild(label); catList.appendChild(li);
    input.addEventListener("change", function () { state.cats[ci] = input.checked ? 1 : 0; update(); });
    catBoxes.push(input); catCountEls.push(cnt);
  });
  function setAllCats(v) {
    for (var i = 0; i < nC; i++) { state.cats[i] = v; catBoxes[i].checked = !!v; }
    update();
  }
  document.getElementById("cat-all").addEventListener("click", function () { setAllCats(1); });
  document.getElementById("cat-none").addEventListener("click", function () { setAllCats(0); });
  lenSel.addEventListener("change", function () { state.len = parseInt(lenSel.value, 10); update(); });
  endSel.addEventListener("change", function () { state.end = parseInt(endSel.value, 10); update(); });
  document.querySelectorAll('input[name="areas-mode"]').forEach(function (r) {
    r.addEventListener("change", function () { if (r.checked) { state.areasMode = r.value; update(); } });
  });
  document.querySelectorAll("[data-pan]").forEach(function (b) {
    b.addEventListener("click", function () {
      var s = map.getSize(), d = { up: [0, -s.y / 3], down: [0, s.y / 3], left: [-s.x / 3, 0], right: [s.x / 3, 0] };
      map.panBy(d[b.getAttribute("data-pan")]);
    });
  });
  var fullBounds = L.latLngBounds(C.bounds[0], C.bounds[1]);
  document.getElementById("zoom-all").addEventListener("click", function () { map.fitBounds(fullBounds); });
  function totalCatsSelected() { var n = 0; for (var i = 0; i < nC; i++) n += state.cats[i]; return n; }

  // ---- trend, legend, table, status --------------------------------------------------------
  function renderTrend() {
    var box = document.getElementById("trend");
    box.textContent = "";
    var max = 0;
    for (var m = 0; m < nM; m++) max = Math.max(max, monthCount[m]);
    // a slot per month of a year at the least: one or two months are narrow bars, not a
    // slab across the panel that reads as a broken chart
    var W = 300, H = 70, bw = W / Math.max(nM, TREND_SLOTS);
    var parts = [];
    // (hidden from screen readers: the text under it says every month's count, which a
    // chart named by that text read out twice over)
    var svg = svgEl("svg", { viewBox: "0 0 " + W + " " + (H + 34), "aria-hidden": "true",
      focusable: "false" });
    for (var m2 = 0; m2 < nM; m2++) {
      var hgt = max ? Math.max(1, monthCount[m2] / max * H) : 0;
      var sel = monthSel[m2];
      svg.appendChild(svgEl("rect", { x: (m2 * bw + 1).toFixed(1), y: (H - hgt).toFixed(1),
        width: Math.max(1, bw - 2).toFixed(1), height: hgt.toFixed(1),
        fill: sel ? "#23395d" : "#9aa5b8", "class": sel ? "trend-bar trend-chosen" : "trend-bar" }));
      if (sel) svg.appendChild(svgEl("rect", { x: (m2 * bw + 1).toFixed(1), y: H + 4,
        width: Math.max(1, bw - 2).toFixed(1), height: 4, fill: "#1a1a1a", "class": "trend-mark" }));
      parts.push(monthText(D.months[m2]) + ": " + fmt(monthCount[m2]));
    }
    trendAxis(svg, H, bw);
    box.appendChild(svg);
    box.appendChild(el("p", { id: "trend-desc", "class": "trend-text" },
      "Crimes of the selected types per month (selected period marked below the bars): " + parts.join("; ") + "."));
  }
  // the months under the bars: each one where there is room, else every few counted back
  // from the latest (always named); the year under the first month named in each year
  function trendAxis(svg, H, bw) {
    var every = Math.max(1, Math.ceil(TREND_LABEL_WIDTH / bw)), lastYear = "";
    for (var m = 0; m < nM; m++) {
      if ((nM - 1 - m) % every !== 0) continue;
      var x = (m * bw + bw / 2).toFixed(1), mo = parseInt(D.months[m].slice(5, 7), 10) - 1;
      var label = svgEl("text", { x: x, y: H + 21, "text-anchor": "middle", "font-size": 10,
        fill: "#404040", "class": "trend-month" });
      label.textContent = MONTHS[mo].slice(0, 3);
      svg.appendChild(label);
      if (D.months[m].slice(0, 4) !== lastYear) {
        lastYear = D.months[m].slice(0, 4);
        var year = svgEl("text", { x: x, y: H + 32, "text-anchor": "middle", "font-size": 10,
          fill: "#404040", "class": "trend-year" });
        year.textContent = lastYear;
        svg.appendChild(year);
      }
    }
  }
  function renderLegend() {
    var lg = document.getElementById("legend");
    lg.textContent = "";
    if (!A || state.areasMode === "none") return;
    lg.appendChild(el("p", null, state.areasMode === "rate" ? "Area shading: crimes per 1,000 residents" : "Area shading: number of crimes"));
    var ul = el("ul"), lo = 0;
    for (var k = 0; k <= areaBreaks.length; k++) {
      var hi = k < areaBreaks.length ? areaBreaks[k] : null;
      var li = el("li"), sw = el("span", { "class": "swatch", "aria-hidden": "true" });
      sw.style.background = C.ramp[k];
      li.appendChild(sw);
      var dec = state.areasMode === "rate" ? 1 : 0;
      var text;
      if (dec === 0) {
        // counts are whole numbers: name exactly the counts a class holds ("6 to 11"), as the
        // QGIS legend does (core.hotspots.legend.integer_classes); an empty class is skipped
        var first = k ? Math.floor(lo) + 1 : 0, last = hi === null ? null : Math.floor(hi);
        if (last !== null && first > last) { if (hi !== null) lo = hi; continue; }
        text = last === null ? fmt(first) + " or more" : (first === last ? fmt(first) : fmt(first) + " to " + fmt(last));
      } else {
        // a class between two equal breaks holds no area ("over 880.5 to 880.5"): skipped,
        // as an empty class of counts is (few areas, or many of one rate, make them)
        if (k && hi !== null && hi <= lo) continue;
        text = hi === null ? "over " + fmt1(lo) : (k ? "over " + fmt1(lo) + " to " : "up to ") + fmt1(hi);
      }
      li.appendChild(document.createTextNode(text));
      ul.appendChild(li);
      if (hi !== null) lo = hi;
    }
    lg.appendChild(ul);
  }
  function renderTable() {
    var table = document.getElementById("count-table");
    document.getElementById("table-caption").textContent = "Crimes by area and crime type, " + periodText() +
      ". Areas: " + C.area_kind + ".";
    var thead = table.tHead, tbody = table.tBodies[0];
    thead.textContent = ""; tbody.textContent = "";
    var hr = el("tr");
    hr.appendChild(el("th", { scope: "col" }, "Area"));
    var cols = [];
    for (var c = 0; c < nC; c++) if (state.cats[c]) { cols.push(c); hr.appendChild(el("th", { scope: "col", "class": "num" }, D.categories[c].name)); }
    hr.appendChild(el("th", { scope: "col", "class": "num" }, "Total"));
    thead.appendChild(hr);
    var order = [];
    for (var a = 0; a < nAreas; a++) if (areaTotal[a] || a !== D.nolocation_area) order.push(a);
    order.sort(function (x, y) { return areaTotal[y] - areaTotal[x] || (D.areas[x] < D.areas[y] ? -1 : 1); });
    var frag = document.createDocumentFragment();
    var colTotals = new Float64Array(nC);
    for (var r = 0; r < order.length; r++) {
      var ai = order[r], tr = el("tr");
      // (the name alone in its cell: the cell isolates it, webmap.css, not a <bdi> per row)
      tr.appendChild(el("th", { scope: "row" }, D.areas[ai]));
      for (var j = 0; j < cols.length; j++) {
        var v = areaCat[ai * nC + cols[j]]; colTotals[cols[j]] += v;
        tr.appendChild(el("td", { "class": "num" }, fmt(v)));
      }
      tr.appendChild(el("td", { "class": "num" }, fmt(areaTotal[ai])));
      frag.appendChild(tr);
    }
    var ft = el("tr");
    ft.appendChild(el("th", { scope: "row" }, "All areas"));
    var all = 0;
    for (var j2 = 0; j2 < cols.length; j2++) { ft.appendChild(el("td", { "class": "num" }, fmt(colTotals[cols[j2]]))); all += colTotals[cols[j2]]; }
    ft.appendChild(el("td", { "class": "num" }, fmt(all)));
    frag.appendChild(ft);
    tbody.appendChild(frag);
  }
  function renderCounts() {
    for (var c = 0; c < nC; c++) catCountEls[c].textContent = fmt(catCount[c]);
    var msg = "Showing " + fmt(totalShown) + (totalShown === 1 ? " crime" : " crimes") + " at " +
      fmt(placesShown) + (placesShown === 1 ? " place" : " places") + ", " + periodText() + ".";
    // (named as the table names them: the area of crimes whose location is not published)
    if (totalNoLoc) msg += " " + fmt(totalNoLoc) + " more are in the table only, as \u201c" + D.areas[D.nolocation_area] + "\u201d.";
    var status = document.getElementById("status");
    status.textContent = msg;
    status.setAttribute("data-shown", String(totalShown));
    status.setAttribute("data-nolocation", String(totalNoLoc));
  }

  // ---- permalink ---------------------------------------------------------------------------
  // The hash is what anyone may send a reader in a link: hostile input. Each part is read on
  // its own and only ever matched against the page's own months, lengths, slugs and ranges
  // (never written into the page, never used as an object key: __proto__ is a word like any
  // other); a part not understood is left out, the rest still applies, and a polite note
  // names what was left out. The hash then written back is the page's own, canonical: each
  // value percent-encoded (each item of a list on its own), so a "#", "&", "=", "," or "%"
  // in one never reads back as anything else.
  var restoring = false;
  var LINK_PARTS = { m: "the month", n: "the period", c: "the crime types", z: "the map view",
    ll: "the map view", a: "the area shading" };
  var LINK_PART_ORDER = ["the month", "the period", "the crime types", "some of the crime types",
    "the map view", "the area shading", "settings this map does not have"];
  var MAX_LAT = 85.0511;  // (Web Mercator's edge: the map cannot be centred beyond it)
  var COORD = /^-?\d{1,3}(\.\d{1,15})?$/;
  var enc = encodeURIComponent;
  // the hash of what the page shows now
  function pageHash() {
    var c = map.getCenter(), cats = [];
    for (var i = 0; i < nC; i++) if (state.cats[i]) cats.push(enc(D.categories[i].slug));
    var parts = ["m=" + enc(D.months[state.end]), "n=" + enc(state.len),
      "c=" + (cats.length === nC ? "all" : cats.join(",")),
      "z=" + enc(map.getZoom()), "ll=" + c.lat.toFixed(3) + "," + c.lng.toFixed(3)];
    if (A) parts.push("a=" + enc(state.areasMode));
    return "#" + parts.join("&");
  }
  // the hash the page wrote for the link whose note is shown (null: no note); once the
  // reader changes the map the page writes another, whole link, and the note goes
  var notedHash = null;
  function writeHash() {
    if (restoring) return;
    var h = pageHash();
    if (location.hash !== h) history.replaceState(null, "", h);
    if (notedHash !== null && h !== notedHash) noteLeftOut([]);
  }
  function decoded(text) {
    try { return decodeURIComponent(text); } catch (err) { return null; }
  }
  // The hash as key -> value (the crime types: a list, split before its items are decoded; a
  // key given twice with two values is given neither: the link does not say which it means),
  // and the names of the parts that could not even be read (invalid percent-encoding, no
  // "=", a key the map does not use). A "#" after the first separates parts as "&" does:
  // the page writes none inside a part (it writes %23), so one there was typed or pasted
  // between two parts ("#m=2022-09#c=drugs"), and both parts are read.
  function hashValues(hash) {
    var values = new Map(), twice = new Set(), unread = [];
    hash.replace(/^#/, "").split(/[&#]/).forEach(function (kv) {
      if (!kv) return;
      var i = kv.indexOf("="), key = decoded(i >= 0 ? kv.slice(0, i) : kv), value = null;
      var part = key !== null && Object.prototype.hasOwnProperty.call(LINK_PARTS, key) ? LINK_PARTS[key] : null;
      if (!part) { unread.push("settings this map does not have"); return; }
      if (i >= 0 && key === "c") {
        var raw = kv.slice(i + 1), items = raw ? raw.split(",").map(decoded) : [];
        if (items.indexOf(null) < 0) value = items;
      } else if (i >= 0) value = decoded(kv.slice(i + 1));
      if (value === null) { unread.push(part); return; }
      if (values.has(key) && JSON.stringify(values.get(key)) !== JSON.stringify(value)) twice.add(key);
      values.set(key, value);
    });
    twice.forEach(function (key) { values.delete(key); unread.push(LINK_PARTS[key]); });
    return { values: values, unread: unread };
  }
  // the period lengths the reader can choose (the select's shown options)
  function periodLengths() {
    var out = [];
    for (var i = 0; i < lenSel.options.length; i++) if (!lenSel.options[i].hidden) out.push(lenSel.options[i].value);
    return out;
  }
  // crime types from the link's list (decoded items): the known slugs chosen; none known
  // leaves the choice as it was (an empty list is the page's own word for "none chosen")
  function readCategories(names, left) {
    if (names.length === 1 && names[0] === "all") { for (var a = 0; a < nC; a++) state.cats[a] = 1; return; }
    var bySlug = new Map(), want = new Uint8Array(nC), known = 0, unknown = 0;
    for (var c = 0; c < nC; c++) bySlug.set(D.categories[c].slug, c);
    for (var i = 0; i < names.length; i++) {
      if (bySlug.has(names[i])) { want[bySlug.get(names[i])] = 1; known++; } else unknown++;
    }
    if (unknown && !known) { left.push("the crime types"); return; }
    if (unknown) left.push("some of the crime types");
    state.cats.set(want);
  }
  function readView(values, left) {
    if (!values.has("z") && !values.has("ll")) return null;
    var z = values.get("z"), ll = (values.get("ll") || "").split(",");
    var zoom = /^\d{1,2}$/.test(z || "") ? parseInt(z, 10) : NaN;
    if (ll.length === 2 && COORD.test(ll[0]) && COORD.test(ll[1]) && zoom >= map.getMinZoom() &&
        zoom <= map.getMaxZoom() && Math.abs(+ll[0]) <= MAX_LAT && Math.abs(+ll[1]) <= 180) {
      return { center: [+ll[0], +ll[1]], zoom: zoom };
    }
    left.push("the map view");
    return null;
  }
  // Applies the link to the state; returns the view it asks for (or null) and what it left out
  function readHash() {
    var link = hashValues(location.hash), v = link.values, left = link.unread;
    if (v.has("m")) {
      var mIdx = D.months.indexOf(v.get("m"));
      if (mIdx >= 0) state.end = mIdx; else left.push("the month");
    }
    if (v.has("n")) {
      if (periodLengths().indexOf(v.get("n")) >= 0) state.len = parseInt(v.get("n"), 10);
      else left.push("the period");
    }
    if (v.has("c")) readCategories(v.get("c"), left);
    if (A && v.has("a")) {
      var modes = ["none", "count"];
      if (!document.getElementById("rate-option").hidden) modes.push("rate");
      if (modes.indexOf(v.get("a")) >= 0) state.areasMode = v.get("a"); else left.push("the area shading");
    }
    return { view: readView(v, left), left: left };
  }
  // the polite note under the map's status: what of the link was left out (or nothing),
  // shown until the reader changes the map (writeHash) or another link is opened
  function noteLeftOut(left) {
    var names = LINK_PART_ORDER.filter(function (name) { return left.indexOf(name) >= 0; });
    var text = "";
    if (names.length) {
      var list = names.length === 1 ? names[0] :
        names.slice(0, -1).join(", ") + " and " + names[names.length - 1];
      text = "Part of this link could not be used and was left out: " + list +
        ". The map shows its own choice instead.";
    }
    document.getElementById("link-note").textContent = text;
    notedHash = text ? pageHash() : null;
  }
  function syncControls() {
    endSel.value = String(state.end); lenSel.value = String(state.len);
    for (var i = 0; i < nC; i++) catBoxes[i].checked = !!state.cats[i];
    document.querySelectorAll('input[name="areas-mode"]').forEach(function (r) { r.checked = r.value === state.areasMode; });
  }

  // ---- search ------------------------------------------------------------------------------
  var searchIndex = null;
  function buildSearch() {
    var seen = new Map(), items = [];
    // (text: what a query is matched against; parts: how the result shows it, withNames)
    if (A) A.features.forEach(function (f, i) { items.push({ text: f.properties.name, parts: ["", f.properties.name], kind: "Area", feature: i }); });
    else D.areas.forEach(function (name, a) { if (a !== D.nolocation_area) items.push({ text: name, parts: ["", name], kind: "Area", area: a, points: [] }); });
    var areaItems = {};
    items.forEach(function (it) { if (it.area !== undefined) areaItems[it.area] = it; });
    for (var p = 0; p < nP; p++) {
      if (areaItems[pArea[p]]) areaItems[pArea[p]].points.push(p);
      var label = D.labels[pLabel[p]];
      if (!label) continue;
      var key = pLabel[p] + ":" + pArea[p];
      var it = seen.get(key);
      if (!it) {
        it = { text: "On or near " + label + ", " + D.areas[pArea[p]],
          parts: ["On or near ", label, ", ", D.areas[pArea[p]]], kind: "Street", points: [] };
        seen.set(key, it); items.push(it);
      }
      it.points.push(p);
    }
    items.forEach(function (it) { it.lower = it.text.toLowerCase(); });
    return items;
  }
  var searchInput = document.getElementById("search-input");
  var searchResults = document.getElementById("search-results");
  // The results' count in a status line (a screen reader announces it once per letter): the
  // list itself is not live, or every result would be read out again at each letter typed.
  var searchStatus = document.getElementById("search-status");
  var SEARCH_MOST = 12;
  function searchCountText(n) {
    if (!n) return "No matches.";
    if (n >= SEARCH_MOST) return "The first " + n + " matches: type more to narrow them.";
    return n + (n === 1 ? " match." : " matches.");
  }
  searchInput.addEventListener("input", function () {
    var q = searchInput.value.trim().toLowerCase();
    searchResults.textContent = "";
    if (q.length < 2) { searchStatus.textContent = ""; return; }
    if (!searchIndex) searchIndex = buildSearch();
    var hits = [];
    for (var i = 0; i < searchIndex.length && hits.length < SEARCH_MOST; i++) {
      var it = searchIndex[i], at = it.lower.indexOf(q);
      if (at >= 0) hits.push(it);
    }
    searchStatus.textContent = searchCountText(hits.length);
    hits.forEach(function (it) {
      var li = el("li"), b = el("button", { type: "button" });
      withNames(b, [it.kind + ": " + it.parts[0]].concat(it.parts.slice(1)));
      b.addEventListener("click", function () { goTo(it); showChoice(); });
      li.appendChild(b); searchResults.appendChild(li);
    });
  });
  function goTo(it) {
    if (it.feature !== undefined) {
      var lyr = null;
      areaLayer.eachLayer(function (l) { if (l.feature.properties.index === it.feature) lyr = l; });
      if (lyr) { var b = lyr.getBounds(); map.fitBounds(b); openAreaPopup(it.feature, b.getCenter()); }
      return;
    }
    if (!it.points.length) return;
    if (it.points.length === 1) {
      var c = pos(it.points[0]);
      // (not animated: a popup opened during the zoom is panned into view against the
      // map as it was, and opened with its heading cut off above the map)
      map.setView([c[1], c[0]], Math.max(map.getZoom(), NO_CLUSTER_ZOOM), { animate: false });
      openPointPopup(it.points[0]);
    } else {
      map.fitBounds(boundsOf(it.points).pad(0.2), { maxZoom: NO_CLUSTER_ZOOM });
    }
  }

  // ---- places in view: every drawn place as a button (keyboard and screen readers) --------
  var placesList = document.getElementById("places-list");
  // (the count is announced in its status line, not the 50 buttons: see searchStatus)
  var placesStatus = document.getElementById("places-status");
  function listPlaces() {
    placesList.textContent = "";
    var b = map.getBounds(), found = [];
    for (var p = 0; p < nP; p++) {
      if (!pCount[p]) continue;
      if (b.contains([positions.lat[p], positions.lon[p]])) found.push(p);
    }
    found.sort(function (x, y) { return pCount[y] - pCount[x]; });
    var shown = found.slice(0, 50);
    placesStatus.textContent = found.length ? (found.length > 50 ?
      "The 50 busiest of " + fmt(found.length) + " places in view:" : fmt(found.length) +
      (found.length === 1 ? " place in view:" : " places in view:")) : "No places in view.";
    shown.forEach(function (q) {
      var parts = placeParts(q);
      if (parts.length === 1) parts = [parts[0] + ", ", D.areas[pArea[q]]];
      else parts = parts.concat([", ", D.areas[pArea[q]]]);
      parts.push(": " + fmt(pCount[q]) + (pCount[q] === 1 ? " crime" : " crimes"));
      var li = el("li"), btn = withNames(el("button", { type: "button" }), parts);
      btn.addEventListener("click", function () {
        var c = pos(q);
        if (map.getZoom() < NO_CLUSTER_ZOOM) map.setView([c[1], c[0]], NO_CLUSTER_ZOOM, { animate: false });
        openPointPopup(q);
      });
      li.appendChild(btn); placesList.appendChild(li);
    });
  }
  document.getElementById("list-places").addEventListener("click", listPlaces);

  // ---- on a phone the choices fold behind one button, so that the map is on the first screen
  // (unfolded they fill two screens above it); the page's own width rule (webmap.css) decides
  var controlsToggle = document.getElementById("controls-toggle");
  var controlsBody = document.getElementById("controls-body");
  var narrow = window.matchMedia ? window.matchMedia("(max-width: 48rem)") : null;
  function setControlsOpen(open) {
    controlsToggle.setAttribute("aria-expanded", open ? "true" : "false");
    controlsBody.hidden = !open;
  }
  function fitControls() {
    var folds = !!(narrow && narrow.matches);
    controlsToggle.hidden = !folds;
    controlsToggle.parentNode.classList.toggle("folding", folds);
    setControlsOpen(!folds);
  }
  controlsToggle.addEventListener("click", function () {
    setControlsOpen(controlsToggle.getAttribute("aria-expanded") !== "true");
  });
  if (narrow) {
    if (narrow.addEventListener) narrow.addEventListener("change", fitControls);
    else if (narrow.addListener) narrow.addListener(fitControls);
  }
  fitControls();
  // a choice made in the folded choices (a search result) is on the map: fold them, show it
  function showChoice() {
    if (controlsToggle.hidden) return;
    setControlsOpen(false);
    mapEl.scrollIntoView({ block: "nearest" });
  }

  // ---- update cycle ------------------------------------------------------------------------
  function update() {
    recount();
    pointsLayer.redraw();
    if (areaLayer) { computeBreaks(); areaLayer.setStyle(styleArea); }
    renderCounts(); renderTrend(); renderLegend(); renderTable();
    placesList.textContent = ""; placesStatus.textContent = "";
    if (map.hasLayer(popup)) map.closePopup();
    writeHash();
  }
  map.on("moveend", writeHash);
  // a link followed while the page is open (or back and forward): its parts apply over what
  // is shown; whatever happens, the page writes its own hash again afterwards
  window.addEventListener("hashchange", function () {
    restoring = true;
    try {
      var link = readHash(); syncControls(); update();
      // (at once: the note keeps the hash of the view the link asked for, not of one
      // half way through a glide)
      if (link.view) map.setView(link.view.center, link.view.zoom, { animate: false });
      noteLeftOut(link.left);
    } finally {
      restoring = false;
    }
    writeHash();
  });

  var opened = readHash();
  syncControls();
  if (opened.view) map.setView(opened.view.center, opened.view.zoom); else map.fitBounds(fullBounds);
  update();
  noteLeftOut(opened.left);
  window.CM_READY_MS = performance.now(); // ms since navigation start (benchmarks read it)
  window.CM_READY = true;
  document.documentElement.setAttribute("data-cm-ready", "1");
  window.CM_APP = { state: state, update: update, map: map, syncControls: syncControls,
    positions: positions,
    totals: function () { return { shown: totalShown, nolocation: totalNoLoc, places: placesShown }; } };
})();
