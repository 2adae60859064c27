// The intake site's only script: a workbook dropped on the upload area is
// sent as if chosen; the build's progress is shown while it runs. Every
// page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("upload");
  if (form) {
    const input = form.querySelector("input[type=file]");
    const status = document.getElementById("upload-status");
    ["dragenter", "dragover"].forEach((type) => form.addEventListener(type, (e) => { e.preventDefault(); form.classList.add("over"); }));
    ["dragleave", "drop"].forEach((type) => form.addEventListener(type, () => form.classList.remove("over")));
    form.addEventListener("drop", (e) => {
      e.preventDefault();
      if (e.dataTransfer && e.dataTransfer.files.length > 0) {
        input.files = e.dataTransfer.files;
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", () => { if (status) status.textContent = "送信して確認しています…"; });
  }
  const progress = document.getElementById("build-progress");
  if (progress) {
    let wasRunning = progress.dataset.running === "true";
    const poll = async () => {
      try {
        const answer = await fetch("/office/build/status", { headers: { Accept: "application/json" } });
        const state = await answer.json();
        const p = state.progress;
        if (p.running) {
          wasRunning = true;
          progress.replaceChildren();
          const line = document.createElement("p");
          line.textContent = `作成中です（${p.done} / ${p.total}）${p.message}`;
          const bar = document.createElement("progress");
          bar.max = Math.max(p.total, 1);
          bar.value = p.done;
          progress.append(line, bar);
        } else if (wasRunning) {
          window.location.reload();
          return;
        }
      } catch (_) { /* the next poll tries again */ }
      setTimeout(poll, 700);
    };
    if (wasRunning) poll();
    const build = document.getElementById("build");
    if (build) build.addEventListener("submit", () => { wasRunning = true; });
  }
});
