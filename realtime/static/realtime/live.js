/* The live layer in the browser: the notification bell, its toasts, and job progress events,
 * all over one websocket per page.
 *
 * The server's pushes are hints: after every (re)connect the list is fetched again from the API,
 * so anything sent while the socket was down still shows up. Other scripts listen to
 * `live:job` (detail: the job), `live:board` (detail: a moved sales card), `live:notification` (detail: the notification), `live:open` and
 * `live:closed` (and `live:signed-out`) on document. document.body.dataset.live says
 * "connecting", "open", "closed" or "signed-out".
 *
 * Server data only ever reaches the page through textContent and checked attributes.
 */
(function () {
  "use strict";

  // Shared with job.js (loaded after this script); the function is hoisted from below.
  window.liveLinks = {sitePath: safeLink};

  const bell = document.getElementById("live-bell");
  if (!bell || !("WebSocket" in window) || !window.fetch) {
    return;
  }

  const PAGE_SIZE = 10;
  const PING_EVERY_MS = 25000; // under the idle timeout of common proxies (often 30-60 s)
  const PONG_WITHIN_MS = 10000; // no answer to a ping by then: the connection is dead
  const RETRY_FIRST_MS = 1000;
  const RETRY_MAX_MS = 30000;
  const MAX_TOASTS = 3;
  const EXCERPT = 140;

  const text = bell.dataset;
  const button = bell.querySelector("[data-bs-toggle=dropdown]");
  const badge = bell.querySelector("[data-live-badge]");
  const list = bell.querySelector("[data-live-list]");
  const offline = bell.querySelector("[data-live-offline]");
  const readAll = bell.querySelector("[data-live-read-all]");
  const buttonLabel = button.getAttribute("aria-label");
  const lang = document.documentElement.lang || undefined;
  const relative = window.Intl && Intl.RelativeTimeFormat
    ? new Intl.RelativeTimeFormat(lang, {numeric: "auto"}) : null;

  const items = new Map(); // id -> notification, what the dropdown shows
  let socket = null;
  let attempt = 0;
  let retryTimer = null;
  let pingTimer = null;
  let pongTimer = null;
  let refreshTimer = null;
  let stopped = false;
  let loadFailed = false;

  // --- state shown on the page -------------------------------------------------------------

  function setState(state) {
    document.body.dataset.live = state;
    // Shown from the first loss until the socket is back, not while the page first connects.
    offline.hidden = state === "open" || state === "signed-out"
      || (state === "connecting" && attempt === 0);
  }

  function setUnread(count) {
    const value = Math.max(0, Number(count) || 0);
    badge.textContent = value > 99 ? "99+" : String(value);
    badge.hidden = value === 0;
    bell.dataset.unread = String(value);
    button.setAttribute("aria-label", value ? buttonLabel + " (" + value + ")" : buttonLabel);
    readAll.disabled = value === 0;
  }

  function unread() {
    return Number(bell.dataset.unread || 0);
  }

  // --- helpers -------------------------------------------------------------------------------

  function el(tag, className, content) {
    const node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (content !== undefined && content !== null) {
      node.textContent = content;
    }
    return node;
  }

  // Only paths on this site are followed. The browser's own parser decides, since it reads
  // "//host", "/\host" and "/<tab>/host" as other sites.
  function safeLink(link) {
    if (typeof link !== "string" || link.charAt(0) !== "/") {
      return "";
    }
    try {
      const url = new URL(link, location.origin);
      return url.origin === location.origin ? url.pathname + url.search + url.hash : "";
    } catch (error) {
      return "";
    }
  }

  function excerpt(body) {
    const flat = String(body || "").replace(/\s+/g, " ").trim();
    return flat.length > EXCERPT ? flat.slice(0, EXCERPT - 1) + "…" : flat;
  }

  function when(iso) {
    const date = new Date(iso);
    if (isNaN(date)) {
      return "";
    }
    const seconds = Math.round((date.getTime() - Date.now()) / 1000);
    const abs = Math.abs(seconds);
    if (!relative || abs >= 7 * 86400) {
      return date.toLocaleString(lang, {dateStyle: "medium", timeStyle: "short"});
    }
    if (abs < 45) {
      return relative.format(0, "second");
    }
    if (abs < 3600) {
      return relative.format(Math.round(seconds / 60), "minute");
    }
    if (abs < 86400) {
      return relative.format(Math.round(seconds / 3600), "hour");
    }
    return relative.format(Math.round(seconds / 86400), "day");
  }

  function timeNode(iso) {
    const node = el("time", "live-time small text-secondary text-nowrap", when(iso));
    node.dateTime = iso;
    const date = new Date(iso);
    if (!isNaN(date)) {
      node.title = date.toLocaleString(lang);
    }
    return node;
  }

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) {
      return decodeURIComponent(match[1]);
    }
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function post(url, extra) {
    return fetch(url, Object.assign({
      method: "POST",
      credentials: "same-origin",
      headers: {"X-CSRFToken": csrfToken(), "Accept": "application/json"},
    }, extra || {}));
  }

  // --- the dropdown list ---------------------------------------------------------------------

  function itemNode(notification) {
    const href = safeLink(notification.link);
    const node = el(href ? "a" : "button",
      "list-group-item list-group-item-action live-item" + (notification.read ? "" : " live-unread"));
    if (href) {
      node.href = href;
    } else {
      node.type = "button";
    }
    node.dataset.id = String(notification.id);
    const head = el("div", "d-flex align-items-start justify-content-between gap-2");
    const title = el("span", "live-item-title");
    if (!notification.read) {
      title.append(el("span", "live-dot", ""), el("span", "visually-hidden", text.textUnread + ": "));
    }
    title.append(document.createTextNode(notification.title));
    head.append(title, timeNode(notification.created));
    node.append(head);
    const body = excerpt(notification.body);
    if (body) {
      node.append(el("div", "live-item-body small text-secondary", body));
    }
    return node;
  }

  function render() {
    const sorted = Array.from(items.values()).sort(
      (a, b) => (a.read === b.read ? b.id - a.id : (a.read ? 1 : -1)));
    sorted.slice(PAGE_SIZE).forEach((n) => items.delete(n.id));
    const nodes = sorted.slice(0, PAGE_SIZE).map(itemNode);
    if (!nodes.length) {
      nodes.push(el("div", "list-group-item text-secondary small py-3",
        loadFailed ? text.textFailed : text.textEmpty));
      nodes[0].dataset.liveEmpty = "";
    }
    list.replaceChildren(...nodes);
  }

  function upsert(notification) {
    if (notification && Number.isInteger(notification.id)) {
      items.set(notification.id, notification);
    }
  }

  async function refresh() {
    clearTimeout(refreshTimer);
    refreshTimer = null;
    try {
      const response = await fetch(bell.dataset.api + "?page_size=" + PAGE_SIZE, {
        credentials: "same-origin", headers: {"Accept": "application/json"},
      });
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      const data = await response.json();
      const fresh = new Map();
      (data.results || []).forEach((n) => fresh.set(n.id, n));
      const newest = Math.max(0, ...fresh.keys());
      // A push that arrived while this request was under way is newer than anything listed.
      items.forEach((n, id) => {
        if (!fresh.has(id) && id > newest) {
          fresh.set(id, n);
        }
      });
      items.clear();
      fresh.forEach((n, id) => items.set(id, n));
      loadFailed = false;
      if (typeof data.unread === "number") {
        setUnread(data.unread);
      }
    } catch (error) {
      loadFailed = true;
    }
    render();
  }

  // Several "unread" pushes in a row (marking read in another tab) cost one request.
  function refreshSoon() {
    if (!refreshTimer) {
      refreshTimer = setTimeout(refresh, 300);
    }
  }

  function markReadHere(id) {
    const notification = items.get(id);
    if (notification && !notification.read) {
      notification.read = true;
      setUnread(unread() - 1);
      render();
    }
  }

  async function open(event, id, href) {
    const notification = items.get(id);
    // One the dropdown does not hold (an older one, opened from the inbox) counts as unread.
    const wasUnread = notification ? !notification.read : true;
    const plainClick = event.button === 0 && !event.ctrlKey && !event.metaKey
      && !event.shiftKey && !event.altKey;
    if (!wasUnread) {
      return; // already read: the link just works
    }
    const request = post(bell.dataset.api + id + "/read/", {keepalive: true});
    markReadHere(id);
    if (href && plainClick) {
      // Wait (briefly) so the next page already counts it as read.
      event.preventDefault();
      const timeout = new Promise((resolve) => setTimeout(resolve, 2000));
      await Promise.race([request.catch(() => null), timeout]);
      window.location.assign(href);
    } else {
      request.catch(() => null);
    }
  }

  list.addEventListener("click", (event) => {
    const node = event.target.closest("[data-id]");
    if (node) {
      open(event, Number(node.dataset.id), node.getAttribute("href"));
    }
  });

  // Links elsewhere on the page (the inbox's "Open") that also mark their notification read.
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-live-read]");
    if (link && !bell.contains(link)) {
      open(event, Number(link.dataset.liveRead), link.getAttribute("href"));
    }
  });

  readAll.addEventListener("click", async () => {
    items.forEach((n) => { n.read = true; });
    setUnread(0);
    render();
    try {
      await post(bell.dataset.apiReadAll);
    } catch (error) {
      refreshSoon();
    }
  });

  // With the socket down, opening the dropdown is the moment to catch up.
  bell.addEventListener("show.bs.dropdown", () => {
    if (document.body.dataset.live !== "open") {
      refresh();
    }
  });

  // Times in the bell, and those the server rendered with data-relative (in UTC, for pages
  // without this script), read "5 minutes ago" in the page's language and the reader's zone.
  function updateTimes() {
    document.querySelectorAll("time.live-time, time[data-relative]").forEach((node) => {
      const text = when(node.dateTime);
      if (text) {
        node.textContent = text;
        node.title = new Date(node.dateTime).toLocaleString(lang);
      }
    });
  }
  updateTimes();
  setInterval(updateTimes, 60000);

  // --- toasts --------------------------------------------------------------------------------

  function toastContainer() {
    let container = document.getElementById("live-toasts");
    if (!container) {
      container = el("div", "toast-container position-fixed bottom-0 end-0 p-3 live-toasts");
      container.id = "live-toasts";
      document.body.append(container);
    }
    return container;
  }

  function toast(notification) {
    if (!window.bootstrap || !bootstrap.Toast) {
      return;
    }
    const container = toastContainer();
    while (container.children.length >= MAX_TOASTS) {
      container.firstElementChild.remove();
    }
    const node = el("div", "toast live-toast");
    node.setAttribute("role", "status");
    node.setAttribute("aria-live", "polite");
    node.setAttribute("aria-atomic", "true");
    const header = el("div", "toast-header");
    const icon = el("i", "bi bi-bell-fill text-primary me-2");
    icon.setAttribute("aria-hidden", "true");
    const close = el("button", "btn-close");
    close.type = "button";
    close.dataset.bsDismiss = "toast";
    close.setAttribute("aria-label", text.textClose);
    header.append(icon, el("strong", "me-auto", text.textNew), timeNode(notification.created),
      close);
    const body = el("div", "toast-body");
    body.append(el("div", "fw-semibold", notification.title));
    if (excerpt(notification.body)) {
      body.append(el("div", "small text-secondary", excerpt(notification.body)));
    }
    const href = safeLink(notification.link);
    if (href) {
      const link = el("a", "btn btn-sm btn-primary mt-2", text.textOpen);
      link.href = href;
      link.addEventListener("click", (event) => open(event, notification.id, href));
      body.append(link);
    }
    node.append(header, body);
    container.append(node);
    node.addEventListener("hidden.bs.toast", () => node.remove());
    bootstrap.Toast.getOrCreateInstance(node, {delay: 6000}).show();
  }

  // --- the socket ----------------------------------------------------------------------------

  function emit(name, detail) {
    document.dispatchEvent(new CustomEvent(name, {detail: detail}));
  }

  function handle(message) {
    if (!message || typeof message !== "object") {
      return;
    }
    switch (message.type) {
      case "hello":
        attempt = 0; // a working connection resets the back-off
        setUnread(message.unread);
        refresh();
        emit("live:open", {});
        break;
      case "notification":
        if (message.notification && !items.has(message.notification.id)) {
          upsert(message.notification);
          render();
          toast(message.notification);
        }
        setUnread(message.unread);
        emit("live:notification", message.notification);
        break;
      case "unread":
        setUnread(message.unread);
        if (message.unread === 0) {
          items.forEach((n) => { n.read = true; });
          render();
        } else {
          refreshSoon();
        }
        break;
      case "job":
        emit("live:job", message.job);
        break;
      case "board":
        emit("live:board", message.board); // a sales board card moved (board.js)
        break;
      case "ticket":
        emit("live:ticket", message.ticket); // a ticket changed (service ticket.js, portal)
        break;
      default:
        break; // "pong" and anything newer than this script
    }
  }

  const SIGNED_OUT = 4401; // the server's close code for a session that signed out

  function stopTimers() {
    clearInterval(pingTimer);
    clearTimeout(pongTimer);
    pingTimer = pongTimer = null;
  }

  function lost(ws) {
    if (ws.lost) {
      return;
    }
    ws.lost = true;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try {
      ws.close();
    } catch (error) {
      // already closing
    }
    if (socket === ws) {
      socket = null;
    }
    stopTimers();
    setState("closed");
    emit("live:closed", {});
    scheduleReconnect();
  }

  function scheduleReconnect() {
    if (stopped || retryTimer) {
      return;
    }
    // Exponential back-off with jitter, so a restarted server is not hit by every page at once.
    const ceiling = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * Math.pow(2, attempt));
    attempt += 1;
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    retryTimer = setTimeout(connect, delay);
  }

  function connect() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (socket || stopped) {
      return;
    }
    setState("connecting");
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    let ws;
    try {
      ws = new WebSocket(scheme + location.host + bell.dataset.wsPath);
    } catch (error) {
      setState("closed");
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.onopen = () => {
      setState("open");
      pingTimer = setInterval(() => {
        if (ws.readyState !== WebSocket.OPEN) {
          return;
        }
        ws.send(JSON.stringify({type: "ping"}));
        if (!pongTimer) {
          pongTimer = setTimeout(() => lost(ws), PONG_WITHIN_MS);
        }
      }, PING_EVERY_MS);
    };
    ws.onmessage = (event) => {
      clearTimeout(pongTimer);
      pongTimer = null;
      let message = null;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      handle(message);
    };
    ws.onclose = (event) => {
      if (event.code === SIGNED_OUT) {
        signedOut(ws);
      } else {
        lost(ws);
      }
    };
    ws.onerror = () => lost(ws);
  }

  function signedOut(ws) {
    // The session ended (signed out here or in another tab): reconnecting cannot succeed.
    stopped = true;
    lost(ws);
    setState("signed-out");
    emit("live:signed-out", {});
  }

  function reconnectNow() {
    if (!socket && !stopped) {
      attempt = 0;
      connect();
    }
  }

  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      reconnectNow();
    }
  });
  window.addEventListener("pagehide", () => {
    stopped = true;
    clearTimeout(retryTimer);
    retryTimer = null;
    if (socket) {
      const ws = socket;
      ws.onclose = ws.onerror = null;
      socket = null;
      stopTimers();
      ws.close();
    }
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) {
      stopped = false;
      reconnectNow();
    }
  });

  setUnread(0);
  setState("connecting");
  connect();
}());
