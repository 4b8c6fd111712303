// "Was this helpful?" buttons: post the answer without leaving the page and show the counts.
(function () {
  "use strict";
  document.querySelectorAll("form[data-help-vote]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const button = event.submitter;
      const data = new FormData(form);
      if (button) data.set("helpful", button.value);
      fetch(form.action, {
        method: "POST", body: data, credentials: "same-origin",
        headers: {"Accept": "application/json"},
      }).then(function (response) {
        return response.json().then(function (body) { return {ok: response.ok, body: body}; });
      }).then(function (result) {
        const message = form.querySelector("[data-vote-message]");
        if (!result.ok) { message.textContent = result.body.error || ""; return; }
        form.querySelector("[data-count=yes]").textContent = result.body.helpful_yes;
        form.querySelector("[data-count=no]").textContent = result.body.helpful_no;
        form.querySelectorAll("button[name=helpful]").forEach(function (other) {
          other.classList.toggle("active", other.value === (result.body.helpful ? "yes" : "no"));
        });
        message.textContent = result.body.message;
      });
    });
  });
})();
