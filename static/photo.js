// Photo capture: preview the chosen photo, send it, show the server's sentence on error.
const form = document.getElementById("capture");
const input = document.getElementById("file");
const preview = document.getElementById("preview");
const send = document.getElementById("send");
const error = document.getElementById("error");

input.addEventListener("change", () => {
  const file = input.files[0];
  error.hidden = true;
  if (!file) return;
  preview.src = URL.createObjectURL(file);
  preview.hidden = false;
  send.disabled = false;
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  send.disabled = true;
  const body = new FormData();
  body.append("file", input.files[0]);
  const response = await fetch(form.action, { method: "POST", body });
  if (response.ok) {
    window.location.reload();
    return;
  }
  const data = await response.json().catch(() => ({ error: "Sending failed; please try again." }));
  error.textContent = data.error;
  error.hidden = false;
  send.disabled = false;
});
