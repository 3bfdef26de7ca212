// Site-wide behaviour: the UTC clock, the "What's new" badge and modal,
// copy-to-clipboard buttons, relative times and the live regions' version. Loaded on every page;
// no inline script anywhere (the Content Security Policy forbids it).
"use strict";

(function () {
  const body = document.body;

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  function tickClock() {
    const clock = document.getElementById("utc-clock");
    if (!clock) return;
    const now = new Date();
    clock.textContent = `${now.getUTCFullYear()}-${pad(now.getUTCMonth() + 1)}-${pad(now.getUTCDate())} ${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}`;
  }

  function checkNews() {
    const url = body.dataset.newsCheckUrl;
    const badge = document.getElementById("news-badge");
    if (!url || !badge) return;
    fetch(url, { credentials: "same-origin" })
      .then((response) => response.text())
      .then((answer) => badge.classList.toggle("d-none", answer.trim() === "ok"))
      .catch(() => {});
  }

  function loadNewsIntoModal() {
    const modal = document.getElementById("news-modal");
    if (!modal) return;
    modal.addEventListener("show.bs.modal", () => {
      const target = document.getElementById("news-modal-body");
      fetch(body.dataset.newsListUrl, {
        credentials: "same-origin",
        headers: { "X-Requested-With": "XMLHttpRequest" },
      })
        .then((response) => response.text())
        .then((html) => {
          // The fragment is rendered server-side from Markdown with raw HTML escaped.
          target.innerHTML = html;
          document.getElementById("news-badge")?.classList.add("d-none");
        })
        .catch(() => {
          target.textContent = "The news could not be loaded. Please try again.";
        });
    });
  }

  function setUpCopyButtons() {
    document.addEventListener("click", (event) => {
      const button = event.target.closest("[data-copy-target]");
      if (!button) return;
      const source = document.querySelector(button.dataset.copyTarget);
      if (!source || !navigator.clipboard) return;
      navigator.clipboard.writeText(source.textContent.trim()).then(() => {
        const label = button.innerHTML;
        button.textContent = "Copied";
        setTimeout(() => (button.innerHTML = label), 1500);
      });
    });
  }

  // Live regions (atmo/live.py): the poller sends the version it shows, so that
  // an unchanged page costs the server a 304 and the browser nothing.
  function sendLiveVersion() {
    document.addEventListener("htmx:configRequest", (event) => {
      const etag = event.detail.elt.dataset.etag;
      if (etag) event.detail.headers["If-None-Match"] = etag;
    });
    // A poll that fails (e.g. redirected to the sign-in provider once the session
    // expired) cannot update the page: say so, and let a reload sort it out.
    const showReloadHint = () => document.getElementById("page-modified")?.classList.remove("d-none");
    document.addEventListener("htmx:sendError", showReloadHint);
    document.addEventListener("htmx:responseError", showReloadHint);
  }

  // <time data-relative> from the "moment" template tag: "in 3 h", "2 days ago",
  // the same words as atmo/lib/moments.py, with the absolute time on hover in the
  // browser's time zone.
  const UNITS = [
    [86400, "day", "days"],
    [3600, "h", "h"],
    [60, "min", "min"],
  ];

  function relative(moment, now) {
    const seconds = Math.trunc((moment - now) / 1000);
    const distance = Math.abs(seconds);
    for (const [size, singular, plural] of UNITS) {
      if (distance >= size) {
        const amount = Math.floor(distance / size);
        const said = `${amount} ${amount === 1 ? singular : plural}`;
        return seconds > 0 ? `in ${said}` : `${said} ago`;
      }
    }
    return seconds > 0 ? "in under a minute" : "just now";
  }

  // (dateStyle and timeZoneName may not be combined: the fields are spelt out.)
  const localFormat = new Intl.DateTimeFormat(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZoneName: "short",
  });

  function tickMoments(root) {
    const now = Date.now();
    (root || document).querySelectorAll("time[data-relative]").forEach((time) => {
      const moment = Date.parse(time.getAttribute("datetime"));
      if (Number.isNaN(moment)) return;
      time.textContent = relative(moment, now);
      time.title = localFormat.format(new Date(moment));
    });
  }

  tickClock();
  tickMoments();
  setInterval(() => {
    tickClock();
    tickMoments();
  }, 30 * 1000);
  document.addEventListener("htmx:afterSettle", () => tickMoments());
  checkNews();
  loadNewsIntoModal();
  setUpCopyButtons();
  sendLiveVersion();
})();
