/* Charts of the overview: the statistics (积分统计, three canvases) and the city
 * overview (城市总览, the towns side by side). Draws the data the page put in
 * <script id="overview-chart-data" type="application/json"> with the vendored
 * Chart.js; each chart only when its data is there. The same figures are in the tables
 * beside them.
 * Charts are exposed as window.overviewCharts for the browser tests. */
(function () {
  "use strict";

  var source = document.getElementById("overview-chart-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var BLUE = "#0b5cad";
  var GREEN = "#1b7f3b";
  var font = getComputedStyle(document.body).fontFamily;
  window.Chart.defaults.font.family = font;
  window.Chart.defaults.font.size = 14;
  window.Chart.defaults.color = "#1f2933";

  function numbers(values) {
    return values.map(function (value) { return Number(value); });
  }

  var common = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    plugins: { legend: { position: "bottom" } }
  };
  var charts = {};

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) {
      charts[id] = new window.Chart(canvas, config);
    }
  }

  if (data.categories) {
    draw("chart-categories", {
      type: "bar",
      data: {
        labels: data.categories.labels,
        datasets: [
          { label: data.text.events, data: data.categories.events, backgroundColor: BLUE, yAxisID: "y" },
          { label: data.text.points, data: numbers(data.categories.points), backgroundColor: GREEN, yAxisID: "y1" }
        ]
      },
      options: Object.assign({}, common, {
        scales: { y: { beginAtZero: true, position: "left" }, y1: { position: "right", grid: { drawOnChartArea: false } } }
      })
    });

    draw("chart-trend", {
      type: "line",
      data: {
        labels: data.trend.labels,
        datasets: [
          { label: data.text.events, data: data.trend.events, borderColor: BLUE, backgroundColor: BLUE, yAxisID: "y" },
          { label: data.text.points, data: numbers(data.trend.points), borderColor: GREEN, backgroundColor: GREEN, yAxisID: "y1" }
        ]
      },
      options: Object.assign({}, common, {
        scales: { y: { beginAtZero: true, position: "left" }, y1: { position: "right", grid: { drawOnChartArea: false } } }
      })
    });

    draw("chart-histogram", {
      type: "bar",
      data: {
        labels: data.histogram.labels,
        datasets: [{ label: data.text.households, data: data.histogram.counts, backgroundColor: BLUE }]
      },
      options: Object.assign({}, common, { scales: { y: { beginAtZero: true } } })
    });
  }

  if (data.towns) {
    draw("chart-towns", {
      type: "bar",
      data: {
        labels: data.towns.labels,
        datasets: [
          { label: data.text.scored, data: numbers(data.towns.scored), backgroundColor: BLUE },
          { label: data.text.average, data: numbers(data.towns.average), backgroundColor: GREEN }
        ]
      },
      // One axis: a share in percent and a mean score are both read against 0–100(+).
      options: Object.assign({}, common, { scales: { y: { beginAtZero: true } } })
    });
  }

  window.overviewCharts = charts;
})();
