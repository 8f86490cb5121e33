/* global Redoc */
// Starts Redoc from the page's data attributes, so the page needs no inline script.
const container = document.getElementById("redoc-container");
Redoc.init(container.dataset.schemaUrl, JSON.parse(container.dataset.settings), container);
