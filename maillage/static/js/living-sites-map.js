/* Maillage living sites: the map of the sites (Leaflet + marker clustering).
 *
 * Progressive enhancement: without JavaScript the page gives the counts by department and a
 * link to the list. The strict CSP forbids inline scripts: everything comes from the data
 * attributes of #sites-map (tile URL and attribution, default centre and zoom, translated
 * labels) and from the GeoJSON at its data-url (the page's filters):
 *   {"type": "FeatureCollection", "features": [{"geometry": {"type": "Point", "coordinates":
 *   [lng, lat]}, "properties": {name, kind, commune, people, updated_on_display, light,
 *   light_label, url}}], "unlocated": N}
 * A marker's colour and shape give the living conditions' light; its word is in the marker's
 * title and in the popup, never the colour alone.
 */
(function () {
  "use strict";

  var LIGHTS = ["green", "amber", "red", "unknown"];

  function text(tag, value, className) {
    var element = document.createElement(tag);
    element.textContent = value;
    if (className) element.className = className;
    return element;
  }

  function fact(list, label, value) {
    var term = text("dt", label);
    var definition = text("dd", value);
    list.appendChild(term);
    list.appendChild(definition);
  }

  function popup(properties, labels) {
    // DOM nodes only, never HTML strings: the names are typed by the teams.
    var box = document.createElement("div");
    box.className = "site-popup";
    var title = document.createElement("p");
    title.className = "site-popup-title";
    if (properties.url) {
      var link = text("a", properties.name);
      link.href = properties.url;
      title.appendChild(link);
    } else {
      title.textContent = properties.name;
    }
    box.appendChild(title);
    box.appendChild(text("p", [properties.kind, properties.commune].filter(Boolean).join(" – "), "site-popup-info"));
    var facts = document.createElement("dl");
    facts.className = "site-popup-facts";
    fact(facts, labels.people, properties.people === null || properties.people === undefined ? labels.unknown : String(properties.people));
    fact(facts, labels.updated, properties.updated_on_display || labels.noUpdate);
    var light = LIGHTS.indexOf(properties.light) >= 0 ? properties.light : "unknown";
    var term = text("dt", labels.conditions);
    var definition = document.createElement("dd");
    var mark = document.createElement("span");
    mark.className = "site-marker site-marker-" + light;
    mark.setAttribute("aria-hidden", "true");
    definition.appendChild(mark);
    definition.appendChild(document.createTextNode(" " + (properties.light_label || "")));
    facts.appendChild(term);
    facts.appendChild(definition);
    box.appendChild(facts);
    if (properties.url) {
      var more = text("a", labels.open, "site-popup-link");
      more.href = properties.url;
      box.appendChild(more);
    }
    return box;
  }

  function marker(feature, labels) {
    var coordinates = feature.geometry && feature.geometry.coordinates;
    if (!coordinates || typeof coordinates[0] !== "number" || typeof coordinates[1] !== "number") return null;
    var properties = feature.properties || {};
    var light = LIGHTS.indexOf(properties.light) >= 0 ? properties.light : "unknown";
    var name = properties.name + " – " + labels.conditions + ": " + (properties.light_label || "");
    var icon = L.divIcon({
      className: "site-marker site-marker-" + light,
      html: "",
      iconSize: [22, 22],
      iconAnchor: [11, 11],
      popupAnchor: [0, -10]
    });
    var item = L.marker([coordinates[1], coordinates[0]], { icon: icon, title: name, alt: name, keyboard: true });
    item.bindPopup(popup(properties, labels));
    return item;
  }

  function showError(container, message) {
    if (!message) return;
    var note = text("p", message, "map-error");
    note.setAttribute("role", "status");
    container.parentNode.insertBefore(note, container.nextSibling);
  }

  function init() {
    var container = document.getElementById("sites-map");
    if (!container || typeof window.L === "undefined") return;
    var data = container.dataset;
    var labels = {
      people: data.labelPeople || "People",
      updated: data.labelUpdated || "Latest update",
      conditions: data.labelConditions || "Living conditions",
      unknown: data.labelUnknown || "not known",
      noUpdate: data.labelNoUpdate || "No update yet",
      open: data.labelOpen || "Open the site page"
    };
    container.replaceChildren();
    var map = L.map(container, { scrollWheelZoom: false, zoomControl: false });
    L.control.zoom({ zoomInTitle: data.zoomIn || "Zoom in", zoomOutTitle: data.zoomOut || "Zoom out" }).addTo(map);
    L.tileLayer(data.tileUrl, { attribution: data.tileAttribution || "", maxZoom: 19 }).addTo(map);
    map.setView([Number(data.lat) || 50.17, Number(data.lng) || 2.78], Number(data.zoom) || 8);
    container.classList.add("map-ready");
    fetch(data.url, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (collection) {
        var layer = L.markerClusterGroup
          ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50 })
          : L.featureGroup();
        (collection.features || []).forEach(function (feature) {
          var item = marker(feature, labels);
          if (item) layer.addLayer(item);
        });
        map.addLayer(layer);
        if (layer.getLayers().length) {
          map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 15 });
        }
      })
      .catch(function (error) {
        if (window.console) window.console.error("sites map:", error);
        showError(container, data.labelError);
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
