/* The point card's monthly chart: draws the data the page put in
 * <script id="card-chart-data" type="application/json"> onto <canvas id="card-chart">
 * with the vendored Chart.js and exposes the chart as window.cardChart.
 * The data holds the household's own scores and, at most, the micro-grid's average:
 * no other household is ever in it. */
(function () {
  "use strict";

  var source = document.getElementById("card-chart-data");
  var canvas = document.getElementById("card-chart");
  if (!source || !canvas || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var OWN = "#b4232c";
  var AVERAGE = "#1f2933";
  var BASE = "#52606d";

  var datasets = [{
    label: data.text.household,
    data: data.household,
    borderColor: OWN,
    backgroundColor: OWN,
    borderWidth: 4,
    pointRadius: 4,
    pointHoverRadius: 6,
    tension: 0
  }];
  if (data.average) {
    datasets.push({
      label: data.text.average,
      data: data.average,
      borderColor: AVERAGE,
      backgroundColor: AVERAGE,
      borderDash: [10, 6],
      borderWidth: 3,
      pointRadius: 0,
      pointHoverRadius: 4,
      tension: 0
    });
  }
  datasets.push({
    label: data.text.base,
    data: data.labels.map(function () { return data.base; }),
    borderColor: BASE,
    backgroundColor: BASE,
    borderDash: [2, 4],
    borderWidth: 2,
    pointRadius: 0,
    pointHoverRadius: 0,
    kind: "base"
  });

  // At 200% zoom a phone leaves the chart about 170 CSS px: drop what it can do without.
  var narrow = canvas.parentNode.clientWidth < 300;
  if (narrow) {
    datasets[0].pointRadius = 2;
    datasets[0].borderWidth = 3;
  }

  // Type follows the page: 1rem is at least 18px on the card.
  var rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 18;
  window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  window.Chart.defaults.font.size = Math.round(rem * 0.85);
  window.Chart.defaults.color = "#1f2933";

  window.cardChart = new window.Chart(canvas, {
    type: "line",
    data: { labels: data.labels, datasets: datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      // Drawn at once: no motion for elderly readers.
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 4 } },
        y: {
          title: { display: !narrow, text: data.text.points },
          grace: "5%",
          ticks: { precision: 0 }
        }
      },
      plugins: {
        legend: {
          position: "bottom",
          labels: { boxWidth: 18, boxHeight: 4, padding: 12 }
        },
        tooltip: {
          filter: function (item) { return item.dataset.kind !== "base"; }
        }
      }
    }
  });
})();
