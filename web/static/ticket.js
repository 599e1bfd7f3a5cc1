// The ticket page's suggested articles: htmx asks the knowledge base
// (GET .../kb/suggest?q=) as the agent types a reply; this names the query
// after the reply's text. When the shop has no knowledge base (404) or the
// request fails, htmx swaps nothing and the panel stays empty.
(function () {
  'use strict';
  document.addEventListener('htmx:configRequest', function (e) {
    var panel = document.getElementById('kb-suggest');
    var reply = document.getElementById('reply-body');
    if (!panel || !reply || e.target !== panel) { return; }
    var q = reply.value.trim().slice(-200);
    if (q.length < 2) { e.preventDefault(); return; }
    e.detail.parameters.q = q;
  });
})();
