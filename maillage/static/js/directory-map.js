/* Maillage directory: maps (Leaflet + marker clustering) and the print button.
 *
 * Progressive enhancement: the pages work without JavaScript. The strict CSP forbids inline
 * scripts, so the points come from <script type="application/json" id="map-data"> (not
 * executed), or from the JSON answered by the URL in the map's data-points-url attribute:
 * [{lat, lng, name, url, info}]. Tile URL and attribution come from data attributes.
 */
(function () {
  "use strict";

  function text(tag, value, className) {
    var element = document.createElement(tag);
    element.textContent = value;
    if (className) element.className = className;
    return element;
  }

  function popup(point) {
    // Built with DOM nodes, never HTML strings: names come from the directory's users.
    var box = document.createElement("div");
    if (point.url) {
      var link = text("a", point.name);
      link.href = point.url;
      box.appendChild(link);
    } else {
      box.appendChild(text("strong", point.name));
    }
    if (point.info) box.appendChild(text("div", point.info, "map-popup-info"));
    return box;
  }

  function draw(container, points) {
    points = (points || []).filter(function (p) {
      return typeof p.lat === "number" && typeof p.lng === "number";
    });
    if (!points.length) return;
    var data = container.dataset;
    container.replaceChildren();
    var map = L.map(container, { scrollWheelZoom: false, zoomControl: false });
    L.control.zoom({ zoomInTitle: data.zoomIn || "Zoom in", zoomOutTitle: data.zoomOut || "Zoom out" }).addTo(map);
    L.tileLayer(data.tileUrl, { attribution: data.tileAttribution || "", maxZoom: 19 }).addTo(map);
    var layer = points.length > 1 && L.markerClusterGroup
      ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50 })
      : L.featureGroup();
    points.forEach(function (point) {
      var marker = L.marker([point.lat, point.lng], { title: point.name, alt: point.name, keyboard: true });
      marker.bindPopup(popup(point));
      layer.addLayer(marker);
    });
    map.addLayer(layer);
    if (points.length === 1) {
      map.setView([points[0].lat, points[0].lng], Number(data.zoom) || 15);
    } else {
      map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 15 });
    }
    container.classList.add("map-ready");
  }

  function initMap() {
    var container = document.getElementById("map");
    if (!container || typeof window.L === "undefined") return;
    var source = document.getElementById("map-data");
    if (source) {
      try {
        draw(container, JSON.parse(source.textContent));
      } catch (error) {
        if (window.console) window.console.error("directory map:", error);
      }
    } else if (container.dataset.pointsUrl) {
      fetch(container.dataset.pointsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (points) { draw(container, Array.isArray(points) ? points : points.items); })
        .catch(function () { /* the list on the page stays the reference */ });
    }
  }

  function initPrint() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  function init() {
    initMap();
    initPrint();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
