/* Keeps a portal page current without a reload: when the live socket (realtime/live.js)
 * reports an event about this page's ticket or order, or reconnects after a loss, the page's
 * live parts are fetched again from the server and swapped in. The fragment is the server's
 * own escaped HTML; a part holding the element being typed into is left alone.
 */
(function () {
  "use strict";

  const page = document.querySelector("[data-live-url]");
  if (!page || !window.fetch || !window.DOMParser) {
    return;
  }
  const path = page.dataset.livePath;
  let timer = null;
  let opened = false;

  function refresh() {
    fetch(page.dataset.liveUrl, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
      .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
      .then((html) => {
        const fresh = new DOMParser().parseFromString(html, "text/html");
        fresh.querySelectorAll("[data-live-slot]").forEach((slot) => {
          const current = page.querySelector('[data-live-slot="' + slot.dataset.liveSlot + '"]');
          if (current && !current.contains(document.activeElement)) {
            current.replaceChildren(...slot.childNodes);
          }
        });
        document.body.dataset.liveRefreshed = String(Date.now());
      })
      .catch(() => {}); // the next event or reconnect tries again
  }

  function refreshSoon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 150); // several events at once make one request
  }

  function concernsThisPage(detail) {
    if (!detail || typeof detail !== "object") {
      return false;
    }
    if (typeof detail.link === "string" && detail.link.split(/[?#]/)[0] === path) {
      return true;
    }
    const ticket = page.dataset.liveTicket;
    return Boolean(ticket) && String(detail.id) === ticket;
  }

  document.addEventListener("live:notification", (event) => {
    if (concernsThisPage(event.detail) && typeof event.detail.link === "string") {
      refreshSoon();
    }
  });
  // A ticket event (detail: the ticket's public fields) or an order event, when the live
  // layer forwards them.
  ["live:ticket", "live:order"].forEach((name) => {
    document.addEventListener(name, (event) => {
      if (concernsThisPage(event.detail)) {
        refreshSoon();
      }
    });
  });
  // After a reconnect, catch up with whatever happened while the socket was down.
  document.addEventListener("live:open", () => {
    if (opened) {
      refreshSoon();
    }
    opened = true;
  });
})();
