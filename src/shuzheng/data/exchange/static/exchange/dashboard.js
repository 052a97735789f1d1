// 调用统计 charts: the figures come from the page's JSON script tag (#exchange-dashboard-data);
// no inline script, so the Content-Security-Policy (script-src 'self') holds. The same numbers
// are in the page's tables.
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

  ready(function () {
    var source = document.getElementById("exchange-dashboard-data");
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var l = data.labels;
    var charts = [
      chart("chart-series", {
        color: ["#0b5cad", "#c62828"],
        grid: { left: 48, right: 16, top: 40, bottom: 40 },
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        xAxis: { type: "category", data: data.series.days },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { type: "bar", name: l.calls, data: data.series.calls },
          { type: "line", name: l.errors, data: data.series.errors },
        ],
      }),
      data.outcomes.names.length
        ? chart("chart-outcomes", {
            tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
            legend: { type: "scroll", bottom: 0 },
            series: [
              {
                type: "pie",
                name: l.calls,
                radius: ["35%", "65%"],
                center: ["50%", "45%"],
                data: data.outcomes.names.map(function (name, i) {
                  return { name: name, value: data.outcomes.counts[i] };
                }),
                label: { formatter: "{b}\n{d}%" },
              },
            ],
          })
        : null,
      data.quota.names.length
        ? chart("chart-quota", {
            color: ["#0b5cad", "#b0bec5"],
            grid: { left: 8, right: 40, top: 32, bottom: 24, containLabel: true },
            tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
            legend: { top: 0 },
            xAxis: { type: "value", minInterval: 1 },
            yAxis: { type: "category", inverse: true, data: data.quota.names },
            series: [
              { type: "bar", name: l.used, data: data.quota.used, label: { show: true, position: "right" }, z: 3, barGap: "-100%" },
              { type: "bar", name: l.limit, data: data.quota.limits, itemStyle: { opacity: 0.35 }, z: 2 },
            ],
          })
        : null,
    ];
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { if (c) c.resize(); });
    });
  });
})();
