// Experience sheets and impact dashboards: print buttons and the map of partner territories.
// Loaded as a file (the CSP forbids inline scripts); everything works without it but the map.
(function () {
  "use strict";

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      window.print();
    });
  });

  var mapElement = document.getElementById("network-map");
  if (!mapElement || typeof L === "undefined") {
    return;
  }
  var map = L.map(mapElement).setView([46.6, 2.4], 5);
  L.tileLayer(mapElement.dataset.tileUrl, {
    attribution: mapElement.dataset.tileAttribution,
    subdomains: mapElement.dataset.tileSubdomains
  }).addTo(map);

  fetch(mapElement.dataset.networkUrl, { headers: { Accept: "application/json" } })
    .then(function (response) { return response.json(); })
    .then(function (data) {
      var places = {};
      var bounds = [];
      data.territories.forEach(function (t) {
        if (t.latitude === null || t.longitude === null) { return; }
        places[t.code] = [t.latitude, t.longitude];
        bounds.push(places[t.code]);
        L.circleMarker(places[t.code], { radius: 6, color: "#1f6f43" }).bindTooltip(t.name).addTo(map);
      });
      var heaviest = Math.max.apply(null, data.links.map(function (l) { return l.agreements; }).concat([1]));
      data.links.forEach(function (link) {
        var a = places[link.from], b = places[link.to];
        if (!a || !b) { return; }
        L.polyline([a, b], { weight: 2 + 8 * link.agreements / heaviest, color: "#0b5394", opacity: 0.7 })
          .bindTooltip(link.agreements + " " + mapElement.dataset.labelAgreements)
          .addTo(map);
      });
      if (bounds.length > 1) { map.fitBounds(bounds, { padding: [30, 30] }); }
    })
    .catch(function () { /* the table below the map holds the same data */ });
})();
