// The segment builder: a visual editor of a segment's rule (groups of
// all/any/not over conditions) drawn from the fields the page carries
// (#segment-editor-data). It writes the rule's JSON into the form's
// textarea, which is what the form saves (the page works without this
// script), and shows a live count of the customers the rule holds, with a
// refused rule's fault next to the condition at fault. It also draws a
// saved segment's size history (#chart-data) with ECharts.
(function () {
  'use strict';

  function el(tag, attrs, kids) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') { n.textContent = attrs[k]; } else if (k === 'className') { n.className = attrs[k]; } else { n.setAttribute(k, attrs[k]); }
    });
    (kids || []).forEach(function (k) { if (k) { n.appendChild(k); } });
    return n;
  }

  function drawHistory() {
    var data = document.getElementById('chart-data');
    var node = document.getElementById('chart-history');
    if (!data || !node || typeof echarts === 'undefined') { return; }
    var d = JSON.parse(data.textContent);
    var rows = d.history || [];
    var c = echarts.init(node);
    c.setOption({
      tooltip: { trigger: 'axis' },
      grid: { left: 60, right: 20, top: 20, bottom: 30 },
      xAxis: { type: 'category', data: rows.map(function (r) { return r.day; }) },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'line', data: rows.map(function (r) { return r.customers; }) }]
    });
    node.dataset.rendered = 'true';
    window.addEventListener('resize', function () { c.resize(); });
  }

  function builder() {
    var dataEl = document.getElementById('segment-editor-data');
    var box = document.getElementById('segment-builder');
    var area = document.getElementById('segment-rule');
    var out = document.getElementById('segment-count');
    var form = document.getElementById('segment-form');
    if (!dataEl || !box || !area || !out || !form) { return; }
    var D = JSON.parse(dataEl.textContent);
    var L = D.labels || {};
    var fields = {};
    D.fields.forEach(function (f) { fields[f.name] = f; });
    var csrf = form.querySelector('input[name=csrf_token]').value;
    var root;
    var nodesByPath = {};

    // The model: a group {mode, kids} or a condition {field, op, v, v2, list, win}.
    function newCond() {
      var name = fields.province ? 'province' : D.fields[0].name;
      var c = { field: name, op: fields[name].ops[0], v: '', v2: '', list: [], win: { kind: 'none', days: '', from: '', to: '' } };
      resetValue(c);
      return c;
    }
    function resetValue(c) {
      var f = fields[c.field];
      c.v = ''; c.v2 = ''; c.list = [];
      if (!f) { return; }
      if (f.kind === 'bool' || f.kind === 'consent') { c.v = 'true'; }
      if (f.options && f.options.length && c.op !== 'in' && c.op !== 'not_in') { c.v = f.options[0].value; }
    }
    function str(x) { return x === undefined || x === null ? '' : String(x); }
    function fromJSON(o) {
      if (o && Array.isArray(o.all)) { return { mode: 'all', kids: o.all.map(fromJSON) }; }
      if (o && Array.isArray(o.any)) { return { mode: 'any', kids: o.any.map(fromJSON) }; }
      if (o && o.not !== undefined) {
        var k = fromJSON(o.not);
        return { mode: 'not', kids: k.mode === 'all' ? k.kids : [k] };
      }
      o = o || {};
      var c = { field: str(o.field), op: str(o.op), v: '', v2: '', list: [], win: { kind: 'none', days: '', from: '', to: '' } };
      if (Array.isArray(o.value)) {
        if (c.op === 'between') { c.v = str(o.value[0]); c.v2 = str(o.value[1]); } else { c.list = o.value.map(str); }
      } else { c.v = str(o.value); }
      if (o.within_days !== undefined) { c.win = { kind: 'days', days: str(o.within_days), from: '', to: '' }; }
      if (Array.isArray(o.between)) { c.win = { kind: 'between', days: '', from: str(o.between[0]), to: str(o.between[1]) }; }
      return c;
    }
    function num(kind, s) {
      s = String(s).trim();
      if (s === '' || isNaN(Number(s))) { return s; } // the server names the fault
      return kind === 'int' ? parseInt(s, 10) === Number(s) ? Number(s) : s : Number(s);
    }
    function condJSON(c) {
      var f = fields[c.field] || { kind: 'text' };
      var o = { field: c.field, op: c.op };
      var k = f.kind;
      if (k === 'bool' || k === 'consent') {
        o.value = c.v === 'true';
      } else if (c.op === 'in' || c.op === 'not_in') {
        o.value = c.list.map(function (s) { return k === 'int' || k === 'float' || k === 'money' ? num(k, s) : s; });
      } else if (c.op === 'between') {
        o.value = k === 'time' ? [c.v, c.v2] : [num(k, c.v), num(k, c.v2)];
      } else if (k === 'int' || k === 'float' || k === 'money' || c.op === 'within_days') {
        o.value = num(c.op === 'within_days' ? 'int' : k, c.v);
      } else {
        o.value = c.v;
      }
      if (k === 'bought' && c.win.kind === 'days') { o.within_days = num('int', c.win.days); }
      if (k === 'bought' && c.win.kind === 'between') { o.between = [c.win.from, c.win.to]; }
      return o;
    }
    function join(path, key) { return path === '' || key.charAt(0) === '[' ? path + key : path + '.' + key; }
    // toJSON serialises node at path, noting each node's path for errors.
    function toJSON(n, path) {
      nodesByPath[path] = n;
      if (!n.kids) { return condJSON(n); }
      if (n.mode === 'not') {
        if (n.kids.length === 1) { return { not: toJSON(n.kids[0], join(path, 'not')) }; }
        var p = join(path, 'not');
        return { not: { all: n.kids.map(function (k, i) { return toJSON(k, join(p, 'all') + '[' + i + ']'); }) } };
      }
      var o = {};
      o[n.mode] = n.kids.map(function (k, i) { return toJSON(k, join(path, n.mode) + '[' + i + ']'); });
      return o;
    }
    function serialise() {
      nodesByPath = {};
      return toJSON(root, '');
    }

    // The live count, debounced; a later answer wins over an earlier one.
    var timer = null, seq = 0, ctl = null;
    function schedule(text) {
      clearTimeout(timer);
      timer = setTimeout(function () { count(text); }, 300);
    }
    function showError(msg, path) {
      box.querySelectorAll('.node-error').forEach(function (p) { p.textContent = ''; p.hidden = true; });
      box.querySelectorAll('.has-error').forEach(function (p) { p.classList.remove('has-error'); });
      if (!msg) { return; }
      // The node whose path is the longest prefix of the fault's path.
      var best = '', found = false;
      Object.keys(nodesByPath).forEach(function (p) {
        var next = path.charAt(p.length);
        if (path.indexOf(p) === 0 && (p === '' || next === '' || next === '.' || next === '[') && p.length >= best.length) {
          best = p; found = true;
        }
      });
      var node = found && nodesByPath[best];
      var dom = node && node.dom;
      if (!dom) { return; }
      dom.classList.add('has-error');
      var p = dom.querySelector('.node-error');
      if (p) { p.textContent = msg; p.hidden = false; }
    }
    function count(text) {
      if (root.kids.length === 0 && text === null) {
        out.textContent = L.empty; out.removeAttribute('data-count'); showError('', '');
        return;
      }
      if (text === null) { text = area.value; }
      var my = ++seq;
      if (ctl) { ctl.abort(); }
      ctl = typeof AbortController === 'function' ? new AbortController() : null;
      out.textContent = L.counting;
      out.setAttribute('aria-busy', 'true');
      fetch(D.count_url, {
        method: 'POST', credentials: 'same-origin', signal: ctl ? ctl.signal : undefined,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-CSRF-Token': csrf },
        body: new URLSearchParams({ rule: text }).toString()
      }).then(function (r) { return r.json(); }).then(function (a) {
        if (my !== seq) { return; }
        out.removeAttribute('aria-busy');
        if (a.count !== undefined) {
          out.textContent = a.text; out.setAttribute('data-count', String(a.count)); out.classList.remove('bad');
          showError('', '');
        } else {
          out.textContent = a.error || ''; out.removeAttribute('data-count'); out.classList.add('bad');
          showError(a.error || '', a.path || '');
        }
      }).catch(function (e) {
        if (e && e.name === 'AbortError') { return; }
        if (my === seq) { out.removeAttribute('aria-busy'); out.textContent = ''; }
      });
    }
    function changed(structural) {
      var rule = serialise();
      area.value = JSON.stringify(rule, null, 2);
      if (structural) { render(); }
      count(null);
    }

    // Drawing.
    var uid = 0;
    function select(cls, label, opts, value, multiple) {
      var s = el('select', { className: cls, 'aria-label': label });
      if (multiple) { s.multiple = true; s.size = Math.min(6, Math.max(2, opts.length)); }
      var have = {};
      opts.forEach(function (o) {
        var opt = el('option', { value: o.value, text: o.label });
        if (multiple ? value.indexOf(o.value) >= 0 : o.value === value) { opt.selected = true; }
        have[o.value] = true;
        s.appendChild(opt);
      });
      (multiple ? value : [value]).forEach(function (v) {
        if (v !== '' && !have[v]) { var opt = el('option', { value: v, text: v }); opt.selected = true; s.appendChild(opt); }
      });
      return s;
    }
    function input(cls, type, label, value, onInput) {
      var i = el('input', { className: cls, type: type, 'aria-label': label });
      if (type === 'number') { i.step = 'any'; }
      i.value = value;
      i.addEventListener('input', function () { onInput(i.value); changed(false); });
      return i;
    }
    function valueInputs(c) {
      var f = fields[c.field] || { kind: 'text', ops: [c.op] };
      var k = f.kind, span = el('span', { className: 'value' });
      var lab = L.value;
      if (k === 'bool' || k === 'consent') {
        var b = select('value-input', lab, [{ value: 'true', label: L['true'] }, { value: 'false', label: L['false'] }], c.v, false);
        b.addEventListener('change', function () { c.v = b.value; changed(false); });
        span.appendChild(b);
      } else if (c.op === 'in' || c.op === 'not_in') {
        if (f.options && f.options.length) {
          var m = select('value-input', lab, f.options, c.list, true);
          m.addEventListener('change', function () {
            c.list = Array.prototype.filter.call(m.options, function (o) { return o.selected; }).map(function (o) { return o.value; });
            changed(false);
          });
          span.appendChild(m);
        } else {
          var t = input('value-input', 'text', lab, c.list.join(', '), function (v) {
            c.list = v.split(/[,，]/).map(function (s) { return s.trim(); }).filter(function (s) { return s !== ''; });
          });
          t.placeholder = L.values_hint;
          span.appendChild(t);
        }
      } else if (c.op === 'between') {
        var type = k === 'time' ? 'date' : 'number';
        span.appendChild(input('value-input', type, L.from, c.v, function (v) { c.v = v; }));
        span.appendChild(el('span', { text: ' – ' }));
        span.appendChild(input('value-input2', type, L.to, c.v2, function (v) { c.v2 = v; }));
      } else if (c.op === 'within_days') {
        span.appendChild(input('value-input', 'number', L.days, c.v, function (v) { c.v = v; }));
        span.appendChild(el('span', { text: ' ' + L.days }));
      } else if (k === 'time') {
        span.appendChild(input('value-input', 'date', lab, c.v, function (v) { c.v = v; }));
      } else if (f.options && f.options.length) {
        var s = select('value-input', lab, f.options, c.v, false);
        s.addEventListener('change', function () { c.v = s.value; changed(false); });
        span.appendChild(s);
      } else {
        var numeric = k === 'int' || k === 'float' || k === 'money';
        span.appendChild(input('value-input', numeric ? 'number' : 'text', lab, c.v, function (v) { c.v = v; }));
      }
      if (k === 'bought') {
        var w = select('window', L.window, [{ value: 'none', label: L.window_none }, { value: 'days', label: L.window_days },
          { value: 'between', label: L.window_between }], c.win.kind, false);
        w.addEventListener('change', function () { c.win.kind = w.value; changed(true); });
        span.appendChild(el('span', { className: 'window-label', text: ' ' + L.window + ' ' }));
        span.appendChild(w);
        if (c.win.kind === 'days') {
          span.appendChild(input('window-days', 'number', L.days, c.win.days, function (v) { c.win.days = v; }));
        } else if (c.win.kind === 'between') {
          span.appendChild(input('window-from', 'date', L.from, c.win.from, function (v) { c.win.from = v; }));
          span.appendChild(input('window-to', 'date', L.to, c.win.to, function (v) { c.win.to = v; }));
        }
      }
      return span;
    }
    function drawCond(c, parent) {
      var div = el('div', { className: 'cond', role: 'group', 'aria-label': L.condition });
      var fopts = D.fields.map(function (f) { return { value: f.name, label: f.label }; });
      var fs = select('field', L.field, fopts, c.field, false);
      fs.addEventListener('change', function () {
        c.field = fs.value;
        var f = fields[c.field];
        if (f.ops.indexOf(c.op) < 0) { c.op = f.ops[0]; }
        resetValue(c);
        changed(true);
      });
      var f = fields[c.field];
      var oopts = (f ? f.ops : [c.op]).map(function (o) { return { value: o, label: D.ops[o] || o }; });
      var os = select('op', L.op, oopts, c.op, false);
      os.addEventListener('change', function () {
        var wasList = c.op === 'in' || c.op === 'not_in';
        c.op = os.value;
        if (wasList !== (c.op === 'in' || c.op === 'not_in') || c.op === 'between' || c.op === 'within_days') { resetValue(c); }
        changed(true);
      });
      var rm = el('button', { type: 'button', className: 'remove', text: L.remove, 'aria-label': L.remove + ' ' + L.condition });
      rm.addEventListener('click', function () { parent.kids.splice(parent.kids.indexOf(c), 1); changed(true); });
      div.appendChild(fs); div.appendChild(os); div.appendChild(valueInputs(c)); div.appendChild(rm);
      div.appendChild(el('p', { className: 'node-error', role: 'alert', hidden: 'hidden' }));
      c.dom = div;
      return div;
    }
    function drawGroup(g, parent) {
      var id = 'seg-group-' + (++uid);
      var fs = el('fieldset', { className: 'group', id: id });
      var ms = select('mode', L.group, [{ value: 'all', label: L.all }, { value: 'any', label: L.any }, { value: 'not', label: L.not }], g.mode, false);
      ms.addEventListener('change', function () { g.mode = ms.value; changed(false); });
      fs.appendChild(el('legend', {}, [ms]));
      var kids = el('div', { className: 'kids' });
      g.kids.forEach(function (k) { kids.appendChild(k.kids ? drawGroup(k, g) : drawCond(k, g)); });
      fs.appendChild(kids);
      var add = el('button', { type: 'button', className: 'add-cond', text: '+ ' + L.add_condition });
      add.addEventListener('click', function () { g.kids.push(newCond()); changed(true); });
      var addg = el('button', { type: 'button', className: 'add-group', text: '+ ' + L.add_group });
      addg.addEventListener('click', function () { g.kids.push({ mode: 'any', kids: [newCond()] }); changed(true); });
      var bar = el('p', { className: 'group-actions' }, [add, addg]);
      if (parent) {
        var rm = el('button', { type: 'button', className: 'remove', text: L.remove, 'aria-label': L.remove + ' ' + L.group });
        rm.addEventListener('click', function () { parent.kids.splice(parent.kids.indexOf(g), 1); changed(true); });
        bar.appendChild(rm);
      }
      fs.appendChild(bar);
      fs.appendChild(el('p', { className: 'node-error', role: 'alert', hidden: 'hidden' }));
      g.dom = fs;
      return fs;
    }
    function render() {
      box.textContent = '';
      box.appendChild(drawGroup(root, null));
      serialise(); // the paths of the nodes just drawn
    }

    function load(text) {
      var o;
      try { o = JSON.parse(text); } catch (e) { return false; }
      root = fromJSON(o);
      if (!root.kids) { root = { mode: 'all', kids: [root] }; }
      return true;
    }
    if (!load(area.value)) { root = { mode: 'all', kids: [] }; }
    box.hidden = false;
    render();
    var serverError = document.getElementById('segment-error');
    if (serverError && serverError.dataset.path !== undefined) {
      showError(serverError.textContent, serverError.dataset.path);
      out.textContent = '';
    } else {
      count(root.kids.length === 0 ? null : area.value);
    }
    // Typing JSON in the advanced box redraws the editor when it parses.
    var areaTimer = null;
    area.addEventListener('input', function () {
      clearTimeout(areaTimer);
      areaTimer = setTimeout(function () {
        if (load(area.value)) { render(); } else { out.textContent = L.json_bad; }
        schedule(area.value);
      }, 300);
    });
  }

  // A form with data-confirm asks before it is sent (deleting a segment).
  function confirms() {
    document.querySelectorAll('form[data-confirm]').forEach(function (f) {
      f.addEventListener('submit', function (ev) {
        if (!window.confirm(f.dataset.confirm)) { ev.preventDefault(); }
      });
    });
  }

  function start() { builder(); drawHistory(); confirms(); }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
