/* The new-ticket form: while the customer types a subject, suggest knowledge-base articles
 * that may already answer it (debounced; only the newest answer is shown). Server data
 * reaches the page through textContent and checked links only.
 */
(function () {
  "use strict";

  const input = document.querySelector("[data-suggest=subject]");
  const box = document.getElementById("suggestions");
  if (!input || !box || !window.fetch) {
    return;
  }
  const list = box.querySelector("[data-suggest-list]");
  const WAIT_MS = 300;
  const MIN_LENGTH = 3;
  let timer = null;
  let latest = 0;

  function sameSite(url) {
    try {
      const parsed = new URL(url, location.origin);
      return parsed.origin === location.origin ? parsed.pathname + parsed.search : "";
    } catch (error) {
      return "";
    }
  }

  function show(results) {
    list.replaceChildren();
    results.forEach((item) => {
      const href = sameSite(item.url);
      if (!href) {
        return;
      }
      const li = document.createElement("li");
      li.className = "mb-1";
      const link = document.createElement("a");
      link.href = href;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = item.title;
      li.append(link);
      if (item.snippet) {
        const snippet = document.createElement("div");
        snippet.className = "text-secondary";
        snippet.textContent = item.snippet;
        li.append(snippet);
      }
      list.append(li);
    });
    box.hidden = list.children.length === 0;
  }

  function ask() {
    const text = input.value.trim();
    if (text.length < MIN_LENGTH) {
      show([]);
      return;
    }
    const ticket = ++latest;
    fetch(box.dataset.url + "?q=" + encodeURIComponent(text.slice(0, 200)),
          {credentials: "same-origin"})
      .then((response) => (response.ok ? response.json() : {results: []}))
      .then((data) => {
        if (ticket === latest) {
          show(Array.isArray(data.results) ? data.results : []);
        }
      })
      .catch(() => {});
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(ask, WAIT_MS);
  });
  if (input.value.trim()) {
    ask();
  }
})();
