// Listings pages: the category → subcategory picker, and the Leaflet map of offers and needs.
(function () {
  "use strict";

  // Subcategory picker: keep only the chosen category's subcategories in the list.
  function setupPicker(form) {
    const tree = JSON.parse(form.dataset.categoryTree || "[]");
    const category = form.querySelector("select.category-select");
    const sub = form.querySelector("select.subcategory-select");
    if (!category || !sub) return;
    const blank = sub.querySelector('option[value=""]');
    const blankLabel = blank ? blank.textContent : null;
    function refill() {
      const current = sub.value;
      const entry = tree.find(function (c) { return c.code === category.value; });
      sub.replaceChildren();
      if (blankLabel !== null) sub.appendChild(new Option(blankLabel, ""));
      const groups = entry ? [entry] : tree;
      groups.forEach(function (c) {
        const parent = entry ? sub : document.createElement("optgroup");
        if (!entry) { parent.label = c.label; sub.appendChild(parent); }
        c.subcategories.forEach(function (s) {
          parent.appendChild(new Option(s.label, s.code, false, s.code === current));
        });
      });
    }
    category.addEventListener("change", refill);
    refill();
  }
  document.querySelectorAll("form[data-category-tree]").forEach(setupPicker);

  // Map ---------------------------------------------------------------------------------
  const mapEl = document.getElementById("listing-map");
  if (!mapEl || typeof L === "undefined") return;
  const status = document.getElementById("map-status");
  // The status says both what was loaded and whether the tiles failed, whichever is known first:
  // each event rewrites the whole sentence, so the later one never erases the earlier one.
  let loadedText = "";
  let tileErrors = 0;
  function tell() {  // map.html always renders the status under the map
    status.textContent = [tileErrors ? status.dataset.tilesFailed : "", loadedText].filter(Boolean).join(" ");
  }

  const map = L.map(mapEl).setView([parseFloat(mapEl.dataset.centerLat), parseFloat(mapEl.dataset.centerLon)], 6);
  const tiles = L.tileLayer(mapEl.dataset.tileUrl, {
    attribution: mapEl.dataset.tileAttribution,
    subdomains: mapEl.dataset.tileSubdomains || "abc",
    maxZoom: 18,
  });
  // Without tiles (offline, blocked) the markers still work: say so once, keep the grey background.
  tiles.on("tileerror", function () {
    tileErrors += 1;
    if (tileErrors === 1) { mapEl.classList.add("tiles-failed"); tell(); }
  });
  tiles.addTo(map);

  const clusters = typeof L.markerClusterGroup === "function" ? L.markerClusterGroup() : L.layerGroup();
  map.addLayer(clusters);
  const detailUrl = mapEl.dataset.detailUrl;  // ends with /0

  function popup(point) {
    const box = document.createElement("div");
    const kind = document.createElement("strong");
    kind.textContent = point.kind === "offer" ? mapEl.dataset.labelOffer : mapEl.dataset.labelNeed;
    const title = document.createElement("p");
    title.className = "mb-1";
    title.textContent = point.title;
    const link = document.createElement("a");
    link.href = detailUrl.replace(/0$/, String(point.id));
    link.textContent = mapEl.dataset.labelOpen;
    box.append(kind, title, link);
    return box;
  }

  function marker(point) {
    // Two shapes as well as two colours, so the kind never depends on colour alone.
    const icon = L.divIcon({
      className: "listing-marker kind-" + point.kind,
      html: "",
      iconSize: [16, 16],
    });
    return L.marker([point.lat, point.lon], {icon: icon, title: point.title, keyboard: true}).bindPopup(popup(point));
  }

  fetch(mapEl.dataset.pointsUrl, {credentials: "same-origin", headers: {Accept: "application/json"}})
    .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
    .then(function (data) {
      const markers = data.items.map(marker);
      clusters.addLayers ? clusters.addLayers(markers) : markers.forEach(function (m) { clusters.addLayer(m); });
      if (markers.length) map.fitBounds(L.featureGroup(markers).getBounds().pad(0.1), {maxZoom: 11});
      mapEl.dataset.loaded = String(markers.length);
      // The plural form the page's language uses for this number (French: 0 and 1 are singular).
      const form = new Intl.PluralRules(document.documentElement.lang || "fr").select(markers.length);
      const count = form === "one" ? status.dataset.countOne : status.dataset.countOther;
      loadedText = count.replace("{n}", markers.length);
      if (data.truncated) loadedText += " " + status.dataset.truncated.replace("{n}", markers.length);
      tell();
    })
    .catch(function () { mapEl.dataset.loaded = "error"; loadedText = status.dataset.failed; tell(); });
})();
