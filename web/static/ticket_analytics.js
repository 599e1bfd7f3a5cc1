// Draws the complaint analytics' charts from the JSON the page carries
// (#chart-data): complaints and their rate per 1,000 orders by month, and
// the Pareto of causes. The same numbers are in the tables under them.
(function () {
  'use strict';
  function draw() {
    var el = document.getElementById('chart-data');
    if (!el || typeof echarts === 'undefined') { return; }
    var d = JSON.parse(el.textContent);
    var L = d.labels || {};
    var charts = [];
    function chart(id, option) {
      var node = document.getElementById(id);
      if (!node) { return; }
      var c = echarts.init(node);
      c.setOption(option);
      node.dataset.rendered = 'true';
      charts.push(c);
    }
    chart('chart-complaints', {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 50, right: 50, top: 30, bottom: 30 },
      xAxis: { type: 'category', data: d.months || [] },
      yAxis: [{ type: 'value', name: L.complaints, minInterval: 1 }, { type: 'value', name: L.rate }],
      series: [
        { type: 'bar', name: L.complaints, data: d.complaints || [] },
        { type: 'line', name: L.rate, yAxisIndex: 1, data: d.rate || [] }
      ]
    });
    chart('chart-causes', {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 50, right: 50, top: 30, bottom: 30 },
      xAxis: { type: 'category', data: d.causes || [] },
      yAxis: [{ type: 'value', name: L.complaints, minInterval: 1 }, { type: 'value', name: L.cumulative, max: 100 }],
      series: [
        { type: 'bar', name: L.complaints, data: d.counts || [] },
        { type: 'line', name: L.cumulative, yAxisIndex: 1, data: d.cumulative || [] }
      ]
    });
    window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', draw);
  } else {
    draw();
  }
})();
