// Copy buttons on a badge's public page (LinkedIn's pre-fill is not guaranteed).
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.copy");
  if (!button) return;
  const status = document.getElementById("copy-status");
  try {
    await navigator.clipboard.writeText(button.dataset.copy);
    if (status) status.textContent = status.dataset.done || "✓";
  } catch (err) {
    if (status) status.textContent = "";
    window.prompt("", button.dataset.copy);
  }
});
