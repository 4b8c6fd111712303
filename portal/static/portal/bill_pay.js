/* The payment confirmation page: until the payment is settled (Stripe's webhook recorded or
 * refused it), fetch the page's live part again when a notification about invoices arrives
 * on the live socket (realtime/live.js), after a reconnect, and every few seconds as a fallback
 * (the payer may not be the one the receipt notification goes to). The fragment is the
 * server's own escaped HTML.
 */
(function () {
  "use strict";

  const page = document.querySelector("[data-payment-live-url]");
  if (!page || !window.fetch || !window.DOMParser) {
    return;
  }
  const POLL_MS = 3000;
  const GIVE_UP_MS = 15 * 60 * 1000; // a webhook later than this is told by the notification
  const started = Date.now();
  let timer = null;

  function slot() {
    return page.querySelector('[data-live-slot="confirmation"]');
  }

  function settled() {
    const current = slot();
    return Boolean(current) && current.dataset.settled === "true";
  }

  function schedule(delay) {
    clearTimeout(timer);
    if (!settled() && Date.now() - started < GIVE_UP_MS) {
      timer = setTimeout(refresh, delay);
    }
  }

  function refresh() {
    fetch(page.dataset.paymentLiveUrl, {credentials: "same-origin",
                                        headers: {"X-Requested-With": "fetch"}})
      .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
      .then((html) => {
        const fresh = new DOMParser().parseFromString(html, "text/html")
          .querySelector('[data-live-slot="confirmation"]');
        const current = slot();
        if (fresh && current) {
          current.replaceWith(document.importNode(fresh, true));
        }
        document.body.dataset.liveRefreshed = String(Date.now());
      })
      .catch(() => {}) // the next tick, event or reconnect tries again
      .finally(() => schedule(POLL_MS));
  }

  document.addEventListener("live:notification", (event) => {
    const link = event.detail && event.detail.link;
    if (typeof link === "string" && link.startsWith("/portal/invoices/")) {
      schedule(150); // several notifications at once make one request
    }
  });
  document.addEventListener("live:open", () => schedule(150));
  schedule(POLL_MS);
})();
