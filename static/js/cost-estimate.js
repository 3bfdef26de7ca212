// Cost estimate under the cluster and job forms: recomputed as the size, hours or
// interval change, with the rates the server rendered (the same arithmetic as
// atmo.lib.costs.Rates.estimate). Without JavaScript the server's figure stays.
"use strict";

(function () {
  const box = document.querySelector("[data-cost-estimate]");
  const form = box?.closest("form");
  if (!box || !form) return;
  const master = Number(box.dataset.masterHourly);
  const worker = Number(box.dataset.workerHourly);
  const total = box.querySelector("[data-cost-total]");
  const monthly = box.querySelector("[data-cost-monthly]");
  const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });

  // A text input, a select or a group of radio buttons (whose value is the checked one).
  function positive(name) {
    const value = Number(name ? form.elements.namedItem(name)?.value : NaN);
    return Number.isInteger(value) && value > 0 ? value : null;
  }

  function update() {
    const nodes = positive(box.dataset.sizeName);
    const hours = positive(box.dataset.hoursName);
    if (nodes === null || hours === null) {
      total.textContent = "—";
      if (monthly) monthly.textContent = "—";
      return;
    }
    const workers = nodes <= 1 ? 0 : nodes; // size 1 is a lone master
    const perRun = hours * (master + workers * worker);
    total.textContent = money.format(perRun);
    if (monthly) {
      const every = positive(box.dataset.intervalName);
      monthly.textContent = every ? money.format((perRun * Number(box.dataset.monthHours)) / every) : "—";
    }
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
})();
