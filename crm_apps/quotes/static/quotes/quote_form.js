/* The quote form: a chosen product fills its line's price and description; "Add a line"
   appends an empty line. */
(function () {
  "use strict";

  const data = document.getElementById("catalogue-prices");
  const lines = document.getElementById("quote-lines");
  if (!data || !lines) {
    return;
  }
  const prices = JSON.parse(data.textContent);

  lines.addEventListener("change", (event) => {
    const select = event.target.closest(".line-product");
    if (!select) {
      return;
    }
    const listed = prices[select.value];
    const line = select.closest("[data-line]");
    if (!listed || !line) {
      return;
    }
    const price = line.querySelector(".line-price");
    if (price && listed.price !== null) {
      price.value = listed.price;
    }
    const description = line.querySelector(".line-description");
    // Replace the description only when it was empty or filled from another product.
    if (description && (!description.value || description.value === description.dataset.filled)) {
      description.value = listed.title;
      description.dataset.filled = listed.title;
    }
  });

  const add = document.getElementById("add-line");
  const template = document.getElementById("line-template");
  const total = document.getElementById("id_lines-TOTAL_FORMS");
  if (add && template && total) {
    add.addEventListener("click", () => {
      const index = Number(total.value);
      const html = template.innerHTML.replaceAll("__prefix__", String(index));
      lines.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      const added = lines.lastElementChild.querySelector("select, input");
      if (added) {
        added.focus();
      }
    });
  }
}());
