// The console's behaviour: the graph views (cytoscape.js) and the metrics chart
// (Chart.js), both drawn from JSON that the server put into the page.
(function () {
  "use strict";

  var KIND_COLOURS = {
    pinned: "#c77d12", rules: "#2f6fb3", complement: "#2f8f5b",
    substitute: "#b33a3a", similar: "#7b5ea7", learned: "#0f8c8c"
  };

  function readJson(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function neighbourhoodElements(data) {
    var elements = [{ data: { id: data.center, label: data.title || data.center, center: 1 } }];
    var seen = {};
    seen[data.center] = true;
    data.nodes.forEach(function (node) {
      if (!seen[node.sku]) {
        seen[node.sku] = true;
        elements.push({ data: { id: node.sku, label: (node.title || node.sku).slice(0, 28) } });
      }
    });
    data.edges.forEach(function (edge, i) {
      elements.push({ data: {
        id: "e" + i, source: edge.source, target: edge.target, kind: edge.kind,
        colour: KIND_COLOURS[edge.kind] || "#999"
      } });
    });
    return elements;
  }

  function genericElements(data) {
    var elements = [];
    data.nodes.forEach(function (node) {
      elements.push({ data: { id: node.id, label: node.caption } });
    });
    data.edges.forEach(function (edge) {
      elements.push({ data: {
        id: edge.id, source: edge.source, target: edge.target, kind: edge.type,
        colour: KIND_COLOURS[edge.type] || "#7a8794"
      } });
    });
    return elements;
  }

  function drawGraph() {
    var data = readJson("graph-data");
    var container = document.getElementById("graph");
    if (!data || !container || typeof cytoscape === "undefined") { return; }
    var cy = cytoscape({
      container: container,
      elements: data.generic ? genericElements(data) : neighbourhoodElements(data),
      layout: { name: data.generic ? "cose" : "concentric", animate: false,
                concentric: function (node) { return node.data("center") ? 2 : 1; },
                minNodeSpacing: 30 },
      style: [
        { selector: "node", style: { label: "data(label)", "font-size": 10,
          "background-color": "#9fb3c8", width: 16, height: 16, "text-wrap": "ellipsis",
          "text-max-width": 120 } },
        { selector: "node[center]", style: { "background-color": "#102a43", width: 26, height: 26,
          "font-weight": "bold" } },
        { selector: "edge", style: { width: 2, "line-color": "data(colour)",
          "target-arrow-color": "data(colour)", "target-arrow-shape": "triangle",
          "curve-style": "bezier", opacity: 0.8 } }
      ]
    });
    container.setAttribute("data-nodes", String(cy.nodes().length));
    container.setAttribute("data-edges", String(cy.edges().length));
    if (!data.generic) {
      cy.on("tap", "node", function (event) {
        var sku = event.target.id();
        if (sku !== data.center) {
          var params = new URLSearchParams(window.location.search);
          window.location.href = "/products/" + encodeURIComponent(sku) + "?" + params.toString();
        }
      });
    }
    window.basketgraphGraph = cy;
  }

  function drawChart() {
    var data = readJson("metrics-data");
    var canvas = document.getElementById("metrics-chart");
    if (!data || !canvas || typeof Chart === "undefined") { return; }
    new Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: [
        { label: "NDCG@10", data: data.ndcg, backgroundColor: "#2f6fb3" },
        { label: "HR@10", data: data.hr, backgroundColor: "#9fb3c8" }
      ] },
      options: { maintainAspectRatio: false, animation: false,
                 scales: { y: { beginAtZero: true } } }
    });
    canvas.setAttribute("data-drawn", "1");
  }

  // Jobs that are queued or running are asked for their state every second until
  // they finish; the row's status, stage and progress follow.
  var UNFINISHED = { queued: true, running: true };

  function followJob(row) {
    fetch(row.getAttribute("data-url"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (job) {
          row.setAttribute("data-status", job.status);
          row.querySelector(".status").textContent = job.status;
          row.querySelector(".stage").textContent = job.stage || "";
          row.querySelector("progress").value = job.progress;
          row.querySelector(".percent").textContent = Math.round(job.progress) + "%";
          row.querySelector(".error").textContent = job.error || "";
          var cancel = row.querySelector("form");
          if (cancel && !UNFINISHED[job.status]) { cancel.remove(); }
        }
        if (!job || UNFINISHED[job.status]) {
          window.setTimeout(function () { followJob(row); }, 1000);
        }
      })
      .catch(function () { window.setTimeout(function () { followJob(row); }, 3000); });
  }

  function followJobs() {
    document.querySelectorAll("tr.job").forEach(function (row) {
      if (UNFINISHED[row.getAttribute("data-status")]) { followJob(row); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawGraph(); drawChart(); followJobs();
  });
})();
