// 电子监察 charts: the figures come from the page's JSON script tag (#supervision-data);
// no inline script, so the Content-Security-Policy (script-src 'self') holds.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function chart(id, option) {
    var node = document.getElementById(id);
    if (!node || typeof echarts === "undefined") return null;
    var instance = echarts.init(node, null, { renderer: "canvas" });
    option.aria = { enabled: true };
    option.animation = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    instance.setOption(option);
    return instance;
  }

  function bars(names, values, label, color) {
    return {
      color: [color],
      grid: { left: 48, right: 16, top: 24, bottom: 96 },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v + "%"; } },
      xAxis: { type: "category", data: names, axisLabel: { rotate: 40, interval: 0 } },
      yAxis: { type: "value", min: 0, max: 100, name: label },
      dataZoom: names.length > 12 ? [{ type: "slider", start: 0, end: Math.round(1200 / names.length) }] : [],
      series: [{ type: "bar", name: label, data: values }],
    };
  }

  ready(function () {
    var source = document.getElementById("supervision-data");
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var labels = data.labels;
    var depts = data.departments;
    var charts = [
      chart("chart-on-time", bars(depts.names, depts.on_time_rate, labels.on_time_rate, "#0b5cad")),
      chart("chart-correction", bars(depts.names, depts.correction_rate, labels.correction_rate, "#b35900")),
      chart("chart-trend", {
        color: ["#0b5cad", "#2e7d32"],
        grid: { left: 48, right: 16, top: 40, bottom: 40 },
        legend: { top: 0, data: [labels.received, labels.concluded] },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: data.trend.days },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { type: "line", name: labels.received, data: data.trend.received },
          { type: "line", name: labels.concluded, data: data.trend.concluded },
        ],
      }),
    ];
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { if (c) c.resize(); });
    });
  });
})();
