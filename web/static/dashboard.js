// Draws the dashboards' charts from the JSON each page carries
// (#chart-data); the same numbers are in the tables under each chart.
// Every chart is drawn only when its element is on the page.
(function () {
  'use strict';
  function draw() {
    var el = document.getElementById('chart-data');
    if (!el || typeof echarts === 'undefined') { return; }
    var d = JSON.parse(el.textContent);
    var L = d.labels || {};
    var charts = [];
    // esc makes text safe in a tooltip a formatter function returns:
    // ECharts writes that string as HTML (its string templates escape,
    // functions do not).
    function esc(s) {
      return String(s).replace(/[&<>"']/g, function (c) {
        return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
      });
    }
    function chart(id, option) {
      var node = document.getElementById(id);
      if (!node) { return; }
      var c = echarts.init(node);
      c.setOption(option);
      node.dataset.rendered = 'true';
      charts.push(c);
    }
    function bars(rows) {
      return {
        grid: { left: 110, right: 20, top: 10, bottom: 30 },
        tooltip: { trigger: 'axis' },
        xAxis: { type: 'value' },
        yAxis: { type: 'category', inverse: true, data: rows.map(function (r) { return r.label; }) },
        series: [{ type: 'bar', name: L.customers, data: rows.map(function (r) { return r.value; }) }]
      };
    }
    function money(v) { return Number(v).toLocaleString(undefined, { maximumFractionDigits: 2 }); }

    // Overview.
    if (d.months) {
      chart('chart-monthly', {
        tooltip: { trigger: 'axis' },
        legend: { top: 0, type: 'scroll', data: [L.revenue, L.orders] },
        grid: { left: 60, right: 60, top: 55, bottom: 30 },
        xAxis: { type: 'category', data: d.months },
        yAxis: [{ type: 'value', name: L.revenue }, { type: 'value', name: L.orders }],
        series: [
          { name: L.revenue, type: 'bar', data: d.revenue },
          { name: L.orders, type: 'line', yAxisIndex: 1, data: d.orders }
        ]
      });
    }
    if (d.repeat_months) {
      chart('chart-repeat', {
        tooltip: { trigger: 'axis' },
        legend: { top: 0, type: 'scroll', data: [L.active, L.repeat_rate] },
        grid: { left: 60, right: 60, top: 55, bottom: 30 },
        xAxis: { type: 'category', data: d.repeat_months },
        yAxis: [{ type: 'value', name: L.active }, { type: 'value', name: '%', min: 0, max: 100 }],
        series: [
          { name: L.active, type: 'bar', data: d.active },
          { name: L.repeat_rate, type: 'line', yAxisIndex: 1, data: d.repeat_rate,
            tooltip: { valueFormatter: function (v) { return v + '%'; } } }
        ]
      });
    }
    if (d.pareto) {
      chart('chart-pareto', {
        tooltip: { trigger: 'axis' },
        grid: { left: 60, right: 20, top: 20, bottom: 40 },
        xAxis: { type: 'value', name: L.customer_share, min: 0, max: 1 },
        yAxis: { type: 'value', name: L.revenue_share, min: 0, max: 1 },
        series: [{ type: 'line', data: d.pareto, areaStyle: {} }]
      });
    }

    // Customer base.
    if (d.segments) {
      chart('chart-segments', {
        tooltip: {
          formatter: function (p) {
            return esc(p.name) + '<br>' + esc(L.customers) + ': ' + p.value + '<br>' + esc(L.revenue) + ': ' + esc(money(p.data.revenue)) +
              ' (' + p.data.share + '%)';
          }
        },
        series: [{
          type: 'treemap', roam: false, nodeClick: false, breadcrumb: { show: false },
          width: '100%', height: '100%', top: 0, left: 0,
          label: { formatter: '{b}\n{c}' },
          data: d.segments.map(function (s) { return { name: s.label, value: s.value, revenue: s.revenue, share: s.share }; })
        }]
      });
    }
    if (d.tiers) {
      chart('chart-tiers', {
        tooltip: { trigger: 'axis' },
        legend: { top: 0, type: 'scroll', data: [L.customers, L.revenue_share] },
        grid: { left: 60, right: 50, top: 55, bottom: 30 },
        xAxis: { type: 'category', data: d.tiers.map(function (t) { return t.label; }) },
        yAxis: [{ type: 'value', name: L.customers }, { type: 'value', name: '%', min: 0, max: 100 }],
        series: [
          { name: L.customers, type: 'bar', data: d.tiers.map(function (t) { return t.value; }) },
          { name: L.revenue_share, type: 'bar', yAxisIndex: 1, data: d.tiers.map(function (t) { return t.share; }),
            tooltip: { valueFormatter: function (v) { return v + '%'; } } }
        ]
      });
    }
    if (d.lifecycle) {
      chart('chart-lifecycle', {
        tooltip: { trigger: 'item', formatter: '{b}: {c}' },
        series: [{
          type: 'funnel', sort: 'none', left: '10%', width: '80%', top: 10, bottom: 10,
          label: { formatter: '{b} {c}' },
          data: d.lifecycle.map(function (s) { return { name: s.label, value: s.value }; })
        }]
      });
    }

    // Retention.
    if (d.cells) {
      chart('chart-cohorts', {
        tooltip: {
          position: 'top',
          formatter: function (p) {
            return esc(L.cohort + ' ' + d.cohorts[p.value[1]]) + '<br>+' + (p.value[0] + 1) + ' ' + esc(L.month_offset) + ': ' + p.value[2] + '%';
          }
        },
        grid: { left: 70, right: 20, top: 10, bottom: 70 },
        xAxis: { type: 'category', name: L.month_offset, nameLocation: 'center', nameGap: 25, data: d.offsets.slice(1), splitArea: { show: true } },
        yAxis: { type: 'category', inverse: true, data: d.cohorts, splitArea: { show: true } },
        visualMap: { min: 0, max: 100, calculable: true, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 120,
          inRange: { color: ['#f4f7fb', '#2f6fde'] } },
        // Month 0 is every cohort's first month, always 100%: left out.
        series: [{ type: 'heatmap', name: L.retention,
          data: d.cells.filter(function (c) { return c[0] > 0; }).map(function (c) { return [c[0] - 1, c[1], c[2]]; }),
          label: { show: d.offsets.length <= 13, formatter: function (p) { return Math.round(p.value[2]); } } }]
      });
    }
    if (d.stages) {
      chart('chart-stages', {
        tooltip: { trigger: 'axis' },
        legend: { top: 0, type: 'scroll', data: d.stages.map(function (s) { return s.name; }) },
        grid: { left: 60, right: 20, top: 55, bottom: 30 },
        xAxis: { type: 'category', data: d.points },
        yAxis: { type: 'value', name: L.customers },
        series: d.stages.map(function (s) { return { name: s.name, type: 'bar', stack: 'stage', data: s.data }; })
      });
    }
    if (d.flow_links) {
      chart('chart-flows', {
        tooltip: { trigger: 'item' },
        series: [{
          type: 'sankey', left: 10, right: 120, top: 10, bottom: 10, nodeAlign: 'justify',
          emphasis: { focus: 'adjacency' }, lineStyle: { color: 'gradient', curveness: 0.5 },
          data: d.flow_nodes, links: d.flow_links
        }]
      });
    }

    // Geography.
    if (d.provinces) {
      chart('chart-provinces', {
        tooltip: { trigger: 'axis' },
        legend: { top: 0, type: 'scroll', data: [L.revenue, L.orders, L.customers] },
        grid: { left: 90, right: 30, top: 70, bottom: 30 },
        xAxis: [{ type: 'value', name: L.revenue, position: 'bottom' }, { type: 'value', name: L.orders, position: 'top' }],
        yAxis: { type: 'category', inverse: true, data: d.provinces },
        series: [
          { name: L.revenue, type: 'bar', data: d.revenue },
          { name: L.orders, type: 'bar', xAxisIndex: 1, data: d.orders },
          { name: L.customers, type: 'bar', xAxisIndex: 1, data: d.customers }
        ]
      });
    }

    // Churn risk.
    if (d.bands) { chart('chart-bands', bars(d.bands)); }

    window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
  }
  // A <select class="autosubmit"> shows its choice at once.
  document.addEventListener('change', function (e) {
    var t = e.target;
    if (t && t.classList && t.classList.contains('autosubmit') && t.form) { t.form.submit(); }
  });
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', draw);
  } else {
    draw();
  }
})();
