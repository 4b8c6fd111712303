/* The desk pages live: a ticket change pushed over the live socket (event "live:ticket" from
 * live.js, payload from crm_apps/service/live.py: {id, number, status, status_label, event,
 * actor, message?}) refreshes the parts of the page it touches. The page re-reads itself from
 * the server and swaps in those parts, so what shows is always what the server renders for
 * this user (visibility, internal notes, language); nothing pushed is written into the page.
 *
 * - Queue page: the tabs (with their counts) and the list, a second after the last change.
 * - Ticket page: the conversation, the summary and the SLA clocks; the reply being written and
 *   the controls are left alone, and a note says the ticket changed when its fields did.
 * - The canned-reply picker inserts the chosen text where the cursor is in the reply.
 */
(function () {
  "use strict";

  const queuePage = document.getElementById("service-queue");
  const ticketPage = document.getElementById("service-ticket");

  function swap(fresh, ids) {
    ids.forEach((id) => {
      const current = document.getElementById(id);
      const replacement = fresh.getElementById(id);
      if (current && replacement) {
        current.replaceWith(replacement);
      }
    });
  }

  let timer = null;
  let loading = false;

  function refresh(ids, after) {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (loading) {
        refresh(ids, after);
        return;
      }
      loading = true;
      fetch(window.location.href, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
        .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
        .then((html) => {
          swap(new DOMParser().parseFromString(html, "text/html"), ids);
          if (after) {
            after();
          }
        })
        .catch(() => {
          const note = document.getElementById(queuePage ? "queue-changed" : "ticket-changed");
          if (note) {
            note.classList.remove("d-none");
          }
        })
        .finally(() => { loading = false; });
    }, 800);
  }

  document.addEventListener("live:ticket", (event) => {
    const data = event.detail;
    if (!data || typeof data !== "object") {
      return;
    }
    if (queuePage) {
      refresh(["queue-tabs", "queue-body"]);
      return;
    }
    if (ticketPage && Number(data.id) === Number(ticketPage.dataset.ticket)) {
      refresh(["conversation", "ticket-summary", "ticket-sla"], () => {
        if (data.event !== "message" && String(data.actor) !== ticketPage.dataset.user) {
          document.getElementById("ticket-changed").classList.remove("d-none");
        }
      });
    }
  });

  // The socket was down for a while: whatever changed meanwhile is read again.
  document.addEventListener("live:open", () => {
    if (queuePage) {
      refresh(["queue-tabs", "queue-body"]);
    } else if (ticketPage) {
      refresh(["conversation", "ticket-summary", "ticket-sla"]);
    }
  });

  const picker = document.querySelector("[data-canned-picker]");
  const body = document.querySelector("#reply-form textarea[name=body]");
  if (picker && body) {
    picker.addEventListener("change", () => {
      const option = picker.selectedOptions[0];
      const text = option ? option.dataset.body || "" : "";
      if (!text) {
        return;
      }
      const start = body.selectionStart ?? body.value.length;
      const end = body.selectionEnd ?? body.value.length;
      body.setRangeText(text, start, end, "end");
      body.focus();
      picker.value = "";
    });
  }
})();
