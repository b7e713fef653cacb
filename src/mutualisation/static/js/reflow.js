// Reflow (RGAA 10.11, WCAG 1.4.10): at 320 px wide, or 200 % zoom, the page never scrolls
// sideways. A data table wider than its column scrolls inside its own box instead; that box is
// focusable and named after the table's caption or the heading above it, so keyboard users can
// scroll it too. Every table of every page gets this, including pages added later.
(function () {
  "use strict";
  let counter = 0;
  function nameOf(table) {
    const caption = table.querySelector("caption");
    let heading = caption;
    for (let node = table.closest(".table-responsive") || table; !heading && node && node !== document.body; node = node.parentElement) {
      for (let sibling = node.previousElementSibling; sibling && !heading; sibling = sibling.previousElementSibling) {
        const inside = sibling.querySelectorAll("h1, h2, h3, h4, h5, h6");
        heading = /^H[1-6]$/.test(sibling.tagName) ? sibling : inside[inside.length - 1] || null;
      }
    }
    if (!heading) return null;
    if (!heading.id) heading.id = "table-name-" + (++counter);
    return heading.id;
  }
  function box(table) {
    let wrapper = table.parentElement;
    if (!wrapper.classList.contains("table-responsive")) {
      wrapper = document.createElement("div");
      wrapper.className = "table-responsive";
      table.before(wrapper);
      wrapper.appendChild(table);
    }
    wrapper.tabIndex = 0;
    const name = nameOf(table);
    if (name) {
      wrapper.setAttribute("role", "region");
      wrapper.setAttribute("aria-labelledby", name);
    }
  }
  document.querySelectorAll("main table").forEach(box);
})();
