/* The sales board: drag a card to another column or place (or pick a stage in the card's
 * "Move to…" select, for keyboards and phones); the move API saves it, and changes pushed over
 * the live socket (event "live:board" from live.js) move, add and drop the cards of
 * colleagues' boards.
 *
 * A column shows its first cards; "Load more" appends the next ones (server-rendered list
 * items). Its count and total cover every card the user may see, loaded or not: the server
 * renders them, and each move adjusts them by the difference (a pushed change says where the
 * card was counted before). Money is counted in cents with BigInt, never in floating point,
 * and shown with Intl.NumberFormat in the page's language.
 * Pushed data reaches the page only through textContent and checked attributes.
 */
(function () {
  "use strict";

  const board = document.getElementById("sales-board");
  if (!board || !window.fetch) {
    return;
  }
  const text = board.dataset;
  const status = document.getElementById("board-status");
  const errorBox = document.getElementById("board-error");
  let dragged = null;
  // Sent with this page's moves and echoed in their pushes, so the page does not count twice
  // a move it has already shown.
  const clientId = Math.random().toString(36).slice(2) + Date.now().toString(36);
  const numbers = new Intl.NumberFormat(text.lang || document.documentElement.lang || undefined,
    {maximumFractionDigits: 0});
  const decimalMark = (new Intl.NumberFormat(text.lang || undefined).formatToParts(1.5)
    .find((part) => part.type === "decimal") || {value: "."}).value;

  function columnOf(stageId) {
    return board.querySelector('.sales-column[data-stage="' + Number(stageId) + '"]');
  }

  function cents(amount) {
    const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(String(amount || "0").trim());
    if (!match) {
      return 0n;
    }
    const value = BigInt(match[2]) * 100n + BigInt((match[3] || "0").padEnd(2, "0"));
    return match[1] ? -value : value;
  }

  // "1234.50" (as stored in data attributes) from cents.
  function plain(value) {
    const negative = value < 0n;
    const abs = negative ? -value : value;
    return (negative ? "-" : "") + (abs / 100n).toString() + "."
      + (abs % 100n).toString().padStart(2, "0");
  }

  // "1,234.50" in the page's language, exactly: Intl formats the whole part as a BigInt.
  function money(value) {
    const negative = value < 0n;
    const abs = negative ? -value : value;
    return (negative ? "-" : "") + numbers.format(abs / 100n) + decimalMark
      + (abs % 100n).toString().padStart(2, "0");
  }

  // Change a column's count and total by a difference (totals are absent when amounts are
  // hidden from this user).
  function adjust(column, count, amount) {
    const countNode = column.querySelector("[data-column-count]");
    const newCount = Math.max(0, Number(countNode.dataset.count || 0) + count);
    countNode.dataset.count = String(newCount);
    countNode.textContent = numbers.format(newCount);
    const totalNode = column.querySelector("[data-column-total]");
    if (totalNode) {
      const total = cents(totalNode.dataset.total) + amount;
      totalNode.dataset.total = plain(total);
      totalNode.textContent = money(total);
    }
  }

  function moveTotals(card, from, to) {
    if (from !== to) {
      const amount = cents(card.dataset.amount);
      adjust(from, -1, -amount);
      adjust(to, 1, amount);
    }
  }

  function loadedCards(column) {
    return Array.from(column.querySelectorAll("[data-cards] > [data-card]"));
  }

  // Whether the column holds cards not loaded yet (below the last loaded one).
  function hasMore(column) {
    return Boolean(column.querySelector("[data-cards] > [data-more]"));
  }

  // The select lists every stage but the card's own.
  function refreshSelect(card) {
    const select = card.querySelector("[data-move]");
    if (!select) {
      return;
    }
    const own = card.closest(".sales-column").dataset.stage;
    const options = [new Option(text.textChoose, "", true, true)];
    board.querySelectorAll(".sales-column").forEach((column) => {
      if (column.dataset.stage !== own) {
        options.push(new Option(column.dataset.stageName, column.dataset.stage));
      }
    });
    select.replaceChildren(...options);
  }

  function announce(message) {
    if (status) {
      status.textContent = message;
    }
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.classList.toggle("d-none", !message);
  }

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // Put the card in the column before ``before`` (null: after the loaded cards), on screen.
  function place(card, column, before) {
    const list = column.querySelector("[data-cards]");
    if (before && before.parentNode === list) {
      list.insertBefore(card, before);
    } else {
      list.insertBefore(card, list.querySelector(":scope > [data-more]"));
    }
    refreshSelect(card);
  }

  async function save(card, column, before, origin) {
    const payload = {stage: Number(column.dataset.stage)};
    if (before) {
      payload.before = Number(before.dataset.card);
    } else if (hasMore(column)) {
      // The column goes on below what is loaded: put it right after the last card shown,
      // where the user sees it, not at the column's far end.
      const last = loadedCards(column).filter((other) => other !== card).pop();
      if (last) {
        payload.after = Number(last.dataset.card);
      }
    }
    if (column.dataset.outcome === "lost") {
      const reason = window.prompt(text.textLostReason, "");
      if (!reason) {
        return false;
      }
      payload.lost_reason = reason;
    }
    const previous = {column: origin, next: card.nextElementSibling};
    place(card, column, before);
    moveTotals(card, origin, column);
    showError("");
    try {
      const response = await fetch(text.api + Number(card.dataset.card) + "/move/", {
        method: "POST",
        credentials: "same-origin",
        headers: {"Content-Type": "application/json", "Accept": "application/json",
                  "X-CSRFToken": csrfToken(), "X-Board-Client": clientId},
        body: JSON.stringify(payload),
      });
      if (!response.ok) {
        let detail = "";
        try {
          const body = await response.json();
          detail = Object.values(body).flat().join(" ");
        } catch (error) {
          detail = "";
        }
        throw new Error(detail);
      }
      const moved = await response.json();
      card.dataset.position = String(moved.board_position);
      announce(text.textMoved + " " + column.dataset.stageName);
      return true;
    } catch (error) {
      // Back where it was, with the server's reason.
      place(card, previous.column, previous.next);
      moveTotals(card, column, previous.column);
      showError(text.textFailed + (error.message ? " " + error.message : ""));
      return false;
    }
  }

  // --- drag and drop -------------------------------------------------------------------------

  function cardAfterPointer(list, y) {
    const cards = Array.from(list.querySelectorAll("[data-card]:not(.dragging)"));
    return cards.find((card) => {
      const box = card.getBoundingClientRect();
      return y < box.top + box.height / 2;
    }) || null;
  }

  board.addEventListener("dragstart", (event) => {
    const card = event.target.closest && event.target.closest("[data-card]");
    if (!card) {
      return;
    }
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.card);
  });

  board.addEventListener("dragend", () => {
    if (dragged) {
      dragged.classList.remove("dragging");
    }
    board.querySelectorAll(".drop-target").forEach((node) => node.classList.remove("drop-target"));
    dragged = null;
  });

  board.addEventListener("dragover", (event) => {
    const column = event.target.closest && event.target.closest(".sales-column");
    if (!dragged || !column) {
      return;
    }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    board.querySelectorAll(".drop-target").forEach((node) => {
      if (node !== column) {
        node.classList.remove("drop-target");
      }
    });
    column.classList.add("drop-target");
  });

  board.addEventListener("drop", (event) => {
    const column = event.target.closest && event.target.closest(".sales-column");
    if (!dragged || !column) {
      return;
    }
    event.preventDefault();
    const card = dragged;
    const origin = card.closest(".sales-column");
    const before = cardAfterPointer(column.querySelector("[data-cards]"), event.clientY);
    card.classList.remove("dragging");
    column.classList.remove("drop-target");
    const next = card.nextElementSibling;
    const wasLast = !next || next.dataset.card === undefined;
    if (before === card || (origin === column && (before ? before === next : wasLast))) {
      return; // dropped where it already was
    }
    save(card, column, before, origin);
  });

  // --- the select (keyboard, touch) ----------------------------------------------------------

  board.addEventListener("change", async (event) => {
    const select = event.target.closest && event.target.closest("[data-move]");
    if (!select || !select.value) {
      return;
    }
    const card = select.closest("[data-card]");
    const column = columnOf(select.value);
    if (!column) {
      return;
    }
    const moved = await save(card, column, null, card.closest(".sales-column"));
    const focusTarget = card.querySelector("[data-move]");
    if (!moved && focusTarget) {
      focusTarget.value = "";
    }
    if (focusTarget) {
      focusTarget.focus();
    }
  });

  // --- more cards of a column ---------------------------------------------------------------

  board.addEventListener("click", async (event) => {
    const button = event.target.closest && event.target.closest("[data-load-more]");
    if (!button || button.disabled) {
      return;
    }
    const item = button.closest("[data-more]");
    const column = item.closest(".sales-column");
    const url = new URL(button.dataset.url, location.origin);
    // Continue after the last card this board holds: moves may have changed it since the
    // button was made.
    const last = loadedCards(column).pop();
    if (last && last.dataset.position !== undefined) {
      url.searchParams.set("position", last.dataset.position);
      url.searchParams.set("after", last.dataset.card);
    }
    button.disabled = true;
    showError("");
    try {
      const response = await fetch(url.pathname + url.search, {
        credentials: "same-origin", headers: {"Accept": "text/html"},
      });
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      const fragment = document.createElement("template");
      fragment.innerHTML = await response.text(); // our own server-rendered list items
      const list = item.parentNode;
      let first = null;
      fragment.content.querySelectorAll("[data-card]").forEach((card) => {
        // A card pushed live onto this board already sits in its place.
        if (!board.querySelector('[data-card="' + Number(card.dataset.card) + '"]')) {
          list.insertBefore(card, item);
          first = first || card;
        }
      });
      const nextMore = fragment.content.querySelector("[data-more]");
      if (nextMore) {
        item.replaceWith(nextMore);
      } else {
        item.remove();
      }
      const link = first && first.querySelector("a");
      if (link) {
        link.focus(); // keyboard users carry on from the first new card
      }
    } catch (error) {
      button.disabled = false;
      showError(text.textLoadFailed);
    }
  });

  // --- live changes of colleagues ------------------------------------------------------------

  function newCard(data) {
    const card = document.createElement("li");
    card.className = "sales-card card shadow-sm";
    card.draggable = true;
    card.dataset.card = String(Number(data.id));
    const body = document.createElement("div");
    body.className = "card-body p-2";
    const link = document.createElement("a");
    link.className = "fw-semibold d-block text-break";
    link.href = text.detail + Number(data.id) + "/";
    link.textContent = data.name;
    body.append(link);
    if (data.account) {
      const account = document.createElement("div");
      account.className = "small text-secondary text-break";
      account.textContent = data.account;
      body.append(account);
    }
    if (data.amount !== undefined) {
      const amount = document.createElement("div");
      amount.className = "small fw-semibold";
      amount.dataset.cardAmount = "";
      body.append(amount);
    }
    if (data.owner) {
      const owner = document.createElement("div");
      owner.className = "small text-secondary";
      owner.textContent = data.owner;
      body.append(owner);
    }
    const select = document.createElement("select");
    select.className = "form-select form-select-sm mt-1 sales-move";
    select.dataset.move = "";
    select.setAttribute("aria-label", text.textChoose + " " + data.name);
    body.append(select);
    card.append(body);
    return card;
  }

  function showAmount(card, data) {
    if (data.amount === undefined) {
      return;
    }
    card.dataset.amount = plain(cents(data.amount));
    const node = card.querySelector("[data-card-amount]");
    if (node) {
      node.textContent = money(cents(data.amount)) + " " + data.currency;
    }
  }

  // Whether a card at ``position`` (id ``id``) sorts before ``other`` (board order:
  // position, then id).
  function sortsBefore(position, id, other) {
    const otherPosition = Number(other.dataset.position);
    return position < otherPosition
      || (position === otherPosition && id < Number(other.dataset.card));
  }

  document.addEventListener("live:board", (event) => {
    const data = event.detail;
    if (!data || data.origin === clientId) {
      return; // nothing, or a move this page made and already shows
    }
    const here = Number(board.dataset.pipeline);
    const id = Number(data.id);
    let card = board.querySelector('[data-card="' + id + '"]');
    // Out of the column it was counted in, whether or not that column had loaded it.
    if (data.from_stage !== null && data.from_stage !== undefined
        && Number(data.from_pipeline) === here) {
      const from = columnOf(data.from_stage);
      if (from) {
        adjust(from, -1, -cents(data.from_amount));
      }
    }
    if (card && card !== dragged) {
      card.remove();
    }
    const column = !data.removed && Number(data.pipeline) === here ? columnOf(data.stage) : null;
    if (!column) {
      return; // no longer on this board for this user
    }
    adjust(column, 1, cents(data.amount));
    const position = Number(data.board_position);
    const before = loadedCards(column).find((other) => other !== card
      && sortsBefore(position, id, other)) || null;
    if (!before && hasMore(column)) {
      return; // below the loaded cards: "Load more" brings it in its place
    }
    card = card || newCard(data);
    card.dataset.position = String(data.board_position);
    showAmount(card, data);
    if (card === dragged) {
      return; // the user holds it: the drop decides
    }
    place(card, column, before);
    announce(text.textMoved + " " + column.dataset.stageName + ": " + data.name);
  });
}());
