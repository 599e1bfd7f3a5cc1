// Draws the shop overview's charts from the JSON the page carries
// (#chart-data); the same numbers are in the tables under each chart.
(function () {
  'use strict';
  function draw() {
    var el = document.getElementById('chart-data');
    if (!el || typeof echarts === 'undefined') { return; }
    var d = JSON.parse(el.textContent);
    var L = d.labels;
    var charts = [];
    function chart(id, option) {
      var node = document.getElementById(id);
      if (!node) { return; }
      var c = echarts.init(node);
      c.setOption(option);
      node.dataset.rendered = 'true';
      charts.push(c);
    }
    var bars = function (rows) {
      return {
        grid: { left: 110, right: 20, top: 10, bottom: 30 },
        tooltip: { trigger: 'axis' },
        xAxis: { type: 'value' },
        yAxis: { type: 'category', inverse: true, data: rows.map(function (r) { return r.label; }) },
        series: [{ type: 'bar', data: rows.map(function (r) { return r.value; }) }]
      };
    };
    chart('chart-monthly', {
      tooltip: { trigger: 'axis' },
      legend: { data: [L.revenue, L.orders] },
      grid: { left: 60, right: 60, top: 40, bottom: 30 },
      xAxis: { type: 'category', data: d.months || [] },
      yAxis: [{ type: 'value', name: L.revenue }, { type: 'value', name: L.orders }],
      series: [
        { name: L.revenue, type: 'bar', data: d.revenue || [] },
        { name: L.orders, type: 'line', yAxisIndex: 1, data: d.orders || [] }
      ]
    });
    if (d.segments) { chart('chart-segments', bars(d.segments)); }
    if (d.lifecycle) { chart('chart-lifecycle', bars(d.lifecycle)); }
    if (d.pareto) {
      chart('chart-pareto', {
        tooltip: { trigger: 'axis' },
        grid: { left: 60, right: 20, top: 20, bottom: 40 },
        xAxis: { type: 'value', name: L.customer_share, min: 0, max: 1 },
        yAxis: { type: 'value', name: L.revenue_share, min: 0, max: 1 },
        series: [{ type: 'line', data: d.pareto, areaStyle: {} }]
      });
    }
    window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', draw);
  } else {
    draw();
  }
})();
