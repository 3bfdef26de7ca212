// "Add an SSH key" page: a chosen or dropped .pub file is read into the key
// textarea, and an empty title is filled from the key's comment (user@host).
// Progressive enhancement only: without this script the server reads the file.
"use strict";

(function () {
  const form = document.querySelector("[data-key-form]");
  if (!form) return;
  const keyInput = form.querySelector("textarea[name$='key']");
  const titleInput = form.querySelector("input[name$='title']");
  const fileInput = form.querySelector("input[type='file']");
  const dropZone = form.querySelector("[data-key-drop]");
  // The same limit as the server's: a public key is far smaller.
  const MAX_BYTES = 100000;
  const HIGHLIGHT = ["bg-primary-subtle"];

  // The chosen file is dropped too: a private key picked by mistake must not
  // be sent to the server with the form.
  function showProblem(message) {
    fileInput.value = "";
    fileInput.setCustomValidity(message);
    fileInput.reportValidity();
  }

  function keyComment(text) {
    const parts = text.trim().split(/\s+/);
    return parts.length > 2 ? parts.slice(2).join(" ") : "";
  }

  // Only a title we filled in ourselves is replaced; one the user typed is kept.
  function suggestTitle(fallback) {
    if (!titleInput) return;
    if (titleInput.value.trim() && titleInput.dataset.suggested !== titleInput.value) return;
    const suggestion = (keyComment(keyInput.value) || fallback || "").slice(0, 100);
    if (!suggestion) return;
    titleInput.value = suggestion;
    titleInput.dataset.suggested = suggestion;
  }

  function readFile(file) {
    fileInput.setCustomValidity("");
    if (!file.name.endsWith(".pub")) {
      showProblem("Choose the public key: its name ends with .pub.");
      return;
    }
    if (file.size > MAX_BYTES) {
      showProblem("This file is larger than 100 KB, so it cannot be a public key.");
      return;
    }
    file
      .text()
      .then((text) => {
        keyInput.value = text.trim();
        suggestTitle(file.name.replace(/\.pub$/, ""));
      })
      .catch(() => showProblem("The file could not be read."));
  }

  fileInput?.addEventListener("change", () => {
    if (fileInput.files.length) readFile(fileInput.files[0]);
  });
  keyInput.addEventListener("input", () => suggestTitle(""));

  if (dropZone) {
    form.querySelector("[data-key-drop-hint]")?.classList.remove("d-none");
    ["dragenter", "dragover"].forEach((name) =>
      dropZone.addEventListener(name, (event) => {
        event.preventDefault();
        dropZone.classList.add(...HIGHLIGHT);
      }),
    );
    ["dragleave", "drop"].forEach((name) =>
      dropZone.addEventListener(name, () => dropZone.classList.remove(...HIGHLIGHT)),
    );
    dropZone.addEventListener("drop", (event) => {
      event.preventDefault();
      const file = event.dataTransfer.files[0];
      if (!file) return;
      // Also hand the file to the input, so the server sees what the user chose.
      if (fileInput) fileInput.files = event.dataTransfer.files;
      readFile(file);
    });
  }
})();
