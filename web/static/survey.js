// Draws a survey's NPS or CSAT (% satisfied) by month from the JSON the page
// carries (#chart-data); the same numbers are in the table under it. A month
// without answers is a gap in the line.
(function () {
  'use strict';
  function draw() {
    var el = document.getElementById('chart-data');
    var node = document.getElementById('chart-survey');
    if (!el || !node || typeof echarts === 'undefined') { return; }
    var d = JSON.parse(el.textContent);
    var L = d.labels || {};
    var name = d.kind === 'nps' ? L.nps : L.csat;
    var c = echarts.init(node);
    c.setOption({
      tooltip: { trigger: 'axis' },
      grid: { left: 50, right: 20, top: 20, bottom: 30 },
      xAxis: { type: 'category', data: d.months || [] },
      yAxis: d.kind === 'nps' ? { type: 'value', min: -100, max: 100, name: name } : { type: 'value', min: 0, max: 100, name: name },
      series: [{ type: 'line', name: name, data: d.values || [], connectNulls: false, symbolSize: 7 }]
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
