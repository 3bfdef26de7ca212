// Site-wide behaviour: the UTC clock, the "What's new" badge and modal,
// copy-to-clipboard buttons and the "page changed" check. Loaded on every page;
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

  // Pages rendered with a modification time (data-modified-date) ask the server
  // with a cheap HEAD request whether it changed, and say so when it did. A page
  // may listen for the "atmo:modified" event to refresh itself instead.
  function watchModifiedDate() {
    const rendered = body.dataset.modifiedDate;
    if (!rendered) return;
    const seconds = Number(body.dataset.pollInterval || 10);
    const timer = setInterval(() => {
      fetch(window.location.href, { method: "HEAD", credentials: "same-origin" })
        .then((response) => {
          const current = response.headers.get("X-ATMO-Modified-Date");
          if (!current || Date.parse(current) === Date.parse(body.dataset.modifiedDate)) return;
          const event = new CustomEvent("atmo:modified", { cancelable: true, detail: { current } });
          if (document.dispatchEvent(event)) {
            document.getElementById("page-modified")?.classList.remove("d-none");
            clearInterval(timer);
          } else {
            body.dataset.modifiedDate = current;
          }
        })
        .catch(() => {});
    }, seconds * 1000);
  }

  tickClock();
  setInterval(tickClock, 30 * 1000);
  checkNews();
  loadNewsIntoModal();
  setUpCopyButtons();
  watchModifiedDate();
})();
