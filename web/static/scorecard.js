// Draws the scorecard's CRM lines from the JSON the page carries
// (#chart-data); the same numbers are in the table under the charts.
(function () {
  'use strict';
  function draw() {
    var el = document.getElementById('chart-data');
    if (!el || typeof echarts === 'undefined') { return; }
    var d = JSON.parse(el.textContent);
    var L = d.labels || {};
    if (!d.sc_months) { return; }
    var charts = [];
    function lines(id, names, unit) {
      var node = document.getElementById(id);
      if (!node) { return; }
      var c = echarts.init(node);
      c.setOption({
        tooltip: { trigger: 'axis' },
        legend: { top: 0, type: 'scroll', data: names.map(function (n) { return L[n]; }) },
        grid: { left: 50, right: 20, top: 55, bottom: 30 },
        xAxis: { type: 'category', data: d.sc_months },
        yAxis: { type: 'value', name: unit },
        series: names.map(function (n) {
          return { name: L[n], type: 'line', connectNulls: false, data: d.sc[n] };
        })
      });
      node.dataset.rendered = 'true';
      charts.push(c);
    }
    lines('chart-sc-rates', ['repeat_rate', 'cum_repeat_rate', 'churn_rate', 'csat'], '%');
    lines('chart-sc-service', ['nps', 'complaint_rate'], '');
    window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', draw);
  } else {
    draw();
  }
})();
