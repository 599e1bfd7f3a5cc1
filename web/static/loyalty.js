// Draws the loyalty page's expiry forecast from the JSON the page carries
// (#chart-data); the same numbers are in the table under the chart.
(function () {
  'use strict';
  function draw() {
    var el = document.getElementById('chart-data');
    var node = document.getElementById('chart-expiry');
    if (!el || !node || typeof echarts === 'undefined') { return; }
    var d = JSON.parse(el.textContent);
    var L = d.labels || {};
    var c = echarts.init(node);
    c.setOption({
      tooltip: { trigger: 'axis' },
      grid: { left: 60, right: 20, top: 20, bottom: 30 },
      xAxis: { type: 'category', data: d.expiry_months || [] },
      yAxis: { type: 'value', name: L.points },
      series: [{ type: 'bar', name: L.points, data: d.expiry_points || [] }]
    });
    node.dataset.rendered = 'true';
    window.addEventListener('resize', function () { c.resize(); });
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', draw);
  } else {
    draw();
  }
})();
