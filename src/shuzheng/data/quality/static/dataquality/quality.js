// 数据质量 pages: the score trend chart (figures from #dataquality-trend-data) and, on the
// rule form, showing only the parameter inputs of the chosen rule type. No inline script
// (Content-Security-Policy script-src 'self'); without JavaScript every input is shown.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function trend() {
    var source = document.getElementById("dataquality-trend-data");
    var node = document.getElementById("chart-trend");
    if (!source || !node || typeof echarts === "undefined") return;
    var data = JSON.parse(source.textContent);
    var chart = echarts.init(node, null, { renderer: "canvas" });
    chart.setOption({
      aria: { enabled: true },
      animation: !window.matchMedia("(prefers-reduced-motion: reduce)").matches,
      color: ["#0b5cad"],
      grid: { left: 48, right: 16, top: 24, bottom: 40 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.at },
      yAxis: { type: "value", min: 0, max: 100, name: data.labels.score },
      series: [{ type: "line", name: data.labels.score, data: data.scores, connectNulls: true }],
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function ruleForm() {
    var source = document.getElementById("dataquality-kind-fields");
    var kind = document.getElementById("f-kind");
    if (!source || !kind) return;
    var fields = JSON.parse(source.textContent);
    function sync() {
      var shown = fields[kind.value] || [];
      var any = false;
      document.querySelectorAll("[data-param]").forEach(function (node) {
        var on = shown.indexOf(node.getAttribute("data-param")) !== -1;
        node.hidden = !on;
        any = any || on;
      });
      var box = document.getElementById("params");
      if (box) box.hidden = !any;
    }
    kind.addEventListener("change", sync);
    sync();
  }

  ready(function () {
    trend();
    ruleForm();
  });
})();
