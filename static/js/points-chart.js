/* Monthly points chart (美丽积分图): draws the data the page put in
 * <script id="points-chart-data" type="application/json"> onto
 * <canvas id="points-chart"> with the vendored Chart.js, and exposes the chart
 * as window.pointsChart. No data is ever read from template strings. */
(function () {
  "use strict";

  var source = document.getElementById("points-chart-data");
  var canvas = document.getElementById("points-chart");
  if (!source || !canvas || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);

  // Distinguishable colours for a grid of about ten households.
  var PALETTE = [
    "#0b5cad", "#1b7f3b", "#a35f00", "#7b3fa0", "#00838f",
    "#c2185b", "#5d4037", "#3f51b5", "#689f38", "#e65100",
    "#455a64", "#ad1457"
  ];
  var AVERAGE = "#1f2933";
  var LOW = "#b4232c";
  // A whole community has too many households for a colour each: draw them
  // quietly and let the average and the persistently low ones stand out.
  var crowded = data.households.length > PALETTE.length;

  var datasets = data.households.map(function (household, index) {
    var colour = crowded
      ? (household.low ? LOW : "rgba(82, 96, 109, 0.35)")
      : PALETTE[index % PALETTE.length];
    return {
      label: household.label,
      data: household.scores,
      borderColor: colour,
      backgroundColor: colour,
      borderWidth: household.low ? 3 : 2,
      pointRadius: crowded ? 0 : 3,
      pointHoverRadius: 5,
      tension: 0,
      low: household.low
    };
  });
  datasets.push({
    label: data.text.average,
    data: data.average,
    borderColor: AVERAGE,
    backgroundColor: AVERAGE,
    borderDash: [10, 6],
    borderWidth: 3,
    pointRadius: 0,
    pointHoverRadius: 4,
    order: -2,
    kind: "average"
  });
  datasets.push({
    label: data.text.threshold,
    data: data.labels.map(function () { return data.threshold; }),
    borderColor: LOW,
    backgroundColor: LOW,
    borderDash: [2, 4],
    borderWidth: 2,
    pointRadius: 0,
    pointHoverRadius: 0,
    order: -1,
    kind: "threshold"
  });

  var font = getComputedStyle(document.body).fontFamily;
  window.Chart.defaults.font.family = font;
  window.Chart.defaults.font.size = 14;
  window.Chart.defaults.color = "#1f2933";

  window.pointsChart = new window.Chart(canvas, {
    type: "line",
    data: { labels: data.labels, datasets: datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      // Drawn at once: no motion for elderly readers, and printing never catches a half-drawn chart.
      animation: false,
      interaction: { mode: "nearest", axis: "x", intersect: false },
      scales: {
        x: {
          title: { display: false, text: data.text.month },
          grid: { display: false },
          ticks: { maxRotation: 0, autoSkipPadding: 6 }
        },
        y: {
          title: { display: true, text: data.text.points },
          grace: "5%",
          ticks: { precision: 0 }
        }
      },
      plugins: {
        legend: {
          position: "bottom",
          labels: {
            boxWidth: 14,
            boxHeight: 3,
            padding: 10,
            // In a crowded chart list only the average, the threshold and the low households.
            filter: function (item, chartData) {
              var dataset = chartData.datasets[item.datasetIndex];
              return !crowded || Boolean(dataset.kind) || Boolean(dataset.low);
            }
          }
        },
        tooltip: {
          filter: function (item) {
            return item.dataset.kind !== "threshold";
          },
          callbacks: {
            label: function (context) {
              var text = context.dataset.label + ": " + context.formattedValue;
              return context.dataset.low ? text + " (" + data.text.low + ")" : text;
            }
          }
        }
      }
    }
  });
})();
