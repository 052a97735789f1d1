// 12345 工单统计 charts: the figures come from the page's JSON script tag
// (#hotline-stats-data); no inline script, so the Content-Security-Policy (script-src 'self')
// holds. The same numbers are in the page's tables and CSV exports.
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

  function bars(series, label, color, horizontal) {
    var many = series.names.length > 12;
    var names = { type: "category", data: series.names };
    var counts = { type: "value", minInterval: 1, name: label };
    if (horizontal) names.inverse = true;
    else names.axisLabel = { rotate: series.names.length > 6 ? 40 : 0, interval: 0 };
    return {
      color: [color],
      grid: horizontal
        ? { left: 8, right: 32, top: 24, bottom: 24, containLabel: true }
        : { left: 48, right: 16, top: 32, bottom: 80 },
      tooltip: { trigger: "axis" },
      xAxis: horizontal ? counts : names,
      yAxis: horizontal ? names : counts,
      dataZoom: many && !horizontal ? [{ type: "slider", start: 0, end: Math.round(1200 / series.names.length) }] : [],
      series: [{ type: "bar", name: label, data: series.counts, label: { show: true, position: horizontal ? "right" : "top" } }],
    };
  }

  ready(function () {
    var source = document.getElementById("hotline-stats-data");
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var label = data.labels.orders;
    var charts = [
      chart("chart-trend", {
        color: ["#0b5cad"],
        grid: { left: 48, right: 16, top: 24, bottom: 40 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: data.trend.days },
        yAxis: { type: "value", minInterval: 1, name: label },
        series: [{ type: "line", name: label, data: data.trend.counts, areaStyle: { opacity: 0.15 } }],
      }),
      chart("chart-category", bars(data.categories, label, "#0b5cad", true)),
      chart("chart-district", bars(data.districts, label, "#2e7d32", false)),
      chart("chart-channel", {
        tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
        legend: { type: "scroll", bottom: 0 },
        series: [
          {
            type: "pie",
            name: label,
            radius: ["35%", "65%"],
            center: ["50%", "45%"],
            data: data.channels.names.map(function (name, i) {
              return { name: name, value: data.channels.counts[i] };
            }),
            label: { formatter: "{b}\n{d}%" },
          },
        ],
      }),
    ];
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { if (c) c.resize(); });
    });
  });
})();
