// Account and contact lists: row selection, the bulk bar, and confirmations.
(function () {
  "use strict";

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });

  var form = document.getElementById("bulk-form");
  if (!form) return;
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input.row-check"));
  var pageBox = document.getElementById("select-page");
  var scope = document.getElementById("bulk-scope");
  var status = document.getElementById("bulk-count");
  var matching = document.getElementById("bulk-select-matching");
  var clear = document.getElementById("bulk-clear");
  var action = document.getElementById("bulk-action");
  var apply = document.getElementById("bulk-apply");
  var mergeOption = action.querySelector("option[value=merge]");
  var total = Number(form.dataset.total);
  var idleText = status.textContent;

  function picked() {
    return boxes.filter(function (box) { return box.checked; }).length;
  }

  function refresh() {
    var count = picked();
    var all = scope.value === "matching";
    pageBox.checked = count > 0 && count === boxes.length;
    pageBox.indeterminate = count > 0 && count < boxes.length;
    if (all) {
      status.textContent = form.dataset.allText.replace("{count}", total);
    } else if (count) {
      status.textContent = form.dataset.selectedText.replace("{count}", count);
    } else {
      status.textContent = idleText;
    }
    if (matching) matching.classList.toggle("d-none", all || !pageBox.checked);
    clear.classList.toggle("d-none", count === 0);
    form.classList.toggle("has-selection", count > 0);
    boxes.forEach(function (box) { box.closest("tr").classList.toggle("table-active", box.checked); });
    if (mergeOption) {  // lists without merging (leads) have no such option
      mergeOption.disabled = all || count !== 2;
      if (mergeOption.disabled && action.value === "merge") action.value = "";
    }
    form.querySelectorAll("[data-for]").forEach(function (group) {
      group.hidden = group.dataset.for.split(" ").indexOf(action.value) < 0;
    });
    apply.disabled = count === 0 || !action.value;
  }

  boxes.forEach(function (box) {
    box.addEventListener("change", function () {
      scope.value = "selected";
      refresh();
    });
  });
  pageBox.addEventListener("change", function () {
    boxes.forEach(function (box) { box.checked = pageBox.checked; });
    scope.value = "selected";
    refresh();
  });
  if (matching) {
    matching.addEventListener("click", function () {
      scope.value = "matching";
      refresh();
    });
  }
  clear.addEventListener("click", function () {
    boxes.forEach(function (box) { box.checked = false; });
    scope.value = "selected";
    refresh();
  });
  action.addEventListener("change", refresh);
  refresh();
})();
