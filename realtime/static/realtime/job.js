/* Live job progress on the job page and the jobs list, from the `live:job` events of live.js.
 *
 * The page is complete without this script (rendered from the job's state at load time); it
 * only keeps it current. After every (re)connect it asks the API once, for what the socket
 * missed, and while the socket is down it asks every few seconds.
 */
(function () {
  "use strict";

  const POLL_MS = 5000;
  const STATUS_CLASSES = {
    queued: "text-bg-secondary",
    running: "text-bg-primary",
    succeeded: "text-bg-success",
    failed: "text-bg-danger",
  };
  const views = new Map(); // job id -> {node, api, finished, detail}

  document.querySelectorAll("[data-job-id], [data-job-row]").forEach((node) => {
    const id = node.dataset.jobId || node.dataset.jobRow;
    views.set(id, {
      node: node, api: node.dataset.api, detail: "jobId" in node.dataset,
      finished: node.dataset.finished === "true",
    });
  });
  if (!views.size) {
    return;
  }

  function field(view, name) {
    return view.node.querySelector("[data-field=\"" + name + "\"]");
  }

  function termFor(key) {
    const terms = document.getElementById("job-result-terms");
    const term = terms && terms.content.querySelector("[data-key=\"" + CSS.escape(key) + "\"]");
    return term ? term.textContent.trim() : key;
  }

  function sitePath(link) {
    // live.js's check (only a path on this site becomes a link, as the browser reads it).
    return window.liveLinks ? window.liveLinks.sitePath(link) : "";
  }

  function setText(node, value) {
    if (node) {
      node.textContent = String(value);
    }
  }

  function update(job) {
    const view = job && views.get(String(job.id));
    if (!view) {
      return;
    }
    const percent = Math.max(0, Math.min(100, Number(job.percent) || 0));
    const status = field(view, "status");
    if (status) {
      status.classList.remove(...Object.values(STATUS_CLASSES));
      status.classList.add(STATUS_CLASSES[job.status] || STATUS_CLASSES.queued);
      status.textContent = job.status_label;
    }
    const progress = field(view, "progress");
    if (progress) {
      progress.setAttribute("aria-valuenow", String(percent));
    }
    const bar = field(view, "bar");
    if (bar) {
      bar.style.width = percent + "%";
      bar.classList.toggle("progress-bar-striped", !job.finished && view.detail);
      bar.classList.toggle("progress-bar-animated", !job.finished && view.detail);
      bar.classList.toggle("bg-danger", job.status === "failed");
      bar.classList.toggle("bg-warning", job.status === "succeeded" && job.failed > 0);
      bar.classList.toggle("bg-success", job.status === "succeeded" && !job.failed);
      if (view.detail) {
        bar.textContent = percent + "%";
      }
    }
    setText(field(view, "percent"), percent + "%");
    setText(field(view, "total"), job.total);
    setText(field(view, "done"), job.done);
    const failed = field(view, "failed");
    if (failed) {
      failed.textContent = String(job.failed);
      failed.classList.toggle("text-danger", job.failed > 0);
    }
    const waiting = field(view, "waiting");
    if (waiting) {
      waiting.hidden = Boolean(job.finished);
    }
    const message = field(view, "message");
    if (message) {
      message.textContent = job.message || "";
      message.hidden = !job.message;
      message.classList.toggle("alert-danger", job.status === "failed");
      message.classList.toggle("alert-secondary", job.status !== "failed");
    }
    const result = field(view, "result");
    if (result) {
      const rows = [];
      Object.entries(job.result || {}).forEach(([key, value]) => {
        const row = document.createElement("div");
        row.className = "job-result-row";
        const term = document.createElement("dt");
        term.textContent = termFor(key);
        const detail = document.createElement("dd");
        if (typeof value === "boolean") {
          detail.textContent = termFor(value ? "@yes" : "@no");
        } else {
          detail.textContent = typeof value === "object" ? JSON.stringify(value) : String(value);
        }
        row.append(term, detail);
        rows.push(row);
      });
      result.replaceChildren(...rows);
      field(view, "result-block").hidden = rows.length === 0;
    }
    const errors = field(view, "errors_url");
    if (errors) {
      const url = sitePath(job.errors_url);
      errors.hidden = !url;
      errors.setAttribute("href", url || "#");
    }
    view.finished = Boolean(job.finished);
    view.node.dataset.finished = String(view.finished);
    view.node.dataset.status = job.status;
  }

  async function fetchAll() {
    const pending = Array.from(views.values()).filter((view) => !view.finished && view.api);
    await Promise.all(pending.map(async (view) => {
      try {
        const response = await fetch(view.api, {
          credentials: "same-origin", headers: {"Accept": "application/json"},
        });
        if (response.ok) {
          update(await response.json());
        }
      } catch (error) {
        // the next reconnect or poll tries again
      }
    }));
  }

  document.addEventListener("live:job", (event) => update(event.detail));
  document.addEventListener("live:open", fetchAll);

  setInterval(() => {
    const live = document.body.dataset.live;
    if (live !== "open" && Array.from(views.values()).some((view) => !view.finished)) {
      fetchAll();
    }
  }, POLL_MS);
}());
