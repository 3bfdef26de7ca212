// Live updates for pages whose changing parts carry data-live-region="<name>".
// atmo.js polls the page's modification time and fires "atmo:modified" when it
// changes; instead of asking the user to reload, fetch the page once and swap
// in the fresh regions. Anything else on the page (form input, scroll
// position, open menus outside the regions) is left alone.
"use strict";

(function () {
  let fetching = false;

  function showReloadHint() {
    document.getElementById("page-modified")?.classList.remove("d-none");
  }

  function swapRegions(fresh) {
    document.querySelectorAll("[data-live-region]").forEach((region) => {
      const name = region.dataset.liveRegion;
      const replacement = fresh.querySelector(`[data-live-region="${CSS.escape(name)}"]`);
      if (replacement) region.replaceWith(document.importNode(replacement, true));
    });
    // The fetched page knows its own time; polling goes on from there.
    const modified = fresh.body.dataset.modifiedDate;
    if (modified) document.body.dataset.modifiedDate = modified;
  }

  function refresh() {
    fetching = true;
    fetch(window.location.href, { credentials: "same-origin" })
      .then((response) => {
        // A redirect (e.g. to the login page) or an error page has no regions to take.
        if (!response.ok || response.redirected) throw new Error(`HTTP ${response.status}`);
        return response.text();
      })
      .then((html) => swapRegions(new DOMParser().parseFromString(html, "text/html")))
      .catch(showReloadHint)
      .finally(() => {
        fetching = false;
      });
  }

  document.addEventListener("atmo:modified", (event) => {
    if (!document.querySelector("[data-live-region]")) return;
    event.preventDefault();
    if (!fetching) refresh();
  });
})();
