// Territory autocomplete for inputs with the class "territory-autocomplete" (every commune field):
// it suggests communes from /api/v1/territories, shows the chosen commune's name in the input and
// keeps its code in the hidden "<name>_code" input, which typing again clears.
(function () {
  "use strict";
  function debounce(fn, ms) {
    let t;
    return function (...args) { clearTimeout(t); t = setTimeout(() => fn.apply(this, args), ms); };
  }
  function setup(input) {
    const listId = input.id + "-suggestions";
    const list = document.createElement("ul");
    list.id = listId;
    list.className = "list-group autocomplete-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.after(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("autocomplete", "off");
    function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); }
    const codeInput = input.form ? input.form.querySelector('input[type="hidden"][name="' + input.name + '_code"]') : null;
    function choose(item) {
      // Without the hidden input (a choice is on screen), "Name (CODE)" still designates one commune.
      input.value = codeInput ? item.dataset.name : item.dataset.name + " (" + item.dataset.code + ")";
      if (codeInput) codeInput.value = item.dataset.code;
      close();
      input.dispatchEvent(new Event("change"));
    }
    input.addEventListener("input", function () { if (codeInput) codeInput.value = ""; });
    input.addEventListener("input", debounce(async function () {
      const q = input.value.trim();
      if (q.length < 2) { close(); return; }
      const response = await fetch("/api/v1/territories?per_page=8&q=" + encodeURIComponent(q), {credentials: "same-origin"});
      if (!response.ok) { close(); return; }
      const data = await response.json();
      list.replaceChildren();
      data.items.forEach(function (t, i) {
        const li = document.createElement("li");
        li.className = "list-group-item list-group-item-action";
        li.id = listId + "-" + i;
        li.setAttribute("role", "option");
        li.tabIndex = -1;
        li.dataset.code = t.code;
        li.dataset.name = t.name;
        li.textContent = t.name + " (" + (t.department || "") + ") — " + t.code;
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(li); });
        li.addEventListener("keydown", function (e) {
          if (e.key === "Enter") { e.preventDefault(); choose(li); }
          if (e.key === "ArrowDown" && li.nextSibling) li.nextSibling.focus();
          if (e.key === "ArrowUp") (li.previousSibling || input).focus();
          if (e.key === "Escape") { close(); input.focus(); }
        });
        list.appendChild(li);
      });
      list.hidden = data.items.length === 0;
      input.setAttribute("aria-expanded", String(!list.hidden));
    }, 200));
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" && !list.hidden && list.firstChild) { e.preventDefault(); list.firstChild.focus(); }
      if (e.key === "Escape") close();
    });
    input.addEventListener("blur", function () { setTimeout(function () { if (!list.contains(document.activeElement)) close(); }, 150); });
  }
  document.querySelectorAll("input.territory-autocomplete").forEach(setup);
})();
