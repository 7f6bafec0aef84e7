/**
 * The report's only script, inlined (plain ES2017, no libraries): zoom and brush on the timeline,
 * tooltips on hover and focus, keyboard moves between marks, and focus on the ladder a mark
 * opens. The page works without it (marks are links, ladders are in the document); the script
 * only moves what is already drawn, so a report of any size stays as fast as its SVG.
 */
export const SCRIPT = String.raw`
(function () {
  'use strict';
  var svg = document.getElementById('tl');
  var tip = document.getElementById('tip');
  if (!svg || !tip) return;
  var D0 = +svg.getAttribute('data-d0'), D1 = +svg.getAttribute('data-d1');
  var X0 = +svg.getAttribute('data-x0'), X1 = +svg.getAttribute('data-x1');
  var a = D0, b = D1;
  var marks = Array.prototype.slice.call(svg.querySelectorAll('.mk'));
  var binLayer = svg.querySelector('.bins');
  var axis = svg.querySelector('.axis');
  var brush = svg.querySelector('.brush');
  var range = document.getElementById('range');
  var NS = 'http://www.w3.org/2000/svg';
  var markT = marks.map(function (m) { return +m.getAttribute('data-t'); });
  var markY = marks.map(function (m) { return +m.firstElementChild.getAttribute('y'); });

  function X(t) { return X0 + (t - a) / (b - a) * (X1 - X0); }
  function T(x) { return a + (x - X0) / (X1 - X0) * (b - a); }
  function fmt(s) {
    var v = Math.abs(s), sign = s < 0 ? '-' : '+';
    if (v === 0) return '+0 s';
    if (v < 1) return sign + +(v * 1000).toPrecision(3) + ' ms';
    if (v < 120) return sign + +v.toPrecision(4) + ' s';
    return sign + Math.floor(v / 60) + ' min ' + Math.round(v % 60) + ' s';
  }
  function niceStep(raw) {
    var p = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
  }
  function drawAxis() {
    while (axis.childNodes.length > 1) axis.removeChild(axis.lastChild);
    var step = niceStep((b - a) / 8), top = +brush.getAttribute('y'), h = +brush.getAttribute('height');
    for (var t = Math.ceil(a / step) * step, k = 0; t <= b && k < 40; t += step, k++) {
      var x = X(t);
      if (x < X0 - 1 || x > X1 + 1) continue;
      var line = document.createElementNS(NS, 'line');
      line.setAttribute('class', 'tickline'); line.setAttribute('x1', x); line.setAttribute('x2', x);
      line.setAttribute('y1', top - 4); line.setAttribute('y2', top + h);
      var text = document.createElementNS(NS, 'text');
      text.setAttribute('class', 'tick'); text.setAttribute('x', x); text.setAttribute('y', top - 10);
      text.textContent = fmt(Math.abs(t) < step / 1000 ? 0 : t);
      axis.appendChild(line); axis.appendChild(text);
    }
  }
  function render() {
    for (var i = 0; i < marks.length; i++) {
      var t = markT[i], out = t < a || t > b;
      marks[i].classList.toggle('out', out);
      if (!out) marks[i].firstElementChild.setAttribute('x', X(t).toFixed(2));
    }
    // Bins are drawn for the whole capture: one horizontal stretch of their layer zooms them all.
    if (binLayer) {
      var k = (D1 - D0) / (b - a), tx = X0 + (D0 - a) / (b - a) * (X1 - X0) - k * X0;
      binLayer.setAttribute('transform', 'matrix(' + k + ' 0 0 1 ' + tx + ' 0)');
    }
    drawAxis();
    var whole = a <= D0 && b >= D1;
    range.textContent = whole ? 'showing the whole capture' : 'showing ' + fmt(Math.max(a, 0)) + ' to ' + fmt(b);
  }
  function zoomTo(na, nb) {
    var min = (D1 - D0) / 1e6;
    if (nb - na < min) { var c = (na + nb) / 2; na = c - min / 2; nb = c + min / 2; }
    a = Math.max(D0, na); b = Math.min(D1, nb);
    render();
  }
  document.querySelectorAll('[data-zoom]').forEach(function (btn) {
    btn.addEventListener('click', function () {
      var z = btn.getAttribute('data-zoom'), c = (a + b) / 2, w = b - a;
      if (z === 'in') zoomTo(c - w / 4, c + w / 4);
      else if (z === 'out') zoomTo(c - w, c + w);
      else zoomTo(D0, D1);
    });
  });

  function svgX(ev) {
    var pt = svg.createSVGPoint(); pt.x = ev.clientX; pt.y = ev.clientY;
    return pt.matrixTransform(svg.getScreenCTM().inverse()).x;
  }
  var dragFrom = null, downBin = null;
  svg.addEventListener('pointerdown', function (ev) {
    if (ev.button !== 0 || ev.target.closest('.mk')) return;
    // (Pointer capture makes the svg the target of pointerup: the bin is known from here.)
    downBin = ev.target.closest('.bin');
    dragFrom = Math.min(X1, Math.max(X0, svgX(ev)));
    brush.setAttribute('x', dragFrom); brush.setAttribute('width', 0); brush.removeAttribute('hidden');
    svg.setPointerCapture(ev.pointerId);
  });
  svg.addEventListener('pointermove', function (ev) {
    if (dragFrom === null) return;
    var x = Math.min(X1, Math.max(X0, svgX(ev)));
    brush.setAttribute('x', Math.min(x, dragFrom)); brush.setAttribute('width', Math.abs(x - dragFrom));
  });
  svg.addEventListener('pointerup', function (ev) {
    if (dragFrom === null) return;
    var x = Math.min(X1, Math.max(X0, svgX(ev))), from = dragFrom;
    dragFrom = null; brush.setAttribute('hidden', '');
    if (Math.abs(x - from) > 3) { zoomTo(T(Math.min(x, from)), T(Math.max(x, from))); return; }
    var bin = downBin;
    if (bin) {
      var t0 = +bin.getAttribute('data-t0'), t1 = +bin.getAttribute('data-t1'), w = t1 - t0;
      zoomTo(t0 - 2 * w, t1 + 2 * w);
    }
  });

  function text(el) {
    if (el.classList.contains('bin')) return fmt(+el.getAttribute('data-t0')) + ' to ' + fmt(+el.getAttribute('data-t1')) + ': ' + el.getAttribute('data-c') + ' (click to zoom in)';
    return el.getAttribute('aria-label');
  }
  function show(el, ev) {
    tip.textContent = text(el);
    tip.hidden = false;
    var r = el.getBoundingClientRect();
    var x = ev && ev.pageX !== undefined && ev.type !== 'focusin' ? ev.pageX : r.left + window.scrollX + r.width / 2;
    var y = ev && ev.pageY !== undefined && ev.type !== 'focusin' ? ev.pageY : r.top + window.scrollY;
    tip.style.left = Math.max(4, Math.min(x + 12, document.documentElement.clientWidth - 430)) + 'px';
    tip.style.top = (y + 16) + 'px';
  }
  function hide() { tip.hidden = true; }
  svg.addEventListener('mouseover', function (ev) { var el = ev.target.closest('.mk, .bin'); if (el) show(el, ev); });
  svg.addEventListener('mouseout', function (ev) { if (ev.target.closest('.mk, .bin')) hide(); });
  svg.addEventListener('focusin', function (ev) {
    var el = ev.target.closest('.mk');
    marks.forEach(function (m) { m.classList.remove('current'); });
    if (el) { el.classList.add('current'); show(el, ev); }
  });
  svg.addEventListener('focusout', hide);

  /** The next visible mark from mark i: along its lane (dir -1 / +1) or in the lane above or below (lane -1 / +1). */
  function next(i, dir, lane) {
    var best = -1, bestD = Infinity;
    for (var j = 0; j < marks.length; j++) {
      if (j === i || marks[j].classList.contains('out')) continue;
      if (lane === 0) {
        if (markY[j] !== markY[i]) continue;
        var d = (markT[j] - markT[i]) * dir;
        if (d < 0 || (d === 0 && (j - i) * dir < 0)) continue;
        if (d < bestD || (d === bestD && Math.abs(j - i) < Math.abs(best - i))) { best = j; bestD = d; }
      } else {
        var dy = (markY[j] - markY[i]) * lane;
        if (dy <= 0) continue;
        var cost = dy * 1e6 + Math.abs(markT[j] - markT[i]);
        if (cost < bestD) { best = j; bestD = cost; }
      }
    }
    return best;
  }
  svg.addEventListener('keydown', function (ev) {
    var el = ev.target.closest('.mk');
    if (!el) return;
    var i = marks.indexOf(el), j = -1;
    if (ev.key === 'ArrowRight') j = next(i, 1, 0);
    else if (ev.key === 'ArrowLeft') j = next(i, -1, 0);
    else if (ev.key === 'ArrowDown') j = next(i, 0, 1);
    else if (ev.key === 'ArrowUp') j = next(i, 0, -1);
    else if (ev.key === 'Escape') { hide(); return; }
    else if ((ev.key === 'Enter' || ev.key === ' ') && el.tagName.toLowerCase() !== 'a') { show(el); ev.preventDefault(); return; }
    else if (ev.key === '+' || ev.key === '=') { var c = markT[i], w = (b - a) / 4; zoomTo(c - w, c + w); ev.preventDefault(); return; }
    else if (ev.key === '-') { var c2 = (a + b) / 2, w2 = b - a; zoomTo(c2 - w2, c2 + w2); ev.preventDefault(); return; }
    else return;
    ev.preventDefault();
    if (j >= 0) marks[j].focus();
  });

  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (!el) return;
    document.querySelectorAll('.ladder.open').forEach(function (l) { l.classList.remove('open'); });
    if (el.classList.contains('ladder')) { el.classList.add('open'); el.focus({ preventScroll: true }); }
    else if (el.classList.contains('mk')) {
      var t = +el.getAttribute('data-t');
      if (t < a || t > b) zoomTo(D0, D1);
      el.focus();
    }
  }
  window.addEventListener('hashchange', openTarget);
  // A printed report holds every endpoint row, also those folded away on screen.
  window.addEventListener('beforeprint', function () {
    document.querySelectorAll('details.more-rows:not([open])').forEach(function (d) { d.setAttribute('open', ''); d.setAttribute('data-print-opened', ''); });
  });
  window.addEventListener('afterprint', function () {
    document.querySelectorAll('details[data-print-opened]').forEach(function (d) { d.removeAttribute('open'); d.removeAttribute('data-print-opened'); });
  });
  render();
  openTarget();
})();
`;
