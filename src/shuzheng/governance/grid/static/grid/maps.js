// Offline maps (ECharts + our schematic outlines; no tile server, no internet):
//   [data-grid-picker]  location picker: a click fills the latitude/longitude inputs and shows
//                       the grid cell, street and district (grid:locate); "使用我的位置".
//   [data-order-map]    work orders as points coloured by state, a heat layer, grid cells.
// No inline script (Content-Security-Policy script-src 'self'): data come from json_script
// tags and data-* attributes; the outlines from grid:geojson. Without JavaScript the picker's
// inputs are filled by hand and the order map's table lists the orders.
(function () {
  "use strict";

  var STATE_COLORS = {
    registered: "#6c757d",
    dispatched: "#0b5cad",
    handling: "#1b85d6",
    extension: "#b35900",
    replied: "#6f42c1",
    callback: "#0f8f7a",
    returned: "#d63384",
    closed: "#2e7d32",
    merged: "#adb5bd",
  };
  // the mainland, 横琴 and the near islands; 万山群岛 are reached by panning
  var ZHUHAI = [[113.12, 22.44], [113.66, 21.9]];
  var geoCache = {};
  var mapNames = {};

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function dark() {
    return document.body.classList.contains("ops");
  }

  function palette() {
    return dark()
      ? { area: "#16283f", border: "#3d5a80", hover: "#24466e", district: "#8fb3e0", cell: "rgba(143,179,224,0.35)", text: "#e6eefc" }
      : { area: "#eef3f9", border: "#9db1cc", hover: "#d6e4f5", district: "#33506f", cell: "rgba(51,80,111,0.3)", text: "#212529" };
  }

  function esc(text) {
    return echarts.format.encodeHTML(text === undefined || text === null ? "" : String(text));
  }

  function loadGeo(url) {
    if (!geoCache[url]) {
      geoCache[url] = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(
        function (response) {
          if (!response.ok) throw new Error("geojson " + response.status);
          return response.json();
        }
      );
    }
    return geoCache[url];
  }

  // Split the FeatureCollection: regions of the base map (districts and zones, and streets
  // whose district has no outline), street and district outlines and grid cells as lines.
  function layers(url, collection) {
    var outlined = {};
    var regions = [];
    var districts = [];
    var streets = [];
    var cells = [];
    collection.features.forEach(function (f) {
      if (f.properties.kind === "district") outlined[f.properties.name] = true;
    });
    collection.features.forEach(function (f) {
      var kind = f.properties.kind;
      if (kind === "cell") cells.push(f);
      else if (kind === "street") {
        streets.push(f);
        if (!outlined[f.properties.parent]) regions.push(f);
      } else {
        districts.push(f);
        regions.push(f);
      }
    });
    var name = mapNames[url];
    if (!name) {
      name = "shuzheng-map-" + (Object.keys(mapNames).length + 1);
      mapNames[url] = name;
      echarts.registerMap(name, { type: "FeatureCollection", features: regions });
    }
    return { map: name, districts: districts, streets: streets, cells: cells };
  }

  function rings(features) {
    var out = [];
    features.forEach(function (f) {
      var g = f.geometry;
      var polygons = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
      polygons.forEach(function (polygon) {
        polygon.forEach(function (ring) {
          out.push({ name: f.properties.name, coords: ring });
        });
      });
    });
    return out;
  }

  function outlineSeries(name, features, color, width, z) {
    return {
      type: "lines",
      name: name,
      coordinateSystem: "geo",
      polyline: true,
      silent: true,
      z: z,
      lineStyle: { color: color, width: width, opacity: 1 },
      data: rings(features),
    };
  }

  function geoOption(map, bounds) {
    var p = palette();
    return {
      map: map,
      roam: true,
      aspectScale: 0.93, // cos(22°): lng/lat degrees to the same length at Zhuhai's latitude
      boundingCoords: bounds || ZHUHAI,
      scaleLimit: { min: 0.5, max: 60 },
      label: { show: false, color: p.text },
      itemStyle: { areaColor: p.area, borderColor: p.border, borderWidth: 0.8 },
      emphasis: { label: { show: true, color: p.text }, itemStyle: { areaColor: p.hover } },
      select: { disabled: true },
      tooltip: { show: true, formatter: function (params) { return esc(params.name); } },
    };
  }

  function chartIn(node) {
    node.hidden = false;
    var chart = echarts.init(node, null, { renderer: "canvas" });
    window.addEventListener("resize", function () {
      chart.resize();
    });
    return chart;
  }

  function motion() {
    return !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  // --- location picker -------------------------------------------------------------------

  function Picker(root) {
    this.root = root;
    this.form = root.closest("form");
    this.lat = document.getElementById(root.dataset.latField);
    this.lng = document.getElementById(root.dataset.lngField);
    this.result = root.querySelector("[data-grid-result]");
    this.mapNode = root.querySelector("[data-grid-map]");
    this.chart = null;
    this.pending = null;
  }

  Picker.prototype.address = function () {
    var name = this.root.dataset.addressField;
    if (!name) return null;
    return document.getElementById(name) || (this.form && this.form.elements[name]) || null;
  };

  Picker.prototype.point = function () {
    var lat = parseFloat(this.lat.value);
    var lng = parseFloat(this.lng.value);
    if (!isFinite(lat) || !isFinite(lng) || Math.abs(lat) > 90 || Math.abs(lng) > 180) return null;
    return [lng, lat];
  };

  Picker.prototype.marker = function (point) {
    if (!this.chart) return;
    this.chart.setOption({ series: [{ id: "marker", data: point ? [{ value: point }] : [] }] });
  };

  Picker.prototype.set = function (lng, lat, fillAddress) {
    this.lat.value = lat.toFixed(6);
    this.lng.value = lng.toFixed(6);
    this.lat.dispatchEvent(new Event("change", { bubbles: true }));
    this.lng.dispatchEvent(new Event("change", { bubbles: true }));
    this.update(fillAddress);
  };

  Picker.prototype.update = function (fillAddress) {
    var point = this.point();
    this.marker(point);
    if (!point) {
      this.result.textContent = "";
      return;
    }
    this.locate(point, fillAddress);
  };

  Picker.prototype.locate = function (point, fillAddress) {
    var self = this;
    var data = this.root.dataset;
    var url = data.locateUrl + "?lat=" + encodeURIComponent(point[1]) + "&lng=" + encodeURIComponent(point[0]);
    var token = {};
    this.pending = token;
    this.result.textContent = data.msgLocating;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("locate " + response.status);
        return response.json();
      })
      .then(function (found) {
        if (self.pending !== token) return;
        var parts = [];
        if (found.district) parts.push(data.msgDistrict + "：" + found.district);
        if (found.street) parts.push(data.msgStreet + "：" + found.street);
        if (found.cell) parts.push(data.msgCell + "：" + found.cell.name + "（" + found.cell.code + "）");
        var where = point[1].toFixed(5) + ", " + point[0].toFixed(5);
        self.result.textContent = parts.length
          ? data.msgPicked + " " + where + " · " + parts.join(" · ")
          : data.msgPicked + " " + where + " · " + data.msgOutside;
        var address = self.address();
        if (fillAddress && address && (!address.value.trim() || address.dataset.gridFilled === "1")) {
          var text = (found.district || "") + (found.street || "");
          if (text) {
            address.value = text;
            address.dataset.gridFilled = "1";
          }
        }
      })
      .catch(function () {
        if (self.pending === token) self.result.textContent = data.msgFailed;
      });
  };

  Picker.prototype.start = function () {
    var self = this;
    var data = this.root.dataset;
    if (!this.lat || !this.lng) return;
    var address = this.address();
    if (address) {
      address.addEventListener("input", function () {
        delete address.dataset.gridFilled;
      });
    }
    var timer = null;
    [this.lat, this.lng].forEach(function (input) {
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          self.update(false);
        }, 400);
      });
    });
    var geo = this.root.querySelector("[data-grid-geolocate]");
    if (geo && "geolocation" in navigator && window.isSecureContext) {
      geo.hidden = false;
      geo.addEventListener("click", function () {
        geo.disabled = true;
        navigator.geolocation.getCurrentPosition(
          function (position) {
            geo.disabled = false;
            self.set(position.coords.longitude, position.coords.latitude, true);
            if (self.chart) self.chart.setOption({ geo: { center: [position.coords.longitude, position.coords.latitude], zoom: 6 } });
          },
          function () {
            geo.disabled = false;
            self.result.textContent = data.msgGeoFailed;
          },
          { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
        );
      });
    }
    var clear = this.root.querySelector("[data-grid-clear]");
    if (clear) {
      clear.hidden = false;
      clear.addEventListener("click", function () {
        self.lat.value = "";
        self.lng.value = "";
        self.update(false);
      });
    }
    var now = this.point();
    if (now) this.locate(now, false);
    if (typeof echarts === "undefined") return;
    loadGeo(data.geojsonUrl)
      .then(function (collection) {
        var layer = layers(data.geojsonUrl, collection);
        var p = palette();
        self.chart = chartIn(self.mapNode);
        self.chart.setOption({
          aria: { enabled: true },
          animation: motion(),
          tooltip: { trigger: "item" },
          geo: geoOption(layer.map),
          series: [
            outlineSeries("streets", layer.streets, p.border, 0.8, 2),
            outlineSeries("districts", layer.districts, p.district, 1.6, 3),
            {
              id: "marker",
              type: "scatter",
              coordinateSystem: "geo",
              symbol: "pin",
              symbolSize: 34,
              symbolOffset: [0, "-50%"], // the pin's tip on the point
              z: 5,
              itemStyle: { color: "#d63384" },
              tooltip: { show: false },
              data: [],
            },
          ],
        });
        self.chart.getZr().on("click", function (event) {
          var point = self.chart.convertFromPixel({ geoIndex: 0 }, [event.offsetX, event.offsetY]);
          if (point && isFinite(point[0]) && isFinite(point[1])) self.set(point[0], point[1], true);
        });
        self.marker(self.point());
      })
      .catch(function () {
        self.mapNode.hidden = true;
        self.result.textContent = data.msgMapFailed;
      });
  };

  // --- order map ---------------------------------------------------------------------------

  function bounds(points) {
    if (!points.length) return null;
    var minx = 180, miny = 90, maxx = -180, maxy = -90;
    points.forEach(function (p) {
      minx = Math.min(minx, p.lng);
      maxx = Math.max(maxx, p.lng);
      miny = Math.min(miny, p.lat);
      maxy = Math.max(maxy, p.lat);
    });
    var pad = Math.max(0.03, (maxx - minx) * 0.1, (maxy - miny) * 0.1);
    return [[minx - pad, maxy + pad], [maxx + pad, miny - pad]];
  }

  function orderMap(root) {
    var data = root.dataset;
    var source = document.getElementById(data.source);
    if (!source || typeof echarts === "undefined") return;
    var payload = JSON.parse(source.textContent);
    var node = root.querySelector("[data-grid-map]");
    loadGeo(data.geojsonUrl)
      .then(function (collection) {
        var layer = layers(data.geojsonUrl, collection);
        var p = palette();
        var byState = {};
        var order = [];
        payload.points.forEach(function (pt) {
          if (!byState[pt.state]) {
            byState[pt.state] = { label: pt.state_label || pt.state, data: [] };
            order.push(pt.state);
          }
          byState[pt.state].data.push({
            name: pt.label,
            value: [pt.lng, pt.lat],
            number: pt.number,
            url: pt.url,
            category: pt.category,
            state: pt.state_label,
          });
        });
        var series = [
          outlineSeries("streets", layer.streets, p.border, 0.8, 2),
          outlineSeries("districts", layer.districts, p.district, 1.6, 3),
        ];
        var legend = [];
        if (payload.cells && layer.cells.length) {
          series.push(outlineSeries(data.msgCells, layer.cells, p.cell, 0.6, 2));
          legend.push(data.msgCells);
        }
        var visualMap = [];
        if (payload.heat.length) {
          var max = 1;
          payload.heat.forEach(function (h) {
            max = Math.max(max, h[2]);
          });
          visualMap.push({
            type: "continuous",
            min: 0,
            max: max,
            calculable: true,
            seriesIndex: series.length,
            left: 8,
            bottom: 8,
            textStyle: { color: p.text },
            inRange: { color: ["#2c7bb6", "#abd9e9", "#ffffbf", "#fdae61", "#d7191c"] },
          });
          series.push({
            type: "heatmap",
            name: data.msgHeat,
            coordinateSystem: "geo",
            pointSize: 14,
            blurSize: 22,
            z: 4,
            data: payload.heat,
          });
          legend.push(data.msgHeat);
        }
        order.forEach(function (state) {
          var group = byState[state];
          legend.push(group.label);
          series.push({
            type: "scatter",
            name: group.label,
            coordinateSystem: "geo",
            symbolSize: 8,
            z: 5,
            itemStyle: { color: STATE_COLORS[state] || "#0b5cad", borderColor: "#fff", borderWidth: 0.6 },
            emphasis: { scale: 1.8 },
            data: group.data,
          });
        });
        var chart = chartIn(node);
        chart.setOption({
          aria: { enabled: true },
          animation: motion(),
          legend: { top: 4, left: "center", data: legend, textStyle: { color: p.text }, type: "scroll" },
          tooltip: {
            trigger: "item",
            formatter: function (params) {
              var d = params.data || {};
              if (params.seriesType === "scatter") {
                return (
                  "<strong>" + esc(d.number) + "</strong><br>" + esc(d.name) +
                  (d.category ? "<br>" + esc(d.category) : "") + "<br>" + esc(d.state)
                );
              }
              if (params.seriesType === "heatmap") return esc(data.msgCount) + "：" + esc(d[2] !== undefined ? d[2] : params.value[2]);
              return esc(params.name);
            },
          },
          visualMap: visualMap,
          geo: geoOption(layer.map, bounds(payload.points)),
          series: series,
        });
        chart.on("click", function (params) {
          if (params.seriesType === "scatter" && params.data && params.data.url) {
            window.location.href = params.data.url;
          }
        });
      })
      .catch(function () {
        node.hidden = true;
        var note = document.createElement("p");
        note.className = "small text-danger";
        note.textContent = data.msgMapFailed;
        root.insertBefore(note, node);
      });
  }

  ready(function () {
    document.querySelectorAll("[data-grid-picker]").forEach(function (root) {
      new Picker(root).start();
    });
    document.querySelectorAll("[data-order-map]").forEach(orderMap);
  });
})();
