/* The sales board: drag a card to another column or place (or pick a stage in the card's
 * "Move to…" select, for keyboards and phones); the move API saves it, and moves pushed over
 * the live socket (event "live:board" from live.js) move the cards of colleagues' boards.
 *
 * Column totals are summed in cents with BigInt: money never goes through floating point.
 * Server data reaches the page only through textContent and checked attributes.
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

  function money(value) {
    const negative = value < 0n;
    const abs = negative ? -value : value;
    const whole = (abs / 100n).toString();
    const part = (abs % 100n).toString().padStart(2, "0");
    return (negative ? "-" : "") + whole + "." + part;
  }

  function recount() {
    board.querySelectorAll(".sales-column").forEach((column) => {
      const cards = column.querySelectorAll("[data-card]");
      let total = 0n;
      cards.forEach((card) => { total += cents(card.dataset.amount); });
      column.querySelector("[data-column-count]").textContent = String(cards.length);
      const totalNode = column.querySelector("[data-column-total]");
      if (totalNode) { // absent when amounts are hidden from this user
        totalNode.textContent = money(total);
        totalNode.dataset.total = money(total);
      }
    });
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

  // Put the card in the column before ``before`` (null: at the end), on screen only.
  function place(card, column, before) {
    const list = column.querySelector("[data-cards]");
    if (before && before.parentNode === list) {
      list.insertBefore(card, before);
    } else {
      list.append(card);
    }
    refreshSelect(card);
    recount();
  }

  async function save(card, column, before, origin) {
    const payload = {stage: Number(column.dataset.stage)};
    if (before) {
      payload.before = Number(before.dataset.card);
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
    showError("");
    try {
      const response = await fetch(text.api + Number(card.dataset.card) + "/move/", {
        method: "POST",
        credentials: "same-origin",
        headers: {"Content-Type": "application/json", "Accept": "application/json",
                  "X-CSRFToken": csrfToken()},
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
    if (before === card || (origin === column && before === card.nextElementSibling)) {
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

  // --- live moves of colleagues --------------------------------------------------------------

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
      amount.textContent = data.amount + " " + data.currency;
      body.append(amount);
    }
    const select = document.createElement("select");
    select.className = "form-select form-select-sm mt-1 sales-move";
    select.dataset.move = "";
    select.setAttribute("aria-label", text.textChoose + " " + data.name);
    body.append(select);
    card.append(body);
    return card;
  }

  document.addEventListener("live:board", (event) => {
    const data = event.detail;
    if (!data || Number(data.pipeline) !== Number(board.dataset.pipeline)) {
      return;
    }
    const column = columnOf(data.stage);
    if (!column) {
      return;
    }
    let card = board.querySelector('[data-card="' + Number(data.id) + '"]');
    if (!card) {
      card = newCard(data);
    }
    if (data.amount !== undefined) {
      card.dataset.amount = String(data.amount);
    }
    // Before the first card that sits further down, by the saved positions.
    const list = column.querySelector("[data-cards]");
    card.dataset.position = String(data.board_position);
    const before = Array.from(list.querySelectorAll("[data-card]")).find((other) => other !== card
      && other.dataset.position !== undefined
      && Number(other.dataset.position) > Number(data.board_position)) || null;
    if (card.parentNode === list && (card.nextElementSibling === before)) {
      return; // already there: this board made the move
    }
    place(card, column, before);
    announce(text.textMoved + " " + column.dataset.stageName + ": " + data.name);
  });
}());
