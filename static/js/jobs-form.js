// New Spark job form: says as the user types whether the identifier is taken,
// asking jobs-identifier-available (a plain-text answer). The server checks
// again on submit; this only spares a round trip through the whole form.
"use strict";

(function () {
  const input = document.querySelector("input[data-availability-url]");
  if (!input) return;
  const feedback = document.querySelector("[data-identifier-taken]");
  const DELAY_MS = 400; // wait for a pause in typing: one request per name, not per key
  const PATTERN = /^[a-z0-9-]{1,100}$/; // the form's own rule; other names are not worth asking about
  let timer = null;
  let controller = null;
  let shown = false;

  // Only the class this script added is removed: a server-side error stays marked.
  function show(taken) {
    if (taken === shown) return;
    shown = taken;
    input.classList.toggle("is-invalid", taken);
    input.setAttribute("aria-invalid", taken ? "true" : "false");
    feedback?.classList.toggle("d-none", !taken);
    feedback?.classList.toggle("d-block", taken);
  }

  function check() {
    const value = input.value.trim();
    controller?.abort();
    if (!PATTERN.test(value)) {
      show(false);
      return;
    }
    controller = new AbortController();
    const url = `${input.dataset.availabilityUrl}?identifier=${encodeURIComponent(value)}`;
    fetch(url, { credentials: "same-origin", signal: controller.signal })
      .then((response) => (response.ok ? response.text() : ""))
      .then((answer) => {
        // A slow answer about an older value must not mark the current one.
        if (input.value.trim() === value) show(answer.trim() === "identifier unavailable");
      })
      .catch(() => {});
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(check, DELAY_MS);
  });
})();
